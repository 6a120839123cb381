"""Archive figures: time and peak memory of `extract panel OUT` and `extract report OUT` (the
quality page, its size in the line printed) on generated datasets.

    .venv/bin/python bench/bench_panel.py [--sizes 20000,200000] [--keep DIR]

A dataset of N reports is generated straight as Parquet parts (parsing N documents would take
far longer than the archive): N/10 agencies (county-level places of cpca's gazetteer × common
departments, a third of them also spelled with a 发布机构： label), ten years each (2015–2024: legacy, then
gioar-2019, then gioar-2021), 3% of the agency-years missing, 3% published twice; every modern
report has the full table 三 (182 cells) and the 2021 table 二 rows, so the cells table holds
~190 rows per report, as parsed datasets do. Memory is the peak RSS of the `extract panel`
process (getrusage of the child). Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extract.contract import TABLES  # noqa: E402
from extract.report import load_schema  # noqa: E402

DEPARTMENTS = ["人民政府", "教育局", "民政局", "财政局", "卫生健康局", "自然资源局", "住房和城乡建设局", "交通运输局",
               "农业农村局", "市场监督管理局", "人力资源和社会保障局", "生态环境局", "文化和旅游局", "应急管理局"]
PART_REPORTS = 5000


def places() -> list[str]:
    import cpca

    return sorted({a.name for code, a in cpca.ad_2_addr_dict.items() if a.rank == 2 and a.name not in ("市辖区", "县")})


DEFAULTS = {"latest": True}


def _schema(name: str) -> pa.Schema:
    types = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}
    return pa.schema([(c, types[t]) for c, t, _ in TABLES[name]])


def generate(out: Path, n_reports: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    schema = load_schema()
    t3_rows = [r.key for r in schema.tables["applications"].rows if "gioar-2021" in r.templates]
    t3_cols = [c.key for c in schema.tables["applications"].cols if not c.optional]
    counties = places()
    n_agencies = max(1, n_reports // 10)
    agencies = [(counties[i % len(counties)], DEPARTMENTS[(i // len(counties)) % len(DEPARTMENTS)])
                for i in range(n_agencies)]
    keys = [("applications", r, c) for r in t3_rows for c in t3_cols]
    keys += [("active_disclosure", r, c) for r in ("rules", "normative_documents") for c in ("issued", "repealed", "in_force")]
    index = {r: keys.index(("applications", r, "total")) for r in t3_rows}
    zeros = [0.0] * len(t3_rows) * len(t3_cols) + [1.0] * 6
    blank, nothing = [""] * len(keys), [None] * len(keys)
    reports, cells, part = [], [], 0

    def flush() -> None:
        nonlocal reports, cells, part
        if reports:
            for name, rows in (("reports", reports), ("cells", cells)):
                n = len(rows["report_id"])
                for c in rows:  # columns the generator does not set (ocr_confidence…): null
                    if len(rows[c]) < n:
                        rows[c] = [None] * n
                folder = out / f"{name}.parquet"
                folder.mkdir(parents=True, exist_ok=True)
                pq.write_table(pa.Table.from_pydict(rows, schema=_schema(name)), folder / f"part-{part:05d}.parquet")
            part += 1
        reports = {c: [] for c in _schema("reports").names}
        cells = {c: [] for c in _schema("cells").names}

    flush()
    made = 0
    for i, (place, dept) in enumerate(agencies):
        spellings = [place + dept, "发布机构：" + place + dept] if i % 3 == 0 else [place + dept]
        carried = 0
        for year in range(2015, 2025):
            if made >= n_reports:
                break
            if rng.random() < 0.03:
                continue  # a missing year
            template = "legacy" if year < 2019 else "gioar-2019" if year < 2021 else "gioar-2021"
            for copy in range(2 if rng.random() < 0.03 else 1):
                made += 1
                rid = hashlib.sha256(f"{i}-{year}-{copy}".encode()).hexdigest()
                row = {"report_id": rid, "source": f"gen/{rid[:12]}.html", "format": "html", "encoding": "utf-8",
                       "title": "", "agency": spellings[year % len(spellings)], "province": "", "city": "", "county": "",
                       "adcode": "", "year": year, "template": template, "status": "ok" if template != "legacy" else "partial",
                       "error": "", "n_cells": 0, "n_checks_failed": 0, "parser_version": "bench", "supersedes": ""}
                if template != "legacy":
                    new = rng.randint(0, 60)
                    out_next = rng.randint(0, 3)
                    values = list(zeros)
                    for key, v in (("new_requests", new), ("carried_from_last_year", carried),
                                   ("results_total", new + carried - out_next), ("carried_to_next_year", out_next)):
                        values[index[key]] = float(v)
                    k = len(keys)
                    cells["report_id"].extend([rid] * k)
                    for col, part_values in zip(("table", "row", "col"), zip(*keys)):
                        cells[col].extend(part_values)
                    cells["value"].extend(values)
                    cells["raw"].extend(str(int(v)) for v in values)
                    for col in ("row_label", "col_label", "unit", "flags"):
                        cells[col].extend(blank[:k])
                    cells["page"].extend(nothing[:k])
                    row["n_cells"] = k
                    if copy == 0:
                        carried = out_next
                for k in reports:  # columns the generator does not set (latest, failure…) take their default
                    reports[k].append(row.get(k, DEFAULTS.get(k)))
                if len(reports["report_id"]) >= PART_REPORTS:
                    flush()
    flush()


def build(out: Path, command: str = "panel") -> tuple[float, float, str]:
    start = time.perf_counter()
    args = ["--format", "parquet"] if command == "panel" else []
    proc = subprocess.Popen([sys.executable, "-m", "extract", command, str(out), *args],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    line = proc.stderr.read().strip()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"extract {command} failed: {line}")
    return seconds, usage.ru_maxrss / 1024, line


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="20000,200000")
    ap.add_argument("--keep", help="generate into this folder and keep it")
    args = ap.parse_args()
    print(f"load: {open('/proc/loadavg').read().split()[:3]}")
    for n in (int(s) for s in args.sizes.split(",")):
        out = Path(args.keep or tempfile.mkdtemp(prefix="bench-panel-")) / f"dataset-{n}"
        shutil.rmtree(out, ignore_errors=True)
        t = time.perf_counter()
        generate(out, n)
        size = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 2**20
        print(f"{n} reports generated in {time.perf_counter() - t:.1f}s ({size:.1f} MiB of Parquet)")
        seconds, peak, line = build(out)
        print(f"  extract panel: {seconds:.1f}s wall, peak RSS {peak:.0f} MiB\n  {line}")
        seconds, peak, line = build(out, "report")
        print(f"  extract report: {seconds:.1f}s wall, peak RSS {peak:.0f} MiB\n  {line}")
        if not args.keep:
            shutil.rmtree(out.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
