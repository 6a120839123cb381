"""OCR of scanned reports and of tables printed as pictures (parsers/ocr.py, extract/report/ocr_trust.py).

The scans are made here from a real report PDF (tests/scanned.py: pages rendered to images and
wrapped in an image-only PDF), at 150 dpi and for two pages at most, so that the OCR tests cost
well under a minute on two cores. Their parses are cached for the session.
"""
from __future__ import annotations

import json
import shutil
from copy import deepcopy
from pathlib import Path

import pytest

from extract.report import load_schema, parse_bytes, parse_file
from extract.report.checks import run_checks
from extract.report.ocr_trust import LOW_CONFIDENCE, review
from parsers import ocr
from scanned import bands_png, image_only_pdf

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
HZQ = CORPUS / "docs" / "real-hzq-2023.pdf"
HZQ_TRUTH = json.loads((CORPUS / "expected" / "real-hzq-2023.expected.json").read_text("utf-8"))
IMAGE_PAGE = CORPUS / "docs" / "html-image-table.html"
IMAGE_SRC = "uploadfiles/202301/W020230130562018374512.png"  # as the page shows it (/uploadfiles/…)

needs_ocr = pytest.mark.skipif(not ocr.available(), reason="the [ocr] extra is not installed")


@pytest.fixture(scope="session", autouse=True)
def _roomy_ocr_limits():
    """These tests check what OCR reads; the time limits have their own test (a busy machine
    must not make them fail)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("GIOAR_OCR_PAGE_SECONDS", "900")
    mp.setenv("GIOAR_OCR_DOC_SECONDS", "1800")
    yield
    mp.undo()


def _score(report, tables: set[str]) -> tuple[int, int, list]:
    """(right, expected, wrong numbers not flagged) over the truth's cells of these tables."""
    got = {(c.table, c.row, c.col): c for c in report.cells}
    right, total, unflagged = 0, 0, []
    for want in HZQ_TRUTH["cells"]:
        if want["table"] not in tables:
            continue
        total += 1
        c = got.get((want["table"], want["row"], want["col"]))
        if c is not None and c.value == want["value"]:
            right += 1
        elif c is not None and c.value is not None and not {"ocr_suspect", "ocr_low_confidence"} & set(c.flags):
            unflagged.append((c.row, c.col, c.raw, want["value"]))
    return right, total, unflagged


@pytest.fixture(scope="session")
def scanned_hzq(_roomy_ocr_limits):
    """Pages 3-4 of the 洪泽区 report (table 三 and table 四) as a scan, parsed with OCR."""
    data = image_only_pdf(HZQ.read_bytes(), dpi=150, pages=[3, 4])
    return parse_bytes(data, source="hzq-scanned.pdf")


@needs_ocr
def test_scanned_pdf_tables_read_by_ocr(scanned_hzq):
    r = scanned_hzq
    assert r.format == "pdf" and r.ocr_pages == 2 and r.ocr_seconds > 0
    assert "no text layer" not in r.error and "tables not found: applications" not in r.error
    right, total, unflagged = _score(r, {"applications", "review_litigation"})
    assert total == 176
    assert right >= 0.97 * total, f"{right}/{total}"
    assert unflagged == []
    cells = {(c.table, c.row, c.col): c for c in r.cells}
    total_cell = cells[("applications", "new_requests", "total")]
    assert (total_cell.value, total_cell.raw, total_cell.page) == (21.0, "21", 1)
    assert "ocr" in total_cell.flags and 0 < total_cell.confidence <= 1
    assert all("ocr" in c.flags and c.confidence is not None for c in r.cells)
    low = [c for c in r.cells if c.confidence < LOW_CONFIDENCE]
    assert all("ocr_low_confidence" in c.flags for c in low)
    # The report's own arithmetic errors (总计 printed 0) make their rows suspect, named in the check.
    check = next(c for c in r.checks if c.check == "review_litigation.row_total[administrative_review]")
    assert check.status == "fail" and "ocr_suspect: administrative_review.total" in check.note
    assert "ocr_suspect" in cells[("review_litigation", "administrative_review", "upheld")].flags
    assert "ocr_suspect" not in cells[("review_litigation", "litigation_direct", "upheld")].flags
    balance = [c for c in r.checks if c.check.startswith("applications.balance")]
    assert len(balance) == 7 and all(c.status == "pass" for c in balance)


@needs_ocr
@pytest.mark.parametrize("turn", [90, 180, 270])
def test_rotated_scan_is_turned_back(monkeypatch, caplog, turn):
    """A page scanned on its side, either side, or upside down: turned back before it is read."""
    monkeypatch.setenv("GIOAR_OCR_DPI", "100")  # three detections to find the side: kept cheap
    data = image_only_pdf(HZQ.read_bytes(), dpi=100, pages=[4], turn=turn)
    with caplog.at_level("INFO", logger="parsers.ocr"):
        r = parse_bytes(data, source="hzq-p4-turned.pdf")
    # Turned by `turn` counter-clockwise: read after turning the rest of the way round.
    assert f"page 1 read turned by {360 - turn}°" in caplog.text
    cells = {(c.table, c.row, c.col): c.value for c in r.cells}
    assert cells[("review_litigation", "administrative_review", "upheld")] == 10
    assert cells[("review_litigation", "litigation_after_review", "upheld")] == 5
    assert cells[("applications", "results_total", "total")] == 21


@needs_ocr
def test_blank_scanned_page_says_so():
    data = image_only_pdf(HZQ.read_bytes(), dpi=100, pages=[1], blank=True)
    r = parse_bytes(data, source="blank.pdf")
    assert r.status != "ok" and r.n_cells == 0
    assert "scanned: no text layer, and OCR found no text on it" in r.error


@needs_ocr
def test_html_table_three_as_an_image_file_next_to_the_page(tmp_path):
    page = tmp_path / "report.html"
    shutil.copy(IMAGE_PAGE, page)
    image = tmp_path / IMAGE_SRC
    image.parent.mkdir(parents=True)
    # The 洪泽区 table 三 (it runs over pages 3 and 4) pasted as one picture.
    image.write_bytes(bands_png(HZQ.read_bytes(), [(3, 0.433, 0.93), (4, 0.09, 0.325)], dpi=150))
    r = parse_file(page)
    assert "table printed as an image" not in r.error
    assert r.ocr_pages == 1 and r.status == "ok"
    right, total, unflagged = _score(r, {"applications"})
    assert total == 161 and right >= 0.97 * total and unflagged == []
    html_cells = [c for c in r.cells if c.table == "active_disclosure"]
    assert html_cells and all(c.confidence is None and "ocr" not in c.flags for c in html_cells)


@needs_ocr
def test_ocr_time_limit_ends_the_page_with_the_reason(monkeypatch):
    monkeypatch.setenv("GIOAR_OCR_PAGE_SECONDS", "0.001")
    r = parse_bytes(image_only_pdf(HZQ.read_bytes(), dpi=100, pages=[4]), source="slow.pdf")
    assert "OCR of page 1 stopped at the time limit of 0.001s" in r.error and r.n_cells == 0


def test_without_the_extra_the_reason_says_how_to_enable_ocr(monkeypatch):
    monkeypatch.setattr(ocr, "available", lambda: False)
    data = image_only_pdf(HZQ.read_bytes(), dpi=50, pages=[1])
    r = parse_bytes(data, source="scan.pdf")
    assert "scanned: no text layer" in r.error
    assert "pip install 'gioar-extract[ocr]'" in r.error and r.n_cells == 0


def test_no_ocr_turns_it_off(monkeypatch):
    monkeypatch.setenv("GIOAR_OCR", "0")
    r = parse_bytes(image_only_pdf(HZQ.read_bytes(), dpi=50, pages=[1]), source="scan.pdf")
    assert "scanned: no text layer" in r.error and "OCR turned off (--no-ocr)" in r.error
    page = parse_file(IMAGE_PAGE)  # the image is not there either way: as before
    assert "table printed as an image" in page.error


def test_cli_rejects_a_bad_ocr_dpi(capsys):
    from extract.cli import main

    assert main(["show", str(HZQ), "--ocr-dpi", "20"]) == 2
    assert "--ocr-dpi must be between 50 and 400" in capsys.readouterr().err


def test_rules_found_in_an_image():
    import numpy as np

    img = np.full((300, 400), 255, dtype=np.uint8)
    for y in (20, 120, 280):
        img[y:y + 2, 30:370] = 0  # three horizontal rules
    for x in (30, 200, 368):
        img[20:282, x:x + 2] = 0  # three vertical rules
    img[60:64, 60:70] = 0  # a short dash: text, not a rule
    img[150:250, 220:350] = 90  # a filled box: shading, not rules
    h, v = ocr.find_rules(img, unit=20)
    assert [round(r.at) for r in h] == [20, 120, 280]
    assert [round(r.at) for r in v] == [30, 200, 368]
    (grid,) = ocr._grids(h, v, unit=20)
    assert len(grid.xs) == 3 and len(grid.ys) == 3


def test_a_table_cut_off_by_the_print_and_an_open_sided_one():
    """Row rules running on past the last column rule: a cut (slivers where the rules end) when
    nothing whole stands there; an open-sided table when its last column holds whole values."""
    import numpy as np

    img = np.full((300, 500), 255, dtype=np.uint8)
    for y in (20, 80, 140, 200):
        img[y:y + 2, 30:480] = 0  # the rows' rules run to x = 480 …
    for x in (30, 200, 340):
        img[20:202, x:x + 2] = 0  # … the last column rule is at x = 340
    h, v = ocr.find_rules(img, unit=20)
    (grid,) = ocr._grids(h, v, unit=20)
    slivers = [ocr.TextBox(468, top, 481, top + 16, "C", 0.5) for top in (40, 100, 160)]
    assert ocr._runs_off(grid, slivers, unit=20) == (True, slivers)
    assert ocr._runs_off(grid, [], unit=20) == (True, [])
    values = [ocr.TextBox(395, top, 425, top + 16, "12", 0.99) for top in (40, 100, 160)]
    assert ocr._runs_off(grid, values, unit=20) == (False, [])
    img[20:202, 478:480] = 0  # a closing rule: a whole table
    h, v = ocr.find_rules(img, unit=20)
    (grid,) = ocr._grids(h, v, unit=20)
    assert ocr._runs_off(grid, slivers, unit=20) == (False, [])


def test_digits_read_as_letters():
    assert [ocr._digit_like(t) for t in ("O", "1O", "l2", "。", "一", "其他", "2023年")] == \
        ["0", "10", "12", "0", "—", "其他", "2023年"]


# -- trust through the identities (no OCR needed: the cells of a real report, marked as OCR'd) ----


@pytest.fixture(scope="module")
def text_cells():
    """The cells of table 三 of the 洪泽区 report read from its text layer (every identity holds)."""
    r = parse_file(HZQ)
    cells = [c for c in r.cells if c.table == "applications"]
    assert cells and all(c.status != "fail" for c in run_checks(cells, load_schema()))
    return cells


def _as_ocr(cells, confidence=0.95):
    out = deepcopy(cells)
    for c in out:
        c.confidence = confidence
    return {(c.row, c.col): c for c in out}, out


def _review(cells):
    schema = load_schema()
    return review(cells, run_checks(cells, schema), schema)


def test_a_confused_digit_is_corrected_when_one_correction_proves_it(text_cells):
    by_key, cells = _as_ocr(text_cells)
    cell = by_key[("new_requests", "natural_person")]
    assert (cell.value, cell.raw) == (21, "21")
    cell.value, cell.raw = 27.0, "27"  # 1 read as 7
    checks = _review(cells)
    assert (cell.value, cell.raw) == (21, "27")
    assert "ocr_corrected" in cell.flags and "ocr_suspect" not in cell.flags
    assert all(c.status != "fail" for c in checks)
    noted = [c for c in checks if "OCR corrected: new_requests.natural_person (OCR read '27', 21 proven)" in c.note]
    assert {c.check for c in noted} == {"applications.row_total[new_requests]", "applications.balance[natural_person]"}


def test_a_lost_single_digit_cell_is_restored(text_cells):
    by_key, cells = _as_ocr(text_cells)
    cell = by_key[("denied_state_secret", "natural_person")]
    assert cell.value == 1
    cell.value, cell.raw, cell.flags = None, "", ["blank"]  # the lone "1" was not read
    cell.confidence = 0.0  # ink in the cell that read as nothing
    checks = _review(cells)
    assert (cell.value, cell.raw) == (1, "") and "ocr_corrected" in cell.flags and "blank" not in cell.flags
    assert all(c.status != "fail" for c in checks)
    # A cell without ink is surely blank: the failing identities then point at the others.
    by_key, cells = _as_ocr(text_cells)
    cell = by_key[("denied_state_secret", "natural_person")]
    cell.value, cell.raw, cell.flags, cell.confidence = None, "", ["blank"], 1.0
    checks = _review(cells)
    assert cell.value is None and "ocr_suspect" in cell.flags and "ocr_corrected" not in cell.flags


def test_an_unprovable_error_flags_the_failing_identity_cells(text_cells):
    by_key, cells = _as_ocr(text_cells)
    a = by_key[("new_requests", "natural_person")]
    a.value, a.raw = 24.0, "24"  # no confusion of the recogniser explains it
    checks = _review(cells)
    failing = [c for c in checks if c.status == "fail"]
    assert {c.check for c in failing} == {"applications.row_total[new_requests]", "applications.balance[natural_person]"}
    suspects = {(c.row, c.col) for c in cells if "ocr_suspect" in c.flags}
    assert ("new_requests", "natural_person") in suspects and ("new_requests", "total") in suspects
    assert ("results_total", "natural_person") in suspects and ("granted", "total") not in suspects
    assert a.value == 24 and not any("ocr_corrected" in c.flags for c in cells)
    row_check = next(c for c in failing if c.check == "applications.row_total[new_requests]")
    assert row_check.note.startswith("ocr_suspect: new_requests.total, new_requests.natural_person")


def test_two_confused_cells_of_one_row_are_flagged_not_guessed(text_cells):
    by_key, cells = _as_ocr(text_cells)
    # Two 0s of one row read as 8: no one correction makes every identity hold (pairs are not tried).
    for col in ("commercial_enterprise", "research_institution"):
        by_key[("new_requests", col)].value, by_key[("new_requests", col)].raw = 8.0, "8"
    checks = _review(cells)
    assert not any("ocr_corrected" in c.flags for c in cells)
    assert any(c.status == "fail" for c in checks)
    assert "ocr_suspect" in by_key[("new_requests", "commercial_enterprise")].flags


def test_cells_not_read_by_ocr_are_left_alone(text_cells):
    cells = deepcopy(text_cells)
    cell = next(c for c in cells if (c.row, c.col) == ("new_requests", "natural_person"))
    cell.value, cell.raw = 27.0, "27"
    checks = _review(cells)
    assert cell.value == 27 and any(c.status == "fail" for c in checks)
    assert not any(f.startswith("ocr") for c in cells for f in c.flags)


@needs_ocr
def test_docx_table_four_as_a_picture(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("洪泽区人民政府2023年政府信息公开工作年度报告")
    d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    picture = tmp_path / "t4.png"
    picture.write_bytes(bands_png(HZQ.read_bytes(), [(4, 0.38, 0.57)], dpi=150))
    d.add_picture(str(picture))
    d.add_paragraph("五、存在的主要问题及改进情况")
    d.add_paragraph("无。")
    path = tmp_path / "report.docx"
    d.save(path)
    r = parse_file(path)
    assert r.ocr_pages == 1 and "table printed as an image" not in r.error
    got = {(c.row, c.col): c.value for c in r.cells if c.table == "review_litigation"}
    want = {(c["row"], c["col"]): c["value"] for c in HZQ_TRUTH["cells"] if c["table"] == "review_litigation"}
    assert got == want
    with pytest.MonkeyPatch.context() as mp:  # without OCR: the picture is named, as in HTML
        mp.setenv("GIOAR_OCR", "0")
        assert "table printed as an image: media/image1.png near '四、政府信息公开行政复议、行政诉讼情况'" in parse_file(path).error


@needs_ocr
def test_cli_summary_counts_ocr_and_no_ocr_reaches_the_workers(tmp_path, capsys):
    import pandas as pd

    from extract.cli import main

    scan = tmp_path / "blank.pdf"
    scan.write_bytes(image_only_pdf(HZQ.read_bytes(), dpi=100, pages=[1], blank=True))
    assert main(["parse", str(scan), "--out", str(tmp_path / "a"), "--workers", "1", "--quiet"]) == 0
    assert "; OCR 1 pages in " in capsys.readouterr().err
    reports = pd.read_parquet(tmp_path / "a" / "reports.parquet")
    assert reports["ocr_pages"].tolist() == [1]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GIOAR_OCR", "1")  # the CLI sets it to 0 for its workers: undone afterwards
        # The same fork server as the first run: the setting travels with the worker's start.
        assert main(["parse", str(scan), "--out", str(tmp_path / "b"), "--workers", "1", "--quiet", "--no-ocr"]) == 0
    assert "OCR" not in capsys.readouterr().err.strip().split("\n")[-1]
    reports = pd.read_parquet(tmp_path / "b" / "reports.parquet")
    assert "OCR turned off (--no-ocr)" in reports["error"][0] and reports["ocr_pages"].tolist() == [0]


@needs_ocr
def test_a_scanned_page_among_text_pages():
    """Pages 1-2 with their text layer, pages 3-4 as a scan (a report whose tables were scanned)."""
    import io

    import pypdfium2 as pdfium

    text = pdfium.PdfDocument(HZQ.read_bytes())
    scan = pdfium.PdfDocument(image_only_pdf(HZQ.read_bytes(), dpi=150, pages=[3]))
    mixed = pdfium.PdfDocument.new()
    mixed.import_pages(text, [0, 1])
    mixed.import_pages(scan, [0])
    out = io.BytesIO()
    mixed.save(out)
    r = parse_bytes(out.getvalue(), source="mixed.pdf")
    assert r.ocr_pages == 1 and "no text layer" not in r.error
    cells = {(c.table, c.row, c.col): c for c in r.cells}
    text_cell = cells[("active_disclosure", "administrative_licensing", "decisions")]
    assert text_cell.confidence is None and text_cell.page == 2
    ocr_cell = cells[("applications", "unavailable_needs_creation", "natural_person")]
    assert (ocr_cell.value, ocr_cell.page) == (3, 3) and "ocr" in ocr_cell.flags


@needs_ocr
def test_a_scan_of_a_table_cut_off_by_the_print_says_which_columns_are_missing(_roomy_ocr_limits):
    """The Chromium print whose table 三 runs off the page, scanned: as with its text layer
    (parsers/clipping.py), the printed columns are read and the cut ones are null and flagged
    `not_printed`, not misplaced; the slivers of the cut columns are not read as prose."""
    clipped = CORPUS / "docs" / "pdf-chrome-clipped.pdf"
    text = parse_file(clipped)
    scan = parse_bytes(image_only_pdf(clipped.read_bytes(), dpi=150, pages=[1, 2, 3]), source="clipped-scan.pdf")
    assert scan.status == text.status == "partial"
    assert "applications: columns 法律服务机构, 其他, 总计 not printed (the table is cut off at the page edge)" in scan.error
    def cells(r):
        return {(c.table, c.row, c.col): (c.value, "not_printed" in c.flags) for c in r.cells if c.table == "applications"}
    want, got = cells(text), cells(scan)
    assert sum(1 for v, cut in want.values() if cut) == sum(1 for v, cut in got.values() if cut) == 78
    # 171 of 182 (94%): the row whose label the print splits over the page break (三、本年度办理结果 /
    # （一）予以公开) is read as an unknown row in the scan; its numbers are there, under extra_1.
    right = sum(1 for k, v in want.items() if got.get(k) == v)
    assert right >= 0.93 * len(want)
    assert [got[("applications", "extra_1", c)][0] for c in ("natural_person", "commercial_enterprise")] == [5, 1]
    assert not any(s.text.strip() in {"C", "(C"} for s in scan.sections)
