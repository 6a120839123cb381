"""The two PDF backends (pdfium, the default, and pdfplumber) give the shared reader the same
pages: on every corpus PDF the same Document, the same records, the same errors."""
from __future__ import annotations

import logging
import unicodedata

import pytest

import extract
from conftest import BAD, DOCS, ROOT
from parsers.errors import ParseError
from parsers.pdf import dedupe_chars, page_edges, read_pdf
from parsers.pdf_pdfium import PdfiumPages, open_document
from parsers.pdf_plumber import PlumberPages

PDFS = sorted(DOCS.glob("*.pdf")) + sorted((ROOT / "tests" / "data").glob("*.pdf"))
BAD_PDFS = sorted(BAD.glob("*.pdf"))


def _read(data: bytes, name: str, backend: str):
    try:
        return read_pdf(data, name, backend=backend)
    except ParseError as exc:
        return (type(exc).__name__, exc.message)


@pytest.mark.parametrize("path", PDFS + BAD_PDFS, ids=lambda p: p.name)
def test_same_document_from_both_backends(path, monkeypatch):
    monkeypatch.setenv("GIOAR_OCR", "0")  # the backends' pages; OCR of the scanned ones is tests/test_ocr.py's
    data = path.read_bytes()
    plumber, pdfium = _read(data, path.name, "pdfplumber"), _read(data, path.name, "pdfium")
    assert pdfium == plumber


@pytest.mark.parametrize("path", [p for p in PDFS if "scanned" not in p.name], ids=lambda p: p.name)
def test_same_records_from_both_backends(path, monkeypatch):
    reports = {}
    for backend in ("pdfplumber", "pdfium"):
        monkeypatch.setenv("GIOAR_PDF_BACKEND", backend)
        reports[backend] = extract.parse_file(path).records()
    assert reports["pdfium"] == reports["pdfplumber"]
    assert reports["pdfium"]["cells"] or "cid" in path.name


@pytest.mark.parametrize("path", [DOCS / "real-hzq-2023.pdf", DOCS / "pdf-chrome-seed-trs.pdf",
                                  DOCS / "pdf-lo-word-mso.pdf"], ids=lambda p: p.name)
def test_pdfium_pages_are_pdfplumbers(path):
    """Page by page: the same characters (text, font, size; boxes within 0.05 em across, as
    tall as pdfminer's, within a quarter em up or down: pdfium takes a font's descent from the font
    file where pdfminer reads 0) and the same rules, from pdfium's page objects."""
    data = path.read_bytes()
    pdoc = open_document(data, path.name)
    fast, slow = PdfiumPages(pdoc), PlumberPages(data)
    try:
        for i in range(len(fast)):
            a, b = fast.page(i), slow.page(i)
            assert (a.width, a.height, a.images) == (pytest.approx(b.width), pytest.approx(b.height), b.images)
            ca, cb = dedupe_chars(a.chars), dedupe_chars(b.chars)
            glyphs = lambda cs: sorted((ch, c["fontname"])  # noqa: E731
                                       for c in cs for ch in unicodedata.normalize("NFKC", c["text"]))
            assert glyphs(ca) == glyphs(cb)  # pdfium gives a ligature (ﬁ) as its letters
            for c in ca:  # the nearest glyph of the same text on pdfplumber's page
                same = [x for x in cb if x["text"] == c["text"]]
                if not same:
                    continue
                d = min(same, key=lambda x: abs(x["x0"] - c["x0"]) + abs(x["top"] - c["top"]))
                em = c["size"]
                assert abs(d["x0"] - c["x0"]) < 0.05 * em and abs(d["x1"] - c["x1"]) < 0.05 * em, (c, d)
                assert abs(d["size"] - em) < 0.01 and abs(d["top"] - c["top"]) < 0.25 * em and abs((d["bottom"] - d["top"]) - (c["bottom"] - c["top"])) < 0.01
            ea, eb = page_edges(a), page_edges(b)
            assert len(ea) == len(eb)
            for e in ea:
                far = min(max(abs(e[k] - f[k]) for k in ("x0", "top", "x1", "bottom"))
                          for f in eb if f["orientation"] == e["orientation"])
                assert far < 0.01, e
            assert (len(a.lines), len(a.rects), len(a.curves)) == (len(b.lines), len(b.rects), len(b.curves))
    finally:
        slow.close()
        pdoc.close()


def test_pdfplumber_reads_where_pdfium_fails(monkeypatch, caplog):
    data = (DOCS / "real-hzq-2023.pdf").read_bytes()
    want = read_pdf(data, "real-hzq-2023.pdf", backend="pdfplumber")

    def broken(self, index):
        raise RuntimeError("page object tree cannot be walked")

    monkeypatch.setattr(PdfiumPages, "page", broken)
    with caplog.at_level(logging.WARNING, logger="parsers.pdf"):
        got = read_pdf(data, "real-hzq-2023.pdf")
    assert got == want
    assert "pdfium could not read the pages (page 1: RuntimeError" in caplog.text


def test_backend_switch(monkeypatch):
    data = (DOCS / "pdf-lo-word-mso.pdf").read_bytes()
    used = []
    original = PlumberPages.page
    monkeypatch.setattr(PlumberPages, "page", lambda self, i: used.append(i) or original(self, i))
    read_pdf(data)
    assert used == []
    monkeypatch.setenv("GIOAR_PDF_BACKEND", "pdfplumber")
    read_pdf(data)
    assert used == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="unknown PDF backend 'mupdf'"):
        read_pdf(data, backend="mupdf")


def _plumber_tables(h, v):
    from pdfplumber.table import TableFinder

    settings = {"vertical_strategy": "explicit", "horizontal_strategy": "explicit", "explicit_vertical_lines": v,
                "explicit_horizontal_lines": h, "snap_tolerance": 3, "join_tolerance": 3,
                "intersection_tolerance": 3, "edge_min_length": 3}
    return [(t.bbox, t.cells) for t in TableFinder(None, settings).tables]


def test_table_finder_is_pdfplumbers():
    """parsers.pdf_rules.find_tables gives pdfplumber's TableFinder cells, on the corpus pages'
    rules and on random rules (grids with gaps, near-duplicates and stray lines)."""
    import random

    from parsers.pdf import _edge
    from parsers.pdf_rules import find_tables

    cases = []
    for path in PDFS:
        data = path.read_bytes()
        pdoc = open_document(data, path.name)
        pages = PdfiumPages(pdoc)
        for i in range(len(pages)):
            edges = page_edges(pages.page(i))
            h, v = [e for e in edges if e["orientation"] == "h"], [e for e in edges if e["orientation"] == "v"]
            if len(h) >= 2 and len(v) >= 2:  # as ruled_tables calls it
                cases.append((h, v))
        pdoc.close()
    rnd = random.Random(11)
    for _ in range(150):
        xs = sorted(rnd.sample(range(20, 500, 5), rnd.randint(2, 8)))
        ys = sorted(rnd.sample(range(20, 700, 5), rnd.randint(2, 10)))
        h, v = [], []
        for y in ys:
            for a, b in zip(xs, xs[1:]):
                if rnd.random() < 0.85:
                    h.append(_edge(a + rnd.choice([0, 0.5, 2.5]), y + rnd.choice([0, 0.3, 1.7]), b, y, "h"))
        for x in xs:
            for a, b in zip(ys, ys[1:]):
                if rnd.random() < 0.85:
                    v.append(_edge(x + rnd.choice([0, 0.4, 2.9]), a, x, b + rnd.choice([0, 1, 4]), "v"))
        h += [_edge(rnd.uniform(0, 400), y, rnd.uniform(400, 600), y, "h") for y in rnd.sample(range(700), 2)]
        cases.append((h, v))
    assert sum(1 for h, v in cases if _plumber_tables(h, v)) > 100
    for h, v in cases:
        assert [(t.bbox, t.cells) for t in find_tables(h, v)] == _plumber_tables(h, v)


def test_a_ligature_keeps_its_letters():
    """pdfium gives a ligature (pdfminer's single ﬁ) as its letters: here each with its share of
    the box (the browser's footer "file://" in the Chrome print); where pdfium gives them one
    box each, page_chars makes them one glyph "fi", so that neither dedupe_chars nor the
    doubled-glyph rule drops a letter."""
    data = (DOCS / "pdf-chrome-seed-trs.pdf").read_bytes()
    pdoc = open_document(data, "x.pdf")
    try:
        chars = PdfiumPages(pdoc).page(0).chars
    finally:
        pdoc.close()
    slow = PlumberPages(data)
    try:
        lig = [c for c in slow.page(0).chars if c["text"] == "\ufb01"]
    finally:
        slow.close()
    assert len(lig) == 1
    f = min((c for c in chars if c["text"] == "f"), key=lambda c: abs(c["x0"] - lig[0]["x0"]) + abs(c["top"] - lig[0]["top"]))
    i = chars[chars.index(f) + 1]
    assert i["text"] == "i" and abs(f["x0"] - lig[0]["x0"]) < 1 and abs(i["x1"] - lig[0]["x1"]) < 1
    assert abs(f["x1"] - i["x0"]) < 0.01
