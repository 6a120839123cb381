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
    """Create temp table panel_checks from temp tables panel, panel_indicators and the cells view.
    Pairs are of consecutive years whose chosen documents were both read (not failed)."""
    con.execute(f"""CREATE TEMP TABLE pairs AS
        SELECT a.agency_id, b.year, a.report_id AS id_a, b.report_id AS id_b,
               a.template AS t_a, b.template AS t_b, a.report_id || ';' || b.report_id AS report_ids
        FROM panel a JOIN panel b ON a.agency_id = b.agency_id AND b.year = a.year + 1
        WHERE a.status <> 'failed' AND b.status <> 'failed'""")
    con.execute("""CREATE TEMP TABLE terms AS
        SELECT report_id, "table" AS tbl, "row" AS r, col,
               CASE WHEN value IS NOT NULL THEN value
                    WHEN (flags LIKE '%blank%' OR flags LIKE '%dash%') AND flags NOT LIKE '%unplaced%' THEN 0
               END AS v
        FROM cells
        WHERE report_id IN (SELECT id_a FROM pairs UNION SELECT id_b FROM pairs)
          AND ((\"table\" = 'applications' AND \"row\" IN ('carried_to_next_year', 'carried_from_last_year'))
            OR (\"table\" = 'active_disclosure' AND col IN ('issued', 'repealed', 'in_force'))
            OR (\"table\" = 'legacy_statistics' AND col IN ('reported', 'cumulative')))""")
    carry = f"""
        WITH a AS (SELECT report_id, col, v FROM terms WHERE tbl = 'applications' AND r = 'carried_to_next_year'),
             b AS (SELECT report_id, col, v FROM terms WHERE tbl = 'applications' AND r = 'carried_from_last_year'),
             k AS (SELECT id_a, id_b, col FROM pairs JOIN a ON a.report_id = id_a
                   UNION SELECT id_a, id_b, col FROM pairs JOIN b ON b.report_id = id_b
                   UNION SELECT id_a, id_b, 'total' FROM pairs)
        SELECT p.agency_id, p.year, 'carry_over[' || k.col || ']' AS "check", a.v AS lhs, b.v AS rhs, p.report_ids
        FROM pairs p JOIN k ON k.id_a = p.id_a AND k.id_b = p.id_b
        LEFT JOIN a ON a.report_id = p.id_a AND a.col = k.col
        LEFT JOIN b ON b.report_id = p.id_b AND b.col = k.col
        WHERE p.t_a IN {MODERN} AND p.t_b IN {MODERN}"""
    rows = ", ".join(f"('{r}')" for r in IN_FORCE_ROWS)
    in_force = f"""
        WITH d AS (SELECT report_id, r, max(v) FILTER (WHERE col = 'issued') AS issued,
                          max(v) FILTER (WHERE col = 'repealed') AS repealed,
                          max(v) FILTER (WHERE col = 'in_force') AS in_force
                   FROM terms WHERE tbl = 'active_disclosure' GROUP BY report_id, r)
        SELECT p.agency_id, p.year, 'in_force[' || k.r || ']', a.in_force + b.issued - b.repealed, b.in_force, p.report_ids
        FROM pairs p CROSS JOIN (VALUES {rows}) k(r)
        LEFT JOIN d a ON a.report_id = p.id_a AND a.r = k.r
        LEFT JOIN d b ON b.report_id = p.id_b AND b.r = k.r
        WHERE p.t_b = 'gioar-2021' AND p.t_a IN ('gioar-2021', 'hybrid')"""
    cumulative = """
        WITH l AS (SELECT report_id, r, max(v) FILTER (WHERE col = 'reported') AS reported,
                          max(v) FILTER (WHERE col = 'cumulative') AS cumulative,
                          bool_or(col = 'cumulative') AS printed
                   FROM terms WHERE tbl = 'legacy_statistics' GROUP BY report_id, r),
             k AS (SELECT id_a, id_b, r FROM pairs JOIN l ON l.report_id = id_a WHERE l.printed
                   UNION SELECT id_a, id_b, r FROM pairs JOIN l ON l.report_id = id_b WHERE l.printed)
        SELECT p.agency_id, p.year, 'cumulative[' || k.r || ']', a.cumulative + b.reported, b.cumulative, p.report_ids
        FROM pairs p JOIN k ON k.id_a = p.id_a AND k.id_b = p.id_b
        LEFT JOIN l a ON a.report_id = p.id_a AND a.r = k.r
        LEFT JOIN l b ON b.report_id = p.id_b AND b.r = k.r"""
    outliers = [f"""
        SELECT p.agency_id, p.year, 'outlier[{k}]', a."{k}", b."{k}", p.report_ids, 'outlier' AS rule
        FROM pairs p JOIN panel_indicators a ON a.report_id = p.id_a JOIN panel_indicators b ON b.report_id = p.id_b
        WHERE a."{k}" IS NOT NULL AND b."{k}" IS NOT NULL""" for k in indicators]
    identities = " UNION ALL ".join(f"SELECT *, 'identity' AS rule FROM ({q})" for q in (carry, in_force, cumulative))
    everything = " UNION ALL ".join([identities, *outliers])
    ratio = f"greatest(lhs, rhs) / greatest(least(lhs, rhs), 1)"
    con.execute(f"""CREATE TEMP TABLE panel_checks AS
        SELECT agency_id, CAST(year AS BIGINT) AS year, "check",
               CASE WHEN rule = 'outlier' THEN (CASE WHEN {ratio} >= {OUTLIER_RATIO} THEN 'review' ELSE 'pass' END)
                    ELSE {_status('lhs', 'rhs')} END AS status,
               CAST(lhs AS DOUBLE) AS lhs, CAST(rhs AS DOUBLE) AS rhs, report_ids
        FROM ({everything}) q(agency_id, year, "check", lhs, rhs, report_ids, rule)
        ORDER BY agency_id, year, "check" """)
