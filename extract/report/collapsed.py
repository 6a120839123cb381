"""Rows whose runs of equal cells were collapsed, placed by the identities (勾稽关系).

Some crawlers drop a line that repeats the line before it, so a row printed `19 0 0 1 0 0 20`
arrives as `19 0 1 0 20`. The row alone cannot say where the runs were; the identities often
can. Every way of widening the runs back to the row's width is tried, and the values are placed
only when exactly one of them satisfies every identity that involves the row (at least one such
identity must be assessable); those cells are flagged `placed_by_identity`. Otherwise the row
stays null and flagged `unplaced`, as any row that does not fit. Nothing is guessed.

A short row is read as collapsed only in a document that shows this damage: no row of it
prints two equal neighbours (a document that does has not lost its repeats), and some short
row of two or more values is explained by widening. A row of a single value is otherwise just
as well a row that printed only one cell (real-011 prints only 总计, its other cells blank).
"""
from __future__ import annotations

import dataclasses
import logging
from itertools import combinations
from math import comb

from .checks import run_checks
from .schema import Schema
from .templates import CollapsedRow, TableMatch, Token
from .values import parse_value

log = logging.getLogger(__name__)

MAX_PLACEMENTS = 20000  # ways to widen a row's runs; beyond this the row stays null
FLAG = "placed_by_identity"


def widenings(n_values: int, width: int):
    """Every way to give n runs lengths of at least 1 that add up to `width`."""
    for cuts in combinations(range(1, width), n_values - 1):
        bounds = (0, *cuts, width)
        yield [bounds[i + 1] - bounds[i] for i in range(n_values)]


def place_collapsed(tables: dict[str, TableMatch], schema: Schema) -> None:
    """Place the collapsed rows of each table that the identities decide (in place)."""
    rows = [(m, r) for m in tables.values() for r in m.collapsed]
    if not rows or _repeats_printed(tables):
        return
    before: dict[int, dict[str, str]] = {}  # each table's check statuses, until a row is placed
    tried: dict[int, list] = {}  # a row's placements, until a row of its table is placed

    def placements(match: TableMatch, row: CollapsedRow) -> list[list[Token]]:
        if id(match) not in before:
            before[id(match)] = {c.check: c.status for c in run_checks(match.cells, schema)}
        if id(row) not in tried:
            tried[id(row)] = _placements(match, row, schema, before[id(match)], 2)
        return tried[id(row)]

    if not any(len(r.values) >= 2 and placements(m, r) for m, r in rows):
        return
    failing = {id(m): _failing(m, schema) for m, _ in rows}
    undo: dict[int, list] = {}  # what each table's placements changed, to take them back
    placed_any = True
    while rows and placed_any:  # a row placed may make another row's identities assessable
        placed_any = False
        for match, row in list(rows):
            found = placements(match, row)
            if len(found) != 1:
                continue
            before.pop(id(match))
            for other in match.collapsed:
                tried.pop(id(other), None)
            undo.setdefault(id(match), []).append(
                (match, row.problem, len(match.problems) and match.problems.index(row.problem),
                 [(c, c.value, c.raw, c.flags, c.page) for c in row.cells]))
            for cell, tok in zip(row.cells, found[0]):
                cell.value, cell.raw = parse_value(tok.text).value, tok.text
                cell.flags = [f for f in cell.flags if f != "unplaced"] + [FLAG]
                cell.page = tok.page or cell.page
            shown = " ".join(t.text for t in row.values)
            match.problems[match.problems.index(row.problem)] = (
                f"{row.what}: collapsed runs {shown!r} placed by the identities")
            rows.remove((match, row))
            placed_any = True
    # Placed together, the rows must break no identity of their table that held before: rows
    # that were given another row's values (labels and values apart) would. Then none is placed.
    for changes in undo.values():
        match = changes[0][0]
        if _failing(match, schema) - failing[id(match)]:
            for _, problem, at, cells in changes:
                match.problems[at] = problem
                for cell, value, raw, flags, page in cells:
                    cell.value, cell.raw, cell.flags, cell.page = value, raw, flags, page


def _failing(match: TableMatch, schema: Schema) -> set[str]:
    return {c.check for c in run_checks(match.cells, schema) if c.status == "fail"}


def _repeats_printed(tables: dict[str, TableMatch]) -> bool:
    """Whether some row prints two equal neighbouring values (so repeats were not dropped)."""
    for match in tables.values():
        for values in match.received:
            numbers = [parse_value(t.text).value for t in values]
            if any(a is not None and a == b for a, b in zip(numbers, numbers[1:])):
                return True
    return False


def _placements(match: TableMatch, row: CollapsedRow, schema: Schema, before: dict[str, str],
                limit: int) -> list[list[Token]]:
    """Widenings of the row that satisfy every identity they make assessable (up to `limit`);
    `before` is the status of each check with the row unplaced."""
    width, n = len(row.cells), len(row.values)
    numbers = [parse_value(t.text).value for t in row.values]
    if not 0 < n < width or any(v is None for v in numbers) or comb(width - 1, n - 1) > MAX_PLACEMENTS:
        return []
    if any(a == b for a, b in zip(numbers, numbers[1:])):
        return []  # two equal neighbours were not collapsed: not this kind of damage
    at = {id(c): i for i, c in enumerate(match.cells)}
    found: list[list[Token]] = []
    for lengths in widenings(n, width):
        values = [tok for tok, k in zip(row.values, lengths) for _ in range(k)]
        widened = [dataclasses.replace(cell, value=parse_value(tok.text).value, raw=tok.text, flags=[])
                   for cell, tok in zip(row.cells, values)]
        if any(c.status == "fail" for c in run_checks(widened, schema)):
            continue  # the row's own identities (its total) already rule it out
        trial = list(match.cells)
        for cell, new in zip(row.cells, widened):
            trial[at[id(cell)]] = new
        now = [c for c in run_checks(trial, schema)
               if before.get(c.check) == "not_assessable" and c.status != "not_assessable"]
        if now and all(c.status == "pass" for c in now):
            found.append(values)
            if len(found) >= limit:
                break
    return found
