"""The PDF reader: real and printed reports cell for cell with pages, and the PDFs that must
fail or be partial, in bounded time."""
from __future__ import annotations

import json
import threading
import time

import pytest

import extract
from conftest import BAD, DOCS, EXPECTED, ROOT
from make_pdf_corpus import slow_pdf
from parsers import read
from parsers.errors import CorruptDocument, DocumentTimeout, EncryptedDocument
from parsers.model import Heading, Paragraph, Table
from parsers.pdf import RawCell, SCANNED, fix_text, make_lines, radical_table, read_pdf, stitch, PageTable

DATA = ROOT / "tests" / "data"
# printed PDFs whose expected files give each cell's page (pdf-chrome-clipped's do not)
PDF_TRUTHS = sorted(p for p in EXPECTED.glob("pdf-*.expected.json")
                    if "page" in json.loads(p.read_text("utf-8"))["cells"][0])


def _truth(name: str) -> dict:
    return json.loads((EXPECTED / f"{name}.expected.json").read_text("utf-8"))


def _cells(report) -> dict:
    return {(c.table, c.row, c.col): c for c in report.cells}


@pytest.mark.parametrize("truth_path", PDF_TRUTHS, ids=lambda p: p.name.split(".")[0])
def test_printed_pdf_matches_expected_with_pages(truth_path):
    truth = json.loads(truth_path.read_text("utf-8"))
    report = extract.parse_file(DOCS / truth["source"])
    got = _cells(report)
    wrong = [(c["table"], c["row"], c["col"], c["value"], c["page"],
              getattr(got.get((c["table"], c["row"], c["col"])), "value", "absent"),
              getattr(got.get((c["table"], c["row"], c["col"])), "page", "absent"))
             for c in truth["cells"]
             if (c["table"], c["row"], c["col"]) not in got
             or got[(c["table"], c["row"], c["col"])].page != c["page"]
             or (got[(c["table"], c["row"], c["col"])].value is None) != (c["value"] is None)
             or (c["value"] is not None and float(got[(c["table"], c["row"], c["col"])].value) != float(c["value"]))]
    assert not wrong, wrong[:8]
    assert len(report.cells) == len(truth["cells"])
    for field, value in truth["report"].items():
        assert getattr(report, field) == value, field
    assert report.format == "pdf" and report.status == "ok", report.error


def test_real_hzq_pages():
    """Table 二 on pp.2-3, table 三 on pp.3-4 (through （四）2. on p.3), table 四 on p.4."""
    report = extract.parse_file(DOCS / "real-hzq-2023.pdf")
    cells = _cells(report)
    assert {c.page for c in report.cells if c.table == "active_disclosure"} == {2, 3}
    assert cells[("active_disclosure", "administrative_licensing", "decisions")].page == 2
    assert cells[("active_disclosure", "administrative_penalty", "decisions")].page == 3
    assert cells[("applications", "unavailable_needs_creation", "total")].page == 3
    assert cells[("applications", "unavailable_unclear", "total")].page == 4
    assert {c.page for c in report.cells if c.table == "review_litigation"} == {4}
    assert (report.agency, report.year, report.template, report.status) == ("洪泽区人民政府", 2023, "gioar-2021", "ok")


def test_real_hzq_document_model():
    doc = read((DOCS / "real-hzq-2023.pdf").read_bytes(), name="real-hzq-2023.pdf")
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    assert len(tables) == 3  # 二 and 三 each stitched across two pages
    t2, t3, t4 = tables
    assert sorted({c.page for c in t2.cells}) == [2, 3] and sorted({c.page for c in t3.cells}) == [3, 4]
    assert all(c.page for t in tables for c in t.cells)
    assert all(b.page for b in doc.blocks)
    grid = t3.as_text_grid()
    # the vertical header, one character a line, is one label spanning the result rows
    label = next(c for c in t3.cells if c.text == "三、本年度办理结果")
    assert label.rowspan == 20 and label.page == 3
    # labels broken over lines inside a cell
    assert ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"] == grid[2][4:9]
    # the row whose label cells continue over the page break is joined, not duplicated
    unavailable = next(c for c in t3.cells if c.text == "（四）无法提供")
    assert unavailable.rowspan == 3
    assert [r[2] for r in grid].count("3.补正后申请内容仍不明确") == 1
    # the continued row at the top of page 3 in table 二 keeps its label ("信息内容")
    assert [r[0] for r in t2.as_text_grid()].count("信息内容") == 4
    texts = [b.text for b in doc.blocks if not isinstance(b, Table)]
    assert not any(t.strip("- ").isdigit() for t in texts), "page numbers dropped"
    headings = [b.text for b in doc.blocks if isinstance(b, Heading)]
    assert "一、总体情况" in headings and "六、其他需要报告的事项" in headings
    # a paragraph broken by the page break is joined
    assert any(t.startswith("加强区政府门户网站") and "一律不准发布" in t for t in texts)


@pytest.mark.parametrize("pdf, html", [("pdf-lo-word-mso.pdf", "html-word-mso.html"),
                                       ("pdf-chrome-seed-trs.pdf", "html-seed-gbk-trs.html")])
def test_same_report_as_html_and_pdf(pdf, html):
    if not (DOCS / html).exists():
        pytest.skip(f"{html} (tests/make_html_corpus.py) is not in this checkout")
    a, b = extract.parse_file(DOCS / pdf), extract.parse_file(DOCS / html)
    assert {k: c.value for k, c in _cells(a).items()} == {k: c.value for k, c in _cells(b).items()}
    assert [(c.check, c.status) if hasattr(c, "check") else c.status for c in a.checks] == \
           [(c.check, c.status) if hasattr(c, "check") else c.status for c in b.checks]
    assert (a.template, a.year, a.agency, a.status) == (b.template, b.year, b.agency, b.status)


def test_browser_running_header_and_footer_dropped():
    doc = read((DOCS / "pdf-chrome-seed-trs.pdf").read_bytes(), name="x.pdf")
    text = doc.text()
    assert "file://" not in text and "/6" not in text.replace(" ", "")
    assert doc.title.startswith("漳平市教育局2020年政府信息公开工作年度报告")


@pytest.mark.parametrize("name, status, reason", [
    ("pdf-encrypted.pdf", "failed", "encrypted PDF: a password is needed to open it"),
    ("pdf-corrupt.pdf", "failed", "damaged PDF"),
    ("pdf-html-error.pdf", "failed", "not a government information-disclosure annual report"),
    ("pdf-scanned.pdf", "partial", SCANNED),
    ("pdf-cid-unmapped.pdf", "partial", "unreadable text (font without a ToUnicode map"),
])
def test_bad_pdfs_end_with_a_reason_quickly(name, status, reason, monkeypatch):
    monkeypatch.setenv("GIOAR_OCR", "0")  # the reader's own reasons (OCR has tests/test_ocr.py)
    start = time.monotonic()
    report = extract.parse_file((BAD if status == "failed" else DOCS) / name)
    assert time.monotonic() - start < 10
    assert report.status == status
    assert report.error.startswith(reason), report.error
    assert not any(c.value is not None for c in report.cells)


def test_scanned_pdf_is_a_warning_not_an_empty_success(monkeypatch):
    monkeypatch.setenv("GIOAR_OCR", "0")
    doc = read_pdf((DOCS / "pdf-scanned.pdf").read_bytes())
    assert doc.blocks == [] and doc.warnings == [SCANNED, "OCR turned off (--no-ocr)"]


def test_errors_are_typed():
    with pytest.raises(EncryptedDocument):
        read_pdf((BAD / "pdf-encrypted.pdf").read_bytes(), "pdf-encrypted.pdf")
    with pytest.raises(CorruptDocument):
        read_pdf((BAD / "pdf-corrupt.pdf").read_bytes(), "pdf-corrupt.pdf")
    with pytest.raises(CorruptDocument, match="HTML page"):
        read_pdf((BAD / "pdf-html-error.pdf").read_bytes(), "pdf-html-error.pdf")
    truncated = (DOCS / "pdf-lo-word-mso.pdf").read_bytes()[:3000]
    with pytest.raises(CorruptDocument):
        read_pdf(truncated)


def test_owner_locked_pdf_opens_without_a_password():
    report = extract.parse_file(DATA / "pdf-owner-locked.pdf")
    assert report.status == "ok" and len(report.cells) == 200


def test_cid_glyphs_fall_back_to_the_other_text_layer(monkeypatch):
    """On the pdfplumber path, where pdfium's text layer maps the glyphs, it replaces the (cid:)
    one. The pdfium path reports the page as unreadable without asking pdfminer."""
    from parsers.pdf_pdfium import PdfiumPages, open_document
    from parsers.pdf_plumber import PlumberPages

    pdoc = open_document((DOCS / "pdf-lo-word-mso.pdf").read_bytes(), "good.pdf")
    good = PdfiumPages(pdoc)
    chars = [good.chars(i) for i in range(len(good))]  # the same pages with a ToUnicode map
    pdoc.close()
    monkeypatch.setattr(PdfiumPages, "chars", lambda self, i: chars[i])
    data = (DOCS / "pdf-cid-unmapped.pdf").read_bytes()
    monkeypatch.setenv("GIOAR_PDF_BACKEND", "pdfplumber")
    report = extract.parse_bytes(data, "pdf-cid-unmapped.pdf")
    assert report.status == "ok" and len(report.cells) == 200

    monkeypatch.setenv("GIOAR_PDF_BACKEND", "pdfium")
    monkeypatch.setattr(PlumberPages, "__init__", lambda *a: pytest.fail("pdfminer opened"))
    report = extract.parse_bytes(data, "pdf-cid-unmapped.pdf")
    assert report.status == "partial" and report.error.startswith("unreadable text")


# The limits are the shared reader's; each backend gets a limit below what the file costs it
# (pdfium reads 200,000 path objects in about 0.5 s, pdfplumber in about a minute).
@pytest.mark.parametrize("backend, limit", [("pdfplumber", 2), ("pdfium", 0.05)])
def test_time_limit_cuts_off_a_pathological_pdf(backend, limit):
    data = slow_pdf(200_000)
    start = time.monotonic()
    with pytest.raises(DocumentTimeout, match="time limit"):
        read_pdf(data, "slow.pdf", time_limit=limit, backend=backend)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("backend, segments, pages, limit", [("pdfplumber", 10_000, 6, 1), ("pdfium", 20_000, 20, 0.3)])
def test_time_limit_between_pages_off_the_main_thread(backend, segments, pages, limit):
    data = slow_pdf(segments, pages=pages)
    out = {}

    def work():
        start = time.monotonic()
        out["doc"] = read_pdf(data, "slow.pdf", time_limit=limit, backend=backend)
        out["seconds"] = time.monotonic() - start

    t = threading.Thread(target=work)
    t.start()
    t.join(60)
    assert out["seconds"] < 8
    assert out["doc"].warnings and out["doc"].warnings[0].startswith("time limit: read ")
    assert f"of {pages} pages" in out["doc"].warnings[0]


def test_batch_goes_on_after_a_time_limit(tmp_path, monkeypatch):
    # pdfplumber: the slow file costs it a minute, the real one a fraction of the limit even on
    # a loaded machine (the slow file costs pdfium only 0.5 s)
    monkeypatch.setenv("GIOAR_PDF_TIME_LIMIT", "5")
    monkeypatch.setenv("GIOAR_PDF_BACKEND", "pdfplumber")
    (tmp_path / "slow.pdf").write_bytes(slow_pdf(200_000))
    (tmp_path / "real.pdf").write_bytes((DOCS / "real-hzq-2023.pdf").read_bytes())
    from extract.batch.runner import RunSettings, run

    start = time.monotonic()
    summary = run([tmp_path], RunSettings(out=tmp_path / "out", workers=1, progress=False, engine="inline"))
    assert time.monotonic() - start < 20
    assert (summary.documents, summary.ok, summary.failed) == (2, 1, 1)
    assert "time limit" in summary.failures[0][1], summary.failures


def test_radicals_map_to_ideographs():
    assert fix_text("⼯作⼈⺠⻬") == "工作人民齐"
    table = radical_table()
    assert len(table) >= 320 and table[ord("⺠")] == "民" and table[ord("⼯")] == "工"


def test_fake_bold_doubled_glyphs_are_read_once():
    chars = []
    for i, ch in enumerate("规章"):
        for dx in (0.0, 0.4):  # the glyph drawn twice, a hair apart
            chars.append({"text": ch, "x0": 100 + 12 * i + dx, "x1": 112 + 12 * i + dx, "top": 50, "bottom": 62,
                          "size": 12, "fontname": "SimSun"})
    assert make_lines(chars, 1)[0].text == "规章"


def test_dedupe_chars_is_pdfplumbers():
    """The reader's dedupe_chars keeps the same char dicts, in the same order, as pdfplumber's
    (on the corpus pages, and with glyphs doubled, shifted and copied), only faster."""
    import random

    import pdfplumber
    from pdfplumber.utils import dedupe_chars as plumber_dedupe

    from parsers.pdf import dedupe_chars

    rnd = random.Random(7)
    for path in sorted(DOCS.glob("pdf-*.pdf")) + [DOCS / "real-hzq-2023.pdf"]:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                chars = []
                for c in page.chars:
                    chars.append(c)
                    if rnd.random() < 0.3:  # fake bold: the glyph again, a hair or more apart
                        chars.append(dict(c, x0=c["x0"] + rnd.choice([0, 0.3, 0.9, 1.5]),
                                          doctop=c["doctop"] + rnd.choice([0, 0.5, 2])))
                    if rnd.random() < 0.1:
                        chars.append(dict(c))
                rnd.shuffle(chars)
                for tolerance in (0, 1, 3):
                    assert [id(c) for c in dedupe_chars(page.chars, tolerance)] == \
                        [id(c) for c in page.dedupe_chars(tolerance=tolerance).chars]
                    assert [id(c) for c in dedupe_chars(chars, tolerance)] == \
                        [id(c) for c in plumber_dedupe(chars, tolerance)]


def test_nearest_grid_line():
    """_index: the nearest point, the first of equally near ones (as min over all points)."""
    import random

    from parsers.pdf import _index

    rnd = random.Random(3)
    for _ in range(20000):
        points = sorted(rnd.choice([rnd.uniform(0, 800), float(rnd.randint(0, 20)), rnd.randint(0, 20) / 2])
                        for _ in range(rnd.randint(1, 8)))
        x = rnd.choice([rnd.uniform(-10, 820), float(rnd.randint(-2, 22)), rnd.randint(0, 40) / 4, rnd.choice(points)])
        assert _index(points, x) == min(range(len(points)), key=lambda i: abs(points[i] - x)), (points, x)


def _cell(x0, top, x1, bottom, text, page, top_real=True, bottom_real=True):
    return RawCell(x0, top, x1, bottom, text, page, top_real, bottom_real)


def test_stitch_word_split_label_and_missing_label_block():
    """Word/WPS: a row's label split over two pages (no rule at the break) is one row; a
    continuation without the label column lines up under the values."""
    p1 = PageTable(1, 0, 700, 300, 760, [
        _cell(0, 700, 100, 730, "规章", 1), _cell(100, 700, 200, 730, "1", 1), _cell(200, 700, 300, 730, "2", 1),
        _cell(0, 730, 100, 760, "5.要求行政机关确认或重", 1, bottom_real=False),
        _cell(100, 730, 200, 760, "0", 1, bottom_real=False), _cell(200, 730, 300, 760, "0", 1, bottom_real=False)])
    p2 = PageTable(2, 0, 50, 300, 110, [
        _cell(0, 50, 100, 80, "新出具已获取信息", 2, top_real=False), _cell(100, 50, 200, 80, "", 2, top_real=False),
        _cell(200, 50, 300, 80, "", 2, top_real=False),
        _cell(0, 80, 100, 110, "（六）其他处理", 2), _cell(100, 80, 200, 110, "3", 2), _cell(200, 80, 300, 110, "4", 2)])
    table = stitch([p1, p2])
    assert table.as_text_grid() == [["规章", "1", "2"], ["5.要求行政机关确认或重新出具已获取信息", "0", "0"],
                                    ["（六）其他处理", "3", "4"]]
    assert [c.page for c in table.cells] == [1, 1, 1, 1, 1, 1, 2, 2, 2]
    # a repeated header is dropped
    head = [_cell(0, 0, 100, 20, "信息内容", 1), _cell(100, 0, 300, 20, "数量", 1)]
    a = PageTable(1, 0, 0, 300, 50, head + [_cell(0, 20, 100, 50, "规章", 1), _cell(100, 20, 300, 50, "1", 1)])
    b = PageTable(2, 0, 0, 300, 50, [_cell(0, 0, 100, 20, "信息内容", 2), _cell(100, 0, 300, 20, "数量", 2),
                                     _cell(0, 20, 100, 50, "行政许可", 2), _cell(100, 20, 300, 50, "7", 2)])
    assert stitch([a, b]).as_text_grid() == [["信息内容", "数量"], ["规章", "1"], ["行政许可", "7"]]


def test_every_pdf_block_and_cell_has_a_page():
    for name in ("pdf-lo-word-mso.pdf", "pdf-chrome-seed-trs.pdf"):
        doc = read((DOCS / name).read_bytes(), name=name)
        assert doc.format == "pdf"
        for b in doc.blocks:
            assert b.page, b
            if isinstance(b, Table):
                assert all(c.page for c in b.cells)
        assert any(isinstance(b, Paragraph) for b in doc.blocks)


def test_table_cut_off_at_the_page_edge():
    """A print of table 三 wider than the page (its last three columns fall off, slivers of the
    fourth show) left every cell of the table null. The printed columns are read; the missing
    ones are null and flagged not_printed, and the report says so."""
    import json

    from conftest import EXPECTED

    r = extract.parse_file(DOCS / "pdf-chrome-clipped.pdf")
    assert (r.agency, r.year, r.template, r.status) == ("杭州市西湖区民政局", 2022, "gioar-2021", "partial")
    assert "applications: columns 法律服务机构, 其他, 总计 not printed (the table is cut off at the page edge)" in r.error
    t3 = [c for c in r.cells if c.table == "applications" and not c.row.startswith("extra_")]
    cut = [c for c in t3 if "not_printed" in c.flags]
    assert len(t3) == 25 * 7 and len(cut) == 25 * 3
    assert all(c.value is None and c.col in ("legal_service_org", "other_org", "total") for c in cut)
    truth = json.loads((EXPECTED / "html-word-mso.expected.json").read_text("utf-8"))
    want = {(c["table"], c["row"], c["col"]): c["value"] for c in truth["cells"]}
    assert all(c.value == want[(c.table, c.row, c.col)] for c in t3 if c not in cut)
    # the slivers of the cut-off column are neither cells nor paragraphs
    doc = read(open(DOCS / "pdf-chrome-clipped.pdf", "rb").read(), "pdf-chrome-clipped.pdf")
    assert not [b for b in doc.blocks if not isinstance(b, Table) and b.text.strip() in ("0", "1", "法律服")]
    assert [b.clipped for b in doc.blocks if isinstance(b, Table)].count(True) >= 2
    # the other tables are whole
    assert [c.value for c in r.cells if c.table == "review_litigation"][:5] == [1, 0, 0, 0, 1]
    assert all(ch.status != "fail" for ch in r.checks)
