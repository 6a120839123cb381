"""The indicators of the panel's reports, one column each (gioar-schema.toml `[[indicators]]`).

From the dataset's `indicators` table where it has one; a dataset written before that table
existed gets them from `cells` (and `statements`, if present) by the schema's `legacy` /
`modern` source lists, best first: "table.row.col" is a cell, "sum:a,b" (globs allowed) the sum
of the cells printed, "statement:key" the first figure stated for that key. A blank or dash cell
counts as 0, as in the checks; a cell that is not a number, or could not be placed, counts as
absent.
"""
from __future__ import annotations

import fnmatch

import duckdb
import pyarrow as pa

from ..report.schema import IndicatorSpec, load_schema
from .source import sql_string


def load_indicators() -> tuple[IndicatorSpec, ...]:
    """The schema's `[[indicators]]`, as the report wing reads them."""
    return tuple(load_schema().indicators)


def _cell_patterns(source: str) -> list[str]:
    return source[4:].split(",") if source.startswith("sum:") else [source]


def _cell_keys(source: str) -> list[str]:
    """The cells a source names, globs expanded over the schema's keys (applications.denied_*.total)."""
    from ..report import load_schema

    known = [f"{t}.{r}.{c}" for t, r, c in load_schema().cell_order()]
    keys = []
    for p in _cell_patterns(source):
        keys += [k for k in known if fnmatch.fnmatchcase(k, p)] if "*" in p else [p]
    return keys


def _expr(source: str, has_statements: bool) -> str | None:
    if source.startswith("statement:"):
        return f"s.{_col('st', source.split(':', 1)[1])}" if has_statements else None
    return f"p.{_col('src', source)}"


def _aggregate(source: str) -> str:
    keys = ", ".join(sql_string(k) for k in _cell_keys(source)) or "NULL"
    return f"{'sum' if source.startswith('sum:') else 'max'}(v) FILTER (WHERE key IN ({keys})) AS {_col('src', source)}"


def _col(prefix: str, key: str) -> str:
    return f'"{prefix}:{key}"'


def indicator_table(con: duckdb.DuckDBPyConnection, chosen: str, present: set[str]) -> list[str]:
    """Create table `panel_indicators(report_id, <indicator>…)` for the report_ids of the
    relation `chosen` (report_id, template); returns the indicator column names."""
    indicators = load_indicators()
    keys = [i.key for i in indicators]
    if "indicators" in present:
        cols = ", ".join(f"max(value) FILTER (WHERE indicator = {sql_string(k)}) AS \"{k}\"" for k in keys)
        con.execute(f"""CREATE TABLE panel_indicators AS
            SELECT i.report_id, {cols or 'NULL AS none'} FROM indicators i
            WHERE i.report_id IN (SELECT report_id FROM {chosen}) GROUP BY i.report_id""")
        return keys
    sources = sorted({s for i in indicators for s in i.legacy + i.modern if not s.startswith("statement:")})
    wanted = sorted({k for s in sources for k in _cell_keys(s)})
    if "cells" in present and wanted:
        con.register("ind_keys", pa.table({"table": [k.split(".")[0] for k in wanted],
                                           "row": [k.split(".")[1] for k in wanted],
                                           "col": [k.split(".")[2] for k in wanted]}))
        con.execute(f"""CREATE TABLE ind_cells AS
            SELECT c.report_id, c."table" || '.' || c."row" || '.' || c.col AS key,
                CASE WHEN c.value IS NOT NULL THEN c.value
                     WHEN (c.flags LIKE '%blank%' OR c.flags LIKE '%dash%') AND c.flags NOT LIKE '%unplaced%' THEN 0
                END AS v
            FROM cells c JOIN ind_keys k ON c."table" = k."table" AND c."row" = k."row" AND c.col = k.col
            WHERE c.report_id IN (SELECT report_id FROM {chosen})""")
        con.unregister("ind_keys")
    else:
        con.execute("CREATE TABLE ind_cells (report_id VARCHAR, key VARCHAR, v DOUBLE)")
    con.execute(f"""CREATE TABLE ind_pivot AS SELECT report_id{''.join(', ' + _aggregate(s) for s in sources)}
        FROM ind_cells GROUP BY report_id""")
    has_statements = "statements" in present
    stated = sorted({s.split(":", 1)[1] for i in indicators for s in i.legacy + i.modern if s.startswith("statement:")})
    if has_statements and stated:
        cols = ", ".join(f"arg_min(value, start) FILTER (WHERE key = {sql_string(k)}) AS {_col('st', k)}" for k in stated)
        con.execute(f"""CREATE TABLE ind_statements AS SELECT report_id, {cols} FROM statements
            WHERE report_id IN (SELECT report_id FROM {chosen}) GROUP BY report_id""")
    else:
        has_statements = False

    def coalesce(sources: tuple[str, ...]) -> str:
        exprs = [e for e in (_expr(s, has_statements) for s in sources) if e]
        return f"coalesce({', '.join(exprs)})" if len(exprs) > 1 else (exprs[0] if exprs else "NULL")

    cols = ", ".join(f"CAST(CASE WHEN c.template = 'legacy' THEN {coalesce(i.legacy)} ELSE {coalesce(i.modern)} END "
                     f"AS DOUBLE) AS \"{i.key}\"" for i in indicators)
    join = "LEFT JOIN ind_pivot p USING (report_id)"
    join += " LEFT JOIN ind_statements s USING (report_id)" if has_statements else ""
    con.execute(f"""CREATE TABLE panel_indicators AS
        SELECT c.report_id{', ' + cols if cols else ''} FROM {chosen} c {join}""")
    return keys
