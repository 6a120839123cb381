"""parsers/text.py and parsers/encoding.py: the flattenings real pages use, and bad bytes."""
from __future__ import annotations

import pytest

from parsers import BinaryDocument, EmptyDocument, Paragraph, Table, read


def tables(text: str) -> list[list[list[str]]]:
    doc = read(text.encode("utf-8"), "t.txt")
    return [[[c.text if c.colspan == 1 else f"<{c.colspan}>" for c in row] for row in b.rows()]
            for b in doc.blocks if isinstance(b, Table)]


def test_whole_rows_on_one_line_with_merged_filler():
    text = "二、主动公开政府信息情况\n第二十条第(一)项 | |||\n信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n规章 | 0 |  | 3 |\n"
    assert tables(text) == [[["第二十条第(一)项", "<3>"],
                             ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
                             ["规章", "0", "", "3"]]]


def test_one_cell_per_line_rows_closed_by_pipes():
    """The seed's flattening: a lone pipe is a blank cell, a run of pipes closes the row."""
    text = "规章 |\n0 |\n|\n6 |\n|\n行政事业性收费 |\n0 |\n0 |\n||\n"
    assert tables(text) == [[["规章", "0", "", "6", "", "行政事业性收费", "0", "0", "<2>"]]]


def test_one_cell_per_line_each_followed_by_a_pipe_line():
    text = "规章\n|\n0\n|\n0\n|\n|\n行政许可\n|\n2910\n|\n|||\n"
    assert tables(text) == [[["规章", "0", "0", "", "行政许可", "2910", "<3>"]]]


def test_heading_before_a_row_opener_stays_a_paragraph():
    text = "二、主动公开政府信息情况\n|\n第二十条第(一)项 | |||\n|\n规章 |\n0 |\n"
    doc = read(text.encode(), "t.txt")
    assert isinstance(doc.blocks[0], Paragraph) and doc.blocks[0].text == "二、主动公开政府信息情况"
    assert isinstance(doc.blocks[1], Table)


def test_label_broken_across_lines_is_joined():
    text = "信息内容 |\n本年新\n制作数量 |\n对外公开总数量 |\n"
    assert tables(text) == [[["信息内容"], ["本年新制作数量"], ["对外公开总数量"]]]


def test_pdf_text_rows_of_numbers():
    text = "四、结转下年度继续办理 0 0 0 0 0 0 7\n说明文字，不是表格。\n0 0 0 0 0 0 0 0 0 0 0 0 0 0 15\n"
    assert tables(text) == [[["四、结转下年度继续办理", "0", "0", "0", "0", "0", "0", "7"]],
                            [["0"] * 14 + ["15"]]]


def test_markdown_table_and_heading():
    text = "## 表二\n| 信息内容 | 本年制发件数 |\n|---|---|\n| 规章 | 4 |\n"
    doc = read(text.encode(), "t.md")
    assert doc.blocks[0].text == "表二"
    assert tables(text) == [[["信息内容", "本年制发件数"], ["规章", "4"]]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_encodings(encoding):
    text = "一、总体情况\n本年度收到申请𠀀3件。\n" if encoding in ("utf-8", "utf-8-sig", "gb18030", "utf-16") \
        else "一、总体情况\n本年度收到申请3件。\n"
    doc = read(text.encode(encoding), "t.txt")
    assert doc.blocks[1].text == text.split("\n")[1]
    assert doc.encoding in {"utf-8": "utf-8", "utf-8-sig": "utf-8", "gb18030": "gb18030",
                            "gbk": "gb18030", "utf-16": "utf-16"}[encoding]


def test_utf8_cut_inside_a_character_is_read():
    data = "一、总体情况\n我局".encode("utf-8")[:-1]
    assert read(data, "t.txt").blocks[-1].text == "我"


@pytest.mark.parametrize("data, error", [(b"", EmptyDocument), (b"  \n\n ", EmptyDocument),
                                         (bytes(range(256)) * 8, BinaryDocument)])
def test_bad_bytes(data, error):
    with pytest.raises(error) as exc:
        read(data, "bad.txt")
    assert exc.value.source == "bad.txt"


def test_docx_detected_when_its_word_entries_come_late():
    import io
    import zipfile

    from parsers import sniff_format

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("aaa/padding.bin", bytes(100_000))
        z.writestr("word/document.xml", "<w:document/>")
    assert sniff_format(buf.getvalue(), "attachment") == "docx"
