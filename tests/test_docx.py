"""The Word reader: DOCX (python-docx) and DOC/WPS through LibreOffice."""
from __future__ import annotations

import io
import time

import pytest

import extract
from conftest import DOCS, ROOT
from parsers import read
from parsers.convert import convert_to_docx, find_soffice, read_doc
from parsers.docx import read_docx
from parsers.errors import ConversionError, CorruptDocument, MissingTool
from parsers.model import Heading, Paragraph, Table

DATA = ROOT / "tests" / "data"


def _docx_bytes() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("某某局2023年政府信息公开工作年度报告", level=0)
    d.add_heading("一、总体情况", level=1)
    d.add_paragraph("全年主动公开政府信息12条。")
    d.add_paragraph("主动公开", style="List Number")
    d.add_paragraph("依申请公开", style="List Number")
    t = d.add_table(rows=4, cols=4)
    t.cell(0, 0).merge(t.cell(0, 3)).text = "第二十条第（一）项"
    for c, text in enumerate(["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]):
        t.cell(1, c).text = text
    merged = t.cell(2, 0).merge(t.cell(3, 0))
    merged.text = "规章"
    for c, text in enumerate(["1", "0", "5"], 1):
        t.cell(2, c).text = text
        t.cell(3, c).text = str(int(text) + 1)
    t.cell(3, 1).paragraphs[0].add_run().add_break()
    t.cell(3, 1).add_paragraph("件")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_headings_numbering_and_merged_cells():
    doc = read(_docx_bytes(), name="x.docx")
    assert doc.format == "docx"
    heads = [b for b in doc.blocks if isinstance(b, Heading)]
    assert [h.text for h in heads] == ["某某局2023年政府信息公开工作年度报告", "一、总体情况"]
    paras = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert paras == ["全年主动公开政府信息12条。", "1.主动公开", "2.依申请公开"]
    table = next(b for b in doc.blocks if isinstance(b, Table))
    assert table.as_text_grid() == [
        ["第二十条第（一）项", "〃", "〃", "〃"],
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "1", "0", "5"],
        ["〃", "2件", "1", "6"],
    ]
    caption = table.cells[0]
    assert (caption.colspan, caption.rowspan) == (4, 1)
    label = table.cell(2, 0)
    assert (label.text, label.rowspan) == ("规章", 2)


def test_docx_saved_by_libreoffice_matches_the_html_page():
    if not (DOCS / "html-word-mso.html").exists():
        pytest.skip("html-word-mso.html (tests/make_html_corpus.py) is not in this checkout")
    a = extract.parse_file(DOCS / "docx-lo-word-mso.docx")
    b = extract.parse_file(DOCS / "html-word-mso.html")
    assert a.format == "docx" and a.status == "ok"
    assert {(c.table, c.row, c.col): c.value for c in a.cells} == {(c.table, c.row, c.col): c.value for c in b.cells}
    assert [c.status for c in a.checks] == [c.status for c in b.checks]


def test_damaged_docx_is_a_clear_error():
    data = _docx_bytes()
    with pytest.raises(CorruptDocument):
        read_docx(data[: len(data) // 2], "half.docx")
    report = extract.parse_bytes(data[: len(data) // 2], "half.docx")
    assert report.status == "failed" and report.error


@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed")
def test_doc_read_through_libreoffice():
    report = extract.parse_file(DATA / "doc-lo-word-mso.doc")
    assert report.format == "doc" and report.status == "ok" and len(report.cells) == 200


def test_doc_without_libreoffice_names_what_to_install(monkeypatch):
    import parsers.convert as conv

    monkeypatch.setattr(conv, "find_soffice", lambda: None)
    with pytest.raises(MissingTool, match="LibreOffice"):
        read_doc((DATA / "doc-lo-word-mso.doc").read_bytes(), "x.doc")
    report = extract.parse_file(DATA / "doc-lo-word-mso.doc")
    assert report.status == "failed" and "apt-get install libreoffice" in report.error


def test_conversion_has_a_time_limit(monkeypatch, tmp_path):
    import parsers.convert as conv

    hang = tmp_path / "soffice"
    hang.write_text("#!/bin/sh\nsleep 60\n")
    hang.chmod(0o755)
    monkeypatch.setattr(conv, "find_soffice", lambda: str(hang))
    start = time.monotonic()
    with pytest.raises(ConversionError, match="within 1 s"):
        convert_to_docx(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "x.doc", time_limit=1)
    assert time.monotonic() - start < 5


def test_unsupported_format_names_what_is_supported():
    """parsers.read said '(text reports only)' for an unsupported format: stale since HTML, PDF
    and Word are read."""
    import zipfile

    from parsers import UnsupportedFormat

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("report.xlsx.xml", "<x/>")
    with pytest.raises(UnsupportedFormat) as exc:
        read(buf.getvalue(), "attachments.zip")
    assert exc.value.message == ("zip documents are not supported: "
                                 "the readers take HTML, PDF, DOCX, DOC/WPS and plain text")
    r = extract.parse_bytes(buf.getvalue(), "attachments.zip")
    assert (r.status, r.error) == ("failed", exc.value.message)
