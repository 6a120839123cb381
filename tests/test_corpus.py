"""Every corpus document with an expected file, compared with it cell for cell."""
from __future__ import annotations

import json

import pytest

import extract
from conftest import DOCS, expected_files


@pytest.mark.parametrize("truth_path", expected_files(), ids=lambda p: p.name.split(".")[0])
def test_document_matches_expected(truth_path):
    truth = json.loads(truth_path.read_text("utf-8"))
    report = extract.parse_file(DOCS / truth["source"])
    got = {(c.table, c.row, c.col): c.value for c in report.cells}
    want = {(c["table"], c["row"], c["col"]): c["value"] for c in truth["cells"]}
    wrong = {k: (v, got.get(k, "absent")) for k, v in want.items()
             if k not in got or (None if got[k] is None else float(got[k])) != (None if v is None else float(v))}
    assert not wrong, f"{len(wrong)} cells differ (want, got): {dict(list(wrong.items())[:8])}"
    # Every figure the prose states is found (legacy expected files list them).
    stated = {(s.key, s.value) for s in report.statements}
    missing = [s for s in truth.get("statements", []) if (s["key"], float(s["value"])) not in stated]
    assert not missing, f"{len(missing)} statements not found: {missing[:4]}"
    for field, value in truth.get("report", {}).items():
        assert getattr(report, field) == value, field
    # A value is never invented: every number we give was printed in the document.
    for c in report.cells:
        assert c.value is None or c.raw, (c.table, c.row, c.col)
    assert report.status in ("ok", "partial")


def test_seed_whole_record(seed_report):
    r = seed_report
    assert (r.agency, r.year, r.template, r.status, r.error) == ("漳平市教育局", 2020, "gioar-2019", "ok", "")
    assert (r.province, r.city, r.county, r.adcode) == ("福建省", "龙岩市", "漳平市", "350881")
    assert r.n_cells == 198
    truth = json.loads((DOCS.parent / "expected" / "000_3c2b94a00d1a4e64.expected.json").read_text("utf-8"))
    assert {(c.table, c.row, c.col) for c in r.cells} == {(c["table"], c["row"], c["col"]) for c in truth["cells"]}
    # blank and 0 are kept apart
    cells = {(c.table, c.row, c.col): c for c in r.cells}
    blank = cells[("applications", "new_requests", "natural_person")]
    zero = cells[("applications", "new_requests", "total")]
    assert (blank.value, blank.raw, blank.flags) == (None, "", ["blank"])
    assert (zero.value, zero.raw, zero.flags) == (0.0, "0", [])
    assert [(s.number, s.key) for s in r.sections] == [
        ("一", "overview"), ("二", "active_disclosure"), ("三", "applications"),
        ("四", "review_litigation"), ("五", "problems"), ("六", "other_matters")]
    assert r.sections[4].text.startswith("我局信息公开工作虽然取得一定的成效")
    assert r.checks and all(c.status == "pass" for c in r.checks)
    assert len(r.checks) == 7 + 7 + 23 + 3  # balance, results_sum per column (7); row totals per row


@pytest.mark.parametrize("name, template, status, reason", [
    ("real-021.txt", "legacy", "partial", "no statistics table and no figures in the prose"),
    ("real-033.txt", "legacy", "partial", "no statistics table; figures from the prose only"),
    ("real-035.txt", "legacy", "partial", "no statistics table and no figures in the prose"),
    ("real-019.txt", "unknown", "partial", "tables not found: active_disclosure, applications, review_litigation"),
    ("real-027.txt", "unknown", "partial", "tables not found: active_disclosure, applications, review_litigation"),
])
def test_documents_without_tables(name, template, status, reason):
    r = extract.parse_file(DOCS / name)
    assert (r.template, r.status, r.error) == (template, status, reason)
    assert r.sections and r.sections[0].key == "overview"
    assert r.cells == []


def test_empty_template_is_partial_not_invented():
    """real-009 prints the 2019 template with no values: nothing may be invented."""
    r = extract.parse_file(DOCS / "real-009.txt")
    assert r.status == "partial"
    assert all(c.value is None or c.raw == "0" for c in r.cells)
