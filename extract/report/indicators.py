"""Comparable figures across eras (output.md `indicators`), and prose-against-table checks.

An indicator (gioar-schema.toml `[[indicators]]`) lists, per era, where a report gives the
figure, best first: a table cell (`applications.new_requests.total`), a sum of cells
(`sum:applications.denied_*.total`), or a statement (`statement:requests_received`). The first
source the report has wins. A statement for a part of the agency (flag scope) is never used.

`narrative.KEY` checks compare what the prose states with the table cell of the same figure.
A failing one is a finding about the report (they disagree in real reports), never a reason to
change a cell.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from .checks import TOLERANCE, CheckResult
from .legacy import LEGACY
from .schema import Schema
from .statements import Statement
from .templates import MatchedCell


@dataclass
class Indicator:
    indicator: str
    value: float
    source: str  # table | legacy_table | statement
    ref: str


def _usable(statements: list[Statement], key: str) -> list[Statement]:
    """The statements of a key that speak for the whole agency, exact figures first."""
    whole = [s for s in statements if s.key == key and "scope" not in s.flags]
    return sorted(whole, key=lambda s: "approximate" in s.flags)


def _cell_value(ref: str, cells: dict[str, MatchedCell]) -> float | None:
    cell = cells.get(ref)
    return None if cell is None else cell.value


def _sum(spec: str, cells: dict[str, MatchedCell]) -> tuple[float | None, str]:
    total, used = 0.0, []
    for part in spec.split(","):
        for name, cell in cells.items():
            if fnmatch.fnmatchcase(name, part) and not name.split(".")[1].startswith("extra_"):
                if cell.value is not None:
                    total += cell.value
                    used.append(name)
    return (total if used else None), spec


def _source(spec: str, cells: dict[str, MatchedCell], statements: list[Statement]) -> Indicator | None:
    if spec.startswith("statement:"):
        found = _usable(statements, spec.split(":", 1)[1])
        return Indicator("", found[0].value, "statement", found[0].sentence) if found else None
    if spec.startswith("sum:"):
        value, ref = _sum(spec[4:], cells)
        return None if value is None else Indicator("", value, "table", ref)
    value = _cell_value(spec, cells)
    if value is None:
        return None
    return Indicator("", value, "legacy_table" if spec.startswith(LEGACY + ".") else "table", spec)


def _by_name(cells: list[MatchedCell]) -> dict[str, MatchedCell]:
    return {f"{c.table}.{c.row}.{c.col}": c for c in cells if not c.row.startswith("extra_")}


def find_indicators(template: str, cells: list[MatchedCell], statements: list[Statement],
                    schema: Schema) -> list[Indicator]:
    """One row per indicator the report gives, from its era's best source."""
    by_name = _by_name(cells)
    out = []
    for spec in schema.indicators:
        for source in (spec.legacy if template == "legacy" else spec.modern):
            hit = _source(source, by_name, statements)
            if hit is not None:
                hit.indicator = spec.key
                out.append(hit)
                break
    return out


def _table_ref(key: str, template: str, schema: Schema) -> str | None:
    """The cell that holds the figure a statement key names, in this template's tables."""
    if template == "legacy":
        return f"{LEGACY}.{key}.reported"
    for spec in schema.indicators:
        if f"statement:{key}" in spec.modern or f"statement:{key}" in spec.legacy:
            cells = [s for s in spec.modern if not s.startswith(("statement:", "sum:"))]
            return cells[0] if cells else None
    return None


def narrative_checks(template: str, cells: list[MatchedCell], statements: list[Statement],
                     schema: Schema) -> list[CheckResult]:
    """`narrative.KEY`: pass when the prose states the figure the table prints for KEY."""
    by_name = _by_name(cells)
    out = []
    for key in dict.fromkeys(s.key for s in statements):
        ref = _table_ref(key, template, schema)
        value = _cell_value(ref, by_name) if ref else None
        stated = [s for s in _usable(statements, key) if "approximate" not in s.flags]
        if value is None or not stated:
            continue
        agree = [s for s in stated if abs(s.value - value) <= TOLERANCE]
        shown = (agree or stated)[0]
        out.append(CheckResult(f"narrative.{key}", "pass" if agree else "fail", shown.value, value,
                               f"{ref} vs the prose: {shown.sentence[:80]}"))
    return out
