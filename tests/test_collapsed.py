"""Collapsed runs of equal cells (a crawler that drops a line repeating the one before it),
placed only where the identities leave exactly one placement."""
from __future__ import annotations

import json

import extract
import parsers
from conftest import DOCS, EXPECTED
from parsers.model import Table

from extract.report.collapsed import widenings


def _crawled_with_repeats_dropped(name: str) -> bytes:
    """The page as crawler text (one cell per line), every line equal to the one before dropped."""
    doc = parsers.read((DOCS / name).read_bytes(), name)
    lines: list[str] = []
    for b in doc.blocks:
        lines += [c.text.strip() for c in b.cells if c.text.strip()] if isinstance(b, Table) else [b.text]
    return "\n".join(line for i, line in enumerate(lines) if i == 0 or line != lines[i - 1]).encode()


def _truth(name: str) -> dict:
    truth = json.loads((EXPECTED / name).read_text("utf-8"))
    return {(c["table"], c["row"], c["col"]): c["value"] for c in truth["cells"]}


def _row(report, table, row):
    return [(c.value, "placed_by_identity" in c.flags, "unplaced" in c.flags)
            for c in report.cells if (c.table, c.row) == (table, row)]


def test_widenings_give_every_run_length():
    assert sorted(widenings(2, 3)) == [[1, 2], [2, 1]]
    assert len(list(widenings(5, 7))) == 15


def test_collapsed_runs_of_equal_cells_placed_only_by_identities():
    """real-putian-cgj-2023 as a crawler that drops repeated lines prints it: '19 0 0 1 0 0 20'
    arrives as '19 0 1 0 20'. Rows the identities decide are placed and flagged; the rows
    whose 1 could sit in three columns that every identity allows stay null and flagged."""
    r = extract.parse_bytes(_crawled_with_repeats_dropped("real-putian-cgj-2023.html"), "putian-crawled.txt")
    truth = _truth("real-putian-cgj-2023.expected.json")
    got = {(c.table, c.row, c.col): c for c in r.cells}
    for key, want in truth.items():
        cell = got.get(key)
        assert cell is not None, key
        # never a wrong number: right, or null and flagged
        assert cell.value == want or (cell.value is None and "unplaced" in cell.flags), (key, cell.value, want)
    assert _row(r, "applications", "granted") == [(2, True, False)] + [(0, True, False)] * 5 + [(2, True, False)]
    assert _row(r, "applications", "unavailable_not_held")[0] == (13, True, False)
    for row in ("new_requests", "partially_granted", "results_total"):
        assert all(v is None and unplaced for v, _, unplaced in _row(r, "applications", row)), row
    assert "applications: row '（一）予以公开': collapsed runs '2 0 2' placed by the identities" in r.error
    assert "'19 0 1 0 20' does not fit 7 columns; left null" in r.error
    placed = sum("placed_by_identity" in c.flags for c in r.cells)
    assert placed == 154
    assert all(ch.status != "fail" for ch in r.checks)


def test_collapsed_rows_decided_by_the_column_balance():
    """real-pingtan-2023 the same way: '80 1 0 81' is placed (the column identities leave one
    placement), and every placed cell is the one the page prints."""
    r = extract.parse_bytes(_crawled_with_repeats_dropped("real-pingtan-2023.html"), "pingtan-crawled.txt")
    truth = _truth("real-pingtan-2023.expected.json")
    placed = [c for c in r.cells if "placed_by_identity" in c.flags]
    assert len(placed) == 175
    assert all(c.value == truth[(c.table, c.row, c.col)] for c in placed)
    assert [v for v, _, _ in _row(r, "applications", "new_requests")] == \
        [truth[("applications", "new_requests", col)] for col in
         ("natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
          "legal_service_org", "other_org", "total")]


def test_equal_neighbours_are_not_collapsed_runs():
    """'3 | 3' (only the non-zero cells printed, formats.md D4) is not this damage: left null."""
    from test_templates import T2_2021, T3_HEAD, T4, parse, t3_rows

    r = parse(T2_2021 + T3_HEAD + t3_rows({"(一)予以公开": "3 | 3"}) + T4)
    assert all(c.value is None and "unplaced" in c.flags for c in r.cells if c.row == "granted")


def test_a_row_printing_only_its_total_is_not_a_collapsed_run():
    """real-011 prints only 总计 ('0'), its other cells blank: one value is just as well one cell
    printed, and nothing in the document shows dropped repeats, so nothing is placed."""
    r = extract.parse_file(DOCS / "real-011.txt")
    assert not [c for c in r.cells if "placed_by_identity" in c.flags]
    new = [c for c in r.cells if c.row == "new_requests"]
    assert new and all(c.value is None and "unplaced" in c.flags for c in new)
