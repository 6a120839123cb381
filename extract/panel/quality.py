"""The quality page: one self-contained HTML file (`extract report OUT`, default OUT/report.html)
showing what the dataset and its archive hold and what needs a human: the summary, the coverage
grid, every failing identity with its table, row and column, the failed and partial documents by
reason, the series of the indicators, and the prose figures that disagree with the tables.

Built from the dataset on disk with DuckDB, aggregated before it reaches Python: lists are cut
at LIST_MAX rows (the page says how many more), the coverage grid at GRID_MAX agencies (beyond,
counts per province and level with the missing agencies listed), so a page over 100,000
documents stays a few MB. Charts are inline SVG (charts.py); the page requests nothing.
"""
from __future__ import annotations

import html
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from . import charts
from .indicators import load_indicators
from .source import open_dataset

log = logging.getLogger(__name__)

LIST_MAX = 200
GRID_MAX = 400
SERIES = ("requests_received", "requests_granted", "requests_denied", "admin_reviews", "admin_lawsuits")
TABLES_READ = ("reports", "checks", "statements", "agencies", "panel", "coverage", "panel_checks")
STATE_MARK = {"reported": ("●", "rep"), "missing": ("○", "mis"), "failed": ("✕", "fail")}


@dataclass
class PageSummary:
    path: Path
    documents: int
    bytes: int
    seconds: float

    def line(self) -> str:
        return (f"quality page: {self.documents} documents, {self.bytes / 2**20:.1f} MiB, "
                f"{self.seconds:.1f}s → {self.path}")


def e(v) -> str:
    return "" if v is None else html.escape(str(v))


def _num(v) -> str:
    if v is None or v != v:
        return ""
    return f"{v:g}" if isinstance(v, float) else str(v)


def _table(headers: list[str], rows: list[list], cls: str = "", raw: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{c if i in raw else e(c)}</td>" for i, c in enumerate(r)) + "</tr>"
                     for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def _more(total: int, shown: int) -> str:
    return f'<p class="more">… and {total - shown} more (see the tables in the dataset)</p>' if total > shown else ""


def _link(source: str) -> str:
    href = source if "://" in source else Path(source).resolve().as_uri() if source.startswith("/") else source
    return f'<a href="{e(href)}">{e(source)}</a>'


def _where(check_id: str, checks: dict) -> tuple[str, str, str, str]:
    """(table, identity, row, col) of a check id such as applications.balance[total]: the table is
    that of the identity's terms (legacy.request_channels is on legacy_statistics)."""
    base, _, key = check_id.partition("[")
    key = key.rstrip("]")
    check = checks.get(base)
    first = check.lhs[0] if check is not None and check.lhs else ""
    table = first.split(".")[0] if "." in first else base.split(".")[0]
    kind = check.per if check is not None else "col"
    return table, base, (key if kind == "row" else ""), (key if kind == "col" else "")


def build_page(out: Path | str, target: Path | str | None = None) -> PageSummary:
    """Write the quality page of the dataset in `out` (its archive tables built first, by
    build_archive) to `target` (default OUT/report.html)."""
    from ..report import load_schema

    start = time.perf_counter()
    out = Path(out)
    target = Path(target) if target else out / "report.html"
    with open_dataset(out, TABLES_READ) as (con, present):
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        parts = [_summary(q, present, _written(out)), _coverage(q, present), _problems(q, present, load_schema()),
                 _series(q, present), _narrative(q, present)]
        documents = q("SELECT count(*) FROM reports")[0][0]
    page = _page(out, parts)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return PageSummary(target, documents, target.stat().st_size, time.perf_counter() - start)


def _written(out: Path) -> str:
    """When the dataset's reports were last written (its parts' or CSV file's time): the parse date."""
    files = [p for p in (out / "reports.parquet").rglob("*.parquet")] if (out / "reports.parquet").is_dir() else []
    files += [out / "reports.csv"] if (out / "reports.csv").is_file() else []
    if not files:
        return "—"
    stamp = max(f.stat().st_mtime for f in files)
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _summary(q, present: set[str], written: str) -> str:
    docs, cells, failed_checks = q("SELECT count(*), coalesce(sum(n_cells), 0), coalesce(sum(n_checks_failed), 0) "
                                   "FROM reports")[0]
    statements = q("SELECT count(*) FROM statements")[0][0] if "statements" in present else None
    versions = ", ".join(v for (v,) in q("SELECT DISTINCT parser_version FROM reports WHERE parser_version <> '' "
                                         "ORDER BY 1") if v)
    blocks = []
    for col, name in (("status", "status"), ("format", "format"), ("template", "template"), ("year", "year")):
        rows = q(f"SELECT coalesce(CAST({col} AS VARCHAR), '(none)') AS k, count(*) FROM reports GROUP BY k ORDER BY k")
        blocks.append(f'<div class="box"><h3>{e(name)}</h3>{_table([name, "documents"], rows, "small")}</div>')
    facts = [("documents", docs), ("cells", cells), ("identities failing", failed_checks),
             ("statements", "—" if statements is None else statements), ("tool version(s)", versions or "—"),
             ("parsed (dataset last written)", written),
             ("page built", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
             ("built by", f"gioar-extract {__version__}")]
    dl = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts)
    return f'<section id="summary"><h2>Summary 概况</h2><dl class="facts">{dl}</dl><div class="boxes">{"".join(blocks)}</div></section>'


def _coverage(q, present: set[str]) -> str:
    if not {"agencies", "coverage"} <= present:
        return '<section id="coverage"><h2>Coverage 覆盖</h2><p>No archive tables: run <code>extract panel</code>.</p></section>'
    n_agencies = q("SELECT count(*) FROM agencies")[0][0]
    years = [y for (y,) in q("SELECT DISTINCT year FROM coverage ORDER BY year")]
    head = '<section id="coverage"><h2>Coverage 覆盖</h2>'
    legend = ('<p class="legend"><span class="rep">● reported</span> <span class="mis">○ missing</span> '
              '<span class="fail">✕ failed</span> · click a column heading to sort</p>')
    if n_agencies <= GRID_MAX:
        states = {(a, y): s for a, y, s in q("SELECT agency_id, year, state FROM coverage")}
        rows = []
        for agency_id, name, province, level in q(
                "SELECT agency_id, name, province, level FROM agencies ORDER BY province, level, name"):
            marks = [f'<span class="{STATE_MARK[states[(agency_id, y)]][1]}" title="{y} {states[(agency_id, y)]}">'
                     f'{STATE_MARK[states[(agency_id, y)]][0]}</span>' if (agency_id, y) in states else ""
                     for y in years]
            rows.append([province or "—", level, name, *marks])
        grid = _table(["province", "level", "agency", *map(str, years)], rows, "grid sortable",
                      raw=set(range(3, 3 + len(years))))
        return head + legend + f'<div class="scroll" id="coverage-grid">{grid}</div></section>'
    counts = q("""SELECT coalesce(nullif(a.province, ''), '—'), a.level, c.year,
                         count(*) FILTER (WHERE state = 'reported'), count(*) FILTER (WHERE state = 'missing'),
                         count(*) FILTER (WHERE state = 'failed')
                  FROM coverage c JOIN agencies a USING (agency_id) GROUP BY ALL ORDER BY 1, 2, 3""")
    last = years[-1] if years else None
    missing = q(f"""SELECT a.province, a.level, a.name FROM coverage c JOIN agencies a USING (agency_id)
                    WHERE c.year = {last or 0} AND c.state = 'missing' ORDER BY 1, 2, 3 LIMIT {LIST_MAX}""")
    n_missing = q(f"SELECT count(*) FROM coverage WHERE year = {last or 0} AND state = 'missing'")[0][0]
    grid = _table(["province", "level", "year", "reported", "missing", "failed"], counts, "sortable small")
    listed = _table(["province", "level", "agency"], missing, "small")
    return (head + f"<p>{n_agencies} agencies: counts per province, level and year.</p>"
            f'<div class="scroll" id="coverage-grid">{grid}</div>'
            f"<h3>Missing for {last}</h3>{listed}{_more(n_missing, len(missing))}</section>")


def _problems(q, present: set[str], schema) -> str:
    checks = {c.id: c for c in schema.checks}
    parts = ['<section id="problems"><h2>Problems 问题</h2>']
    if "checks" in present:
        table_checks = "c.status = 'fail' AND c.\"check\" NOT LIKE 'narrative.%'"  # those: their own section
        total = q(f"SELECT count(*) FROM checks c WHERE {table_checks}")[0][0]
        rows = q(f"""SELECT r.agency, r.year, c."check", c.lhs, c.rhs, c.note, r.source
                     FROM checks c JOIN reports r USING (report_id) WHERE {table_checks}
                     ORDER BY r.agency, r.year, c."check" LIMIT {LIST_MAX}""")
        by_table: dict[str, list] = {}
        for agency, year, check, lhs, rhs, note, source in rows:
            table, identity, row, col = _where(check, checks)
            by_table.setdefault(table, []).append([agency, year, identity, row, col, _num(lhs), _num(rhs), note,
                                                   _link(source)])
        parts.append(f"<h3>Identities that fail in a report ({total})</h3>")
        for table, items in sorted(by_table.items()):
            parts.append(f'<h4>table {e(table)}</h4>' + _table(
                ["agency", "year", "identity", "row", "column", "left", "right", "note", "document"], items,
                "problems", raw={8}))
        parts.append(_more(total, len(rows)) or ("" if total else "<p>None.</p>"))
    if "panel_checks" in present:
        total = q("SELECT count(*) FROM panel_checks WHERE status IN ('fail', 'review')")[0][0]
        rows = q(f"""SELECT a.name, k.year, k."check", k.status, k.lhs, k.rhs, k.report_ids
                     FROM panel_checks k JOIN agencies a USING (agency_id) WHERE k.status IN ('fail', 'review')
                     ORDER BY k.status, a.name, k.year LIMIT {LIST_MAX}""")
        parts.append(f"<h3>Cross-year checks that fail or need review ({total})</h3>")
        parts.append(_table(["agency", "year", "check", "status", "earlier", "later", "reports"],
                            [[n, y, c, s, _num(l), _num(r), ids] for n, y, c, s, l, r, ids in rows], "problems")
                     if rows else "<p>None.</p>")
        parts.append(_more(total, len(rows)))
    for status, title in (("failed", "Documents that failed"), ("partial", "Partial documents")):
        groups = q(f"""SELECT error, count(*), list(source ORDER BY source)[1:5] FROM reports WHERE status = '{status}'
                       GROUP BY error ORDER BY 2 DESC, 1 LIMIT {LIST_MAX}""")
        n = sum(g[1] for g in groups)
        parts.append(f"<h3>{title} ({n}), by reason</h3>")
        parts.append(_table(["reason", "documents", "for example"],
                            [[err or "—", cnt, "<br>".join(_link(s) for s in sources)] for err, cnt, sources in groups],
                            "problems", raw={2}) if groups else "<p>None.</p>")
    parts.append("</section>")
    return "".join(parts)


def _series(q, present: set[str]) -> str:
    head = '<section id="series"><h2>Series 序列</h2>'
    if "panel" not in present:
        return head + "<p>No archive tables: run <code>extract panel</code>.</p></section>"
    texts = {i.key: i.text for i in load_indicators()}
    keys = [k for k in SERIES if k in texts]
    sums = ", ".join(f'sum("{k}")' for k in keys)
    rows = q(f"SELECT year, {sums} FROM panel GROUP BY year ORDER BY year")
    years = [r[0] for r in rows]
    name = lambda k: charts.label(texts[k].split("/")[0].strip(), k)  # noqa: E731
    figs = [
        charts.lines(charts.label("依申请公开", "Requests for information"), years,
                     {name(k): [r[1 + keys.index(k)] for r in rows] for k in keys[:3]}, charts.label("件", "requests")),
        charts.lines(charts.label("行政复议与诉讼", "Administrative reviews and lawsuits"), years,
                     {name(k): [r[1 + keys.index(k)] for r in rows] for k in keys[3:]}, charts.label("件", "cases")),
    ]
    levels = q("""SELECT a.level, p.year, sum(p.requests_received) FROM panel p JOIN agencies a USING (agency_id)
                  GROUP BY ALL ORDER BY 1, 2""")
    stacks: dict[str, list[float]] = {}
    for level, year, value in levels:
        stacks.setdefault(level, [0.0] * len(years))[years.index(year)] = value or 0.0
    figs.append(charts.stacked_bars(charts.label("各层级收到申请", "Requests received by level"), years, stacks,
                                    charts.label("件", "requests")))
    top = q("SELECT agency_id, name FROM agencies ORDER BY n_years DESC, agency_id LIMIT 48")  # 12 with values
    series = {}
    for agency_id, agency in top:
        pts = q(f"SELECT year, requests_received FROM panel WHERE agency_id = '{agency_id.replace(chr(39), chr(39) * 2)}' "
                "ORDER BY year")
        series[agency] = ([y for y, _ in pts], [v for _, v in pts])
    figs.append(charts.small_multiples(charts.label("报告最多的机构：收到申请", "Agencies with the most reports: requests received"),
                                       series, charts.label("件", "requests")))
    docs = q("SELECT year, status, count(*) FROM reports WHERE year IS NOT NULL GROUP BY ALL ORDER BY 1, 2")
    doc_years = sorted({y for y, _, _ in docs})
    by_status: dict[str, list[float]] = {}
    for y, status, n in docs:
        by_status.setdefault(status, [0.0] * len(doc_years))[doc_years.index(y)] = n
    figs.append(charts.stacked_bars(charts.label("每年的文档", "Documents per year covered"), doc_years, by_status,
                                    charts.label("份", "documents")))
    return head + "".join(f'<figure class="chart">{svg}</figure>' for svg in figs) + "</section>"


def _narrative(q, present: set[str]) -> str:
    head = '<section id="narrative"><h2>Prose vs tables 文字与表格</h2>'
    if "checks" not in present:
        return head + "<p>No checks table.</p></section>"
    total = q("SELECT count(*) FROM checks WHERE \"check\" LIKE 'narrative.%' AND status = 'fail'")[0][0]
    evaluated = q("SELECT count(*) FROM checks WHERE \"check\" LIKE 'narrative.%'")[0][0]
    if not evaluated:
        return head + "<p>This dataset has no prose-vs-table checks (narrative.*).</p></section>"
    rows = q(f"""SELECT r.agency, r.year, c."check", c.lhs, c.rhs, c.note, r.source
                 FROM checks c JOIN reports r USING (report_id)
                 WHERE c."check" LIKE 'narrative.%' AND c.status = 'fail' ORDER BY 1, 2, 3 LIMIT {LIST_MAX}""")
    return head + f"<p>{total} of {evaluated} fail.</p>" + _table(
        ["agency", "year", "check", "prose", "table", "the cell and the sentence", "document"],
        [[a, y, c, _num(l), _num(r), note, _link(src)] for a, y, c, l, r, note, src in rows], "problems", raw={6}) \
        + _more(total, len(rows)) + "</section>"


STYLE = """
body{font-family:"WenQuanYi Zen Hei","Noto Sans CJK SC",sans-serif;margin:1.5em;color:#222;max-width:1200px}
h2{border-bottom:2px solid #1f77b4;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;font-size:13px;margin:.4em 0}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f2f5f9;cursor:pointer}
.grid td{text-align:center}.grid td:nth-child(-n+3){text-align:left}
.rep{color:#2ca02c}.mis{color:#999}.fail{color:#d62728;font-weight:bold}
.scroll{overflow-x:auto;max-height:40em}
.boxes{display:flex;flex-wrap:wrap;gap:1.5em}.box h3{margin:.2em 0}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}
.more{color:#666;font-style:italic}
figure.chart{margin:1em 0}figure.chart svg{max-width:100%;height:auto}
nav a{margin-right:1em}
"""
SCRIPT = """
(function(){
  var errors = 0;
  window.addEventListener('error', function(){ errors++; document.body.dataset.errors = errors; });
  document.querySelectorAll('table.sortable').forEach(function(table){
    table.querySelectorAll('th').forEach(function(th, i){
      th.addEventListener('click', function(){
        var body = table.tBodies[0], rows = Array.from(body.rows), asc = th.dataset.asc !== '1';
        rows.sort(function(a, b){
          var x = a.cells[i].textContent, y = b.cells[i].textContent;
          return (asc ? 1 : -1) * x.localeCompare(y, 'zh', {numeric: true});
        });
        th.dataset.asc = asc ? '1' : '0';
        rows.forEach(function(r){ body.appendChild(r); });
      });
    });
  });
  document.body.dataset.errors = errors;
  document.body.dataset.ready = '1';
})();
"""


def _page(out: Path, parts: list[str]) -> str:
    nav = " ".join(f'<a href="#{k}">{t}</a>' for k, t in (("summary", "Summary"), ("coverage", "Coverage"),
                                                          ("problems", "Problems"), ("series", "Series"),
                                                          ("narrative", "Prose vs tables")))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>政府信息公开年报数据集质量报告 — {e(out.name)}</title>
<style>{STYLE}</style></head>
<body>
<h1>政府信息公开工作年度报告：数据集质量报告 <small>({e(out)})</small></h1>
<nav>{nav}</nav>
{''.join(parts)}
<script>{SCRIPT}</script>
</body></html>
"""
