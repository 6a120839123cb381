"""The cross-year identities (panel_checks), between an agency's reports of consecutive years N
and N+1 (the panel's chosen reports):

- carry_over[col]: 结转下年度继续办理 of N = 上年结转 of N+1, per column of table 三, for every
  pair of modern reports (gioar-2019, gioar-2021, hybrid);
- in_force[row]: 现行有效件数 of N + 本年制发 − 本年废止 of N+1 = 现行有效 of N+1, for 规章 and
  规范性文件, where N+1 prints the 2021 columns and N its 现行有效件数;
- cumulative[row]: 历年累计 of N + 本年 of N+1 = 历年累计 of N+1, per row of a legacy statistics
  table that prints 历年累计;
- outlier[indicator]: an indicator that jumps by OUTLIER_RATIO or more either way is `review`,
  never a fail (from 0, a jump to OUTLIER_RATIO or more counts).

A blank or dash cell counts as 0, as in the per-report checks; a term that is missing (not
printed, not a number, or not placed) makes the check not_assessable.
"""
from __future__ import annotations

import duckdb

OUTLIER_RATIO = 10.0
TOLERANCE = 1e-6
MODERN = "('gioar-2019', 'gioar-2021', 'hybrid')"
IN_FORCE_ROWS = ("rules", "normative_documents")


def _status(lhs: str, rhs: str) -> str:
    return (f"CASE WHEN {lhs} IS NULL OR {rhs} IS NULL THEN 'not_assessable' "
            f"WHEN abs({lhs} - {rhs}) <= {TOLERANCE} THEN 'pass' ELSE 'fail' END")


def build_panel_checks(con: duckdb.DuckDBPyConnection, indicators: list[str]) -> None:
    """Create table panel_checks from tables panel, panel_indicators and the cells view.
    Pairs are of consecutive years whose chosen documents were both read (not failed)."""
    con.execute(f"""CREATE TABLE pairs AS
        SELECT a.agency_id, b.year, a.report_id AS id_a, b.report_id AS id_b,
               a.template AS t_a, b.template AS t_b, a.report_id || ';' || b.report_id AS report_ids
        FROM panel a JOIN panel b ON a.agency_id = b.agency_id AND b.year = a.year + 1
        WHERE a.status <> 'failed' AND b.status <> 'failed'""")
    con.execute("""CREATE TABLE terms AS
        SELECT report_id, "table" AS tbl, "row" AS r, col,
               CASE WHEN value IS NOT NULL THEN value
                    WHEN (flags LIKE '%blank%' OR flags LIKE '%dash%') AND flags NOT LIKE '%unplaced%' THEN 0
               END AS v
        FROM cells
        WHERE report_id IN (SELECT id_a FROM pairs UNION SELECT id_b FROM pairs)
          AND ((\"table\" = 'applications' AND \"row\" IN ('carried_to_next_year', 'carried_from_last_year'))
            OR (\"table\" = 'active_disclosure' AND col IN ('issued', 'repealed', 'in_force'))
            OR (\"table\" = 'legacy_statistics' AND col IN ('reported', 'cumulative')))""")
    # Each family is inserted on its own, from tables rather than CTEs: DuckDB keeps a CTE's result
    # in memory, a table's it can evict, so memory stays bounded however many pairs there are.
    con.execute(f"""CREATE TABLE panel_checks (agency_id VARCHAR, year BIGINT, "check" VARCHAR, status VARCHAR,
                                               lhs DOUBLE, rhs DOUBLE, report_ids VARCHAR)""")

    def insert(select: str, rule: str = "identity") -> None:
        status = (f"CASE WHEN greatest(lhs, rhs) / greatest(least(lhs, rhs), 1) >= {OUTLIER_RATIO} THEN 'review' "
                  "ELSE 'pass' END" if rule == "outlier" else _status("lhs", "rhs"))
        con.execute(f"""INSERT INTO panel_checks SELECT agency_id, year, "check", {status}, lhs, rhs, report_ids
                        FROM ({select}) q(agency_id, year, "check", lhs, rhs, report_ids)""")

    con.execute("""CREATE TABLE carried AS
        SELECT report_id, col, max(v) FILTER (WHERE r = 'carried_to_next_year') AS to_next,
               max(v) FILTER (WHERE r = 'carried_from_last_year') AS from_last,
               bool_or(r = 'carried_to_next_year') AS has_to_next, bool_or(r = 'carried_from_last_year') AS has_from_last
        FROM terms WHERE tbl = 'applications' GROUP BY report_id, col""")
    con.execute(f"""CREATE TABLE carry_keys AS
        SELECT id_a, id_b, col FROM pairs JOIN carried c ON c.report_id = id_a WHERE c.has_to_next
           AND t_a IN {MODERN} AND t_b IN {MODERN}
        UNION SELECT id_a, id_b, col FROM pairs JOIN carried c ON c.report_id = id_b WHERE c.has_from_last
           AND t_a IN {MODERN} AND t_b IN {MODERN}
        UNION SELECT id_a, id_b, 'total' FROM pairs WHERE t_a IN {MODERN} AND t_b IN {MODERN}""")
    insert("""SELECT p.agency_id, p.year, 'carry_over[' || k.col || ']', a.to_next, b.from_last, p.report_ids
              FROM carry_keys k JOIN pairs p ON k.id_a = p.id_a AND k.id_b = p.id_b
              LEFT JOIN carried a ON a.report_id = p.id_a AND a.col = k.col
              LEFT JOIN carried b ON b.report_id = p.id_b AND b.col = k.col""")
    con.execute("""CREATE TABLE documents AS
        SELECT report_id, r, max(v) FILTER (WHERE col = 'issued') AS issued, max(v) FILTER (WHERE col = 'repealed') AS repealed,
               max(v) FILTER (WHERE col = 'in_force') AS in_force
        FROM terms WHERE tbl = 'active_disclosure' GROUP BY report_id, r""")
    rows = ", ".join(f"('{r}')" for r in IN_FORCE_ROWS)
    insert(f"""SELECT p.agency_id, p.year, 'in_force[' || k.r || ']', a.in_force + b.issued - b.repealed, b.in_force,
                      p.report_ids
               FROM pairs p CROSS JOIN (VALUES {rows}) k(r)
               LEFT JOIN documents a ON a.report_id = p.id_a AND a.r = k.r
               LEFT JOIN documents b ON b.report_id = p.id_b AND b.r = k.r
               WHERE p.t_b = 'gioar-2021' AND p.t_a IN ('gioar-2021', 'hybrid')""")
    con.execute("""CREATE TABLE legacy AS
        SELECT report_id, r, max(v) FILTER (WHERE col = 'reported') AS reported,
               max(v) FILTER (WHERE col = 'cumulative') AS cumulative, bool_or(col = 'cumulative') AS printed
        FROM terms WHERE tbl = 'legacy_statistics' GROUP BY report_id, r""")
    con.execute("""CREATE TABLE legacy_keys AS
        SELECT id_a, id_b, r FROM pairs JOIN legacy l ON l.report_id = id_a WHERE l.printed
        UNION SELECT id_a, id_b, r FROM pairs JOIN legacy l ON l.report_id = id_b WHERE l.printed""")
    insert("""SELECT p.agency_id, p.year, 'cumulative[' || k.r || ']', a.cumulative + b.reported, b.cumulative, p.report_ids
              FROM legacy_keys k JOIN pairs p ON k.id_a = p.id_a AND k.id_b = p.id_b
              LEFT JOIN legacy a ON a.report_id = p.id_a AND a.r = k.r
              LEFT JOIN legacy b ON b.report_id = p.id_b AND b.r = k.r""")
    for k in indicators:
        insert(f"""SELECT p.agency_id, p.year, 'outlier[{k}]', a."{k}", b."{k}", p.report_ids
                   FROM pairs p JOIN panel_indicators a ON a.report_id = p.id_a JOIN panel_indicators b ON b.report_id = p.id_b
                   WHERE a."{k}" IS NOT NULL AND b."{k}" IS NOT NULL""", rule="outlier")
