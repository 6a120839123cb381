"""The identities (勾稽关系) of the schema, evaluated per column or per row.

A check is `pass`, `fail`, or `not_assessable` when a term's cell is not in the document (or
was left null because it could not be placed). A blank or dash cell counts as 0 and the check
says so in its note. Failing checks change no value: real reports contain arithmetic errors,
and the dataset reports them as printed.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from .schema import Schema
from .templates import MatchedCell

TOLERANCE = 1e-6


@dataclass
class CheckResult:
    check: str
    status: str  # pass | fail | not_assessable
    lhs: float | None
    rhs: float | None
    note: str = ""
    cells: list[tuple[str, str, str]] = field(default_factory=list)  # (table, row, col) of the cells it adds up


def _expand(patterns: tuple[str, ...], names: list[str]) -> list[str]:
    out: list[str] = []
    for p in patterns:
        out.extend(n for n in names if fnmatch.fnmatchcase(n, p) and n not in out)
    return out


def _side(keys: list[str], lookup: dict[str, MatchedCell]) -> tuple[float | None, list[str], list[str]]:
    """Sum of the cells named; also which were missing and which were blank (counted 0)."""
    total, missing, blank = 0.0, [], []
    for k in keys:
        cell = lookup.get(k)
        if cell is None or "unplaced" in cell.flags:
            missing.append(k)
        elif cell.value is None:
            if "blank" in cell.flags or "dash" in cell.flags:
                blank.append(k)
            else:
                missing.append(k)  # printed, but not a number
        else:
            total += cell.value
    return (None if missing else total), missing, blank


def _evaluate(check_id: str, lhs_keys: list[str], rhs_keys: list[str], lookup: dict[str, MatchedCell],
              cells: list[tuple[str, str, str]], kind: str = "equal", soft: bool = False) -> CheckResult:
    lhs, miss_l, blank_l = _side(lhs_keys, lookup)
    rhs, miss_r, blank_r = _side(rhs_keys, lookup)
    blanks = blank_l + blank_r
    notes = (["soft identity (a heuristic)"] if soft else []) + (
        [f"blank cells counted as 0: {len(blanks)}"] if blanks else [])
    if lhs is None or rhs is None:
        missing = ", ".join(miss_l + miss_r)
        return CheckResult(check_id, "not_assessable", lhs, rhs, f"missing: {missing}", cells)
    holds = lhs >= rhs - TOLERANCE if kind == "at_least" else abs(lhs - rhs) <= TOLERANCE
    return CheckResult(check_id, "pass" if holds else "fail", lhs, rhs, "; ".join(notes), cells)


def _other_rows(rows: list[str]) -> list[str]:
    """（六）其他处理 is one row (2019) or three (2021); a report prints one form or the other."""
    if "other_handling" in rows:
        return ["other_handling"]
    return ["other_overdue_correction", "other_unpaid_fee", "other_other"]


def run_checks(cells: list[MatchedCell], schema: Schema) -> list[CheckResult]:
    by_table: dict[str, dict[tuple[str, str], MatchedCell]] = {}
    for c in cells:
        if not c.row.startswith("extra_"):
            by_table.setdefault(c.table, {})[(c.row, c.col)] = c
    # Each table's rows (in order), columns (in order) and columns per row, built once.
    shape: dict[str, tuple[list[str], list[str], dict[str, set[str]]]] = {}
    for table, cells_t in by_table.items():
        cols_of: dict[str, set[str]] = {}
        for r, c in cells_t:
            cols_of.setdefault(r, set()).add(c)
        shape[table] = (list(cols_of), list(dict.fromkeys(c for _, c in cells_t)), cols_of)
    results: list[CheckResult] = []
    for check in schema.checks:
        if check.per == "col":
            table = check.table or check.lhs[0].split(".")[0]
            cells_t = by_table.get(table)
            if not cells_t:
                continue
            spec = schema.tables[table]
            schema_rows = [r.key for r in spec.rows if r.key != "other_handling"
                           and not r.key.startswith("other_")]
            rows, cols, _ = shape[table]
            rows_all = schema_rows + _other_rows(sorted(rows))
            lhs_rows = _expand(tuple(k.split(".", 1)[1] for k in check.lhs), rows_all)
            rhs_rows = _expand(tuple(k.split(".", 1)[1] for k in check.rhs), rows_all)
            for col in cols:
                lookup = {r: cells_t[(r, col)] for r in lhs_rows + rhs_rows if (r, col) in cells_t}
                lhs_c, rhs_c = lhs_rows, rhs_rows
                if check.terms == "printed":
                    # Legacy tables print some of the terms: the identity holds over those.
                    lhs_c, rhs_c = [r for r in lhs_rows if r in lookup], [r for r in rhs_rows if r in lookup]
                    if not lhs_c or not rhs_c:
                        continue
                results.append(_evaluate(f"{check.id}[{col}]", lhs_c, rhs_c, lookup,
                                         [(table, r, col) for r in lhs_c + rhs_c], check.kind, check.soft))
        else:
            table = check.table_key
            cells_t = by_table.get(table)
            if not cells_t:
                continue
            rows, _, cols_of = shape[table]
            for row in rows:
                if check.lhs[0] not in cols_of[row]:
                    continue  # the row has no such column (an optional 小计, a cut-off row)
                lookup = {c: cells_t[(row, c)] for c in (*check.lhs, *check.rhs) if (row, c) in cells_t}
                results.append(_evaluate(f"{check.id}[{row}]", list(check.lhs), list(check.rhs), lookup,
                                         [(table, row, c) for c in (*check.lhs, *check.rhs)], check.kind, check.soft))
    return results
