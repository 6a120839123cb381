"""Plain text (and Markdown) whose tables were flattened with pipes, or not at all.

Web archives and copy-paste flatten a table in several ways (see the spec, formats.md §8/§11):

- whole rows on one line: ``规章 | 0 | 0 | 0 |``, with merged-cell filler ``第二十条第(一)项 | |||``;
- one cell per line ending in `` |``; a lone ``|`` is a blank cell, a line of several pipes
  closes a row or stands for merged cells (the seed document);
- one cell per line, each followed by a line holding only ``|`` (the cell's own terminator);
- Markdown tables (``| a | b |`` with a ``|---|`` rule);
- PDF text: a label followed by space-separated numbers (``四、结转下年度继续办理 0 0 0 0 0 0 0``);
- no pipes at all: every cell on its own line. Such lines stay paragraphs; the report side
  decides which short paragraphs are table cells.

A run of trailing pipes is kept as one blank cell spanning that many columns (it stands for
merged or collapsed cells); a lone pipe is one blank cell. The reader never drops a cell.
"""
from __future__ import annotations

import re

from .model import Block, Cell, Heading, Paragraph, Table

_PIPES = re.compile(r"^[|｜\s]+$")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
# A line that opens a top-level part ("三、收到和处理…"): it never continues a table cell.
_TOP_NUMERAL = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")
_SENTENCE_END = re.compile(r"[。；;！!？?]\s*$")
_NUM = r"[-+]?\d[\d,，]*(?:\.\d+)?"
_NUMBER_ROW = re.compile(
    r"^(?P<label>(?:[(（]?[一二三四五六七八九十\d]{1,3}[)）.、．]\s*)*[^\d\s|][^\d|]*?)?\s*"
    rf"(?P<nums>(?:{_NUM}\s+)*{_NUM})\s*$"
)
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def _kind(line: str) -> str:
    s = line.strip()
    if not s:
        return "blank"
    if _MD_RULE.match(s) and "-" in s:
        return "rule"
    if "|" in s or "｜" in s:
        return "pipes" if _PIPES.match(s) else "piped"
    return "plain"


def _number_row(line: str) -> list[str] | None:
    """Split 'label n n n' (PDF text) into cells, or None when the line is not such a row."""
    s = line.strip()
    m = _NUMBER_ROW.match(s)
    if not m:
        return None
    label = (m.group("label") or "").strip()
    nums = m.group("nums").split()
    if label and (len(label) > 40 or re.search(r"[。，,；;：:]", label)):
        return None
    if len(nums) < 2 and not (label and len(label) <= 20):
        return None
    if not label and len(nums) < 2:
        return None
    return ([label] if label else []) + nums


def read_text(text: str) -> list[Block]:
    """Split text into blocks: paragraphs (one per line), Markdown headings and tables."""
    text = text.translate(_ZERO_WIDTH).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    kinds = [_kind(line) for line in lines]
    n = len(lines)

    def next_nonblank(i: int) -> int:
        j = i + 1
        while j < n and kinds[j] == "blank":
            j += 1
        return j

    # A plain line directly followed by a pipes-only line is a cell whose terminator is that line.
    cell_line = [kinds[i] == "plain" and next_nonblank(i) < n and kinds[next_nonblank(i)] == "pipes"
                 for i in range(n)]
    if sum(cell_line) <= kinds.count("piped"):
        # Cells carry their own pipes here, so a plain line before a lone "|" (a row opener)
        # is a heading or a paragraph, not a cell.
        cell_line = [False] * n
    tabular = [k in ("pipes", "piped", "rule") or cell_line[i] for i, k in enumerate(kinds)]

    def fragment(i: int) -> bool:
        """A short plain line inside a table: a label broken across lines."""
        s = lines[i].strip()
        return (kinds[i] == "plain" and not cell_line[i] and len(s) <= 20
                and not _TOP_NUMERAL.match(s) and not _SENTENCE_END.search(s))

    blocks: list[Block] = []
    numbers: list[list[str]] = []

    def flush_numbers() -> None:
        if numbers:
            blocks.append(Table.from_rows([[Cell(t) for t in row] for row in numbers]))
            numbers.clear()

    i = 0
    while i < n:
        if tabular[i]:
            j = i
            end = i
            while j < n:
                if tabular[j]:
                    end = j
                    j += 1
                    continue
                if kinds[j] == "blank" or fragment(j):
                    # Continue only if a tabular line follows within a few lines.
                    k = j
                    while k < n and k - j < 4 and (kinds[k] == "blank" or fragment(k)):
                        k += 1
                    if k < n and tabular[k] and k - j < 4:
                        j = k
                        continue
                break
            flush_numbers()
            table = _pipe_table(lines[i : end + 1], kinds[i : end + 1], cell_line[i : end + 1])
            if table is not None:
                blocks.append(table)
            i = end + 1
            continue
        kind = kinds[i]
        s = lines[i].strip()
        if kind == "blank":
            i += 1
            continue
        row = _number_row(s)
        if row is not None:
            numbers.append(row)
            i += 1
            continue
        flush_numbers()
        m = _MD_HEADING.match(s)
        if m:
            blocks.append(Heading(m.group(2), level=len(m.group(1))))
        else:
            blocks.append(Paragraph(s))
        i += 1
    flush_numbers()
    return blocks


def _pipe_table(lines: list[str], kinds: list[str], cell_line: list[bool]) -> Table | None:
    rows: list[list[Cell]] = []
    current: list[Cell] = []
    pending = ""  # label text broken across lines, waiting for its cell
    after_plain_cell = False
    ended_rows = False

    def end_row() -> None:
        nonlocal current, ended_rows
        if current:
            rows.append(current)
            current = []
        ended_rows = True

    for line, kind, is_cell in zip(lines, kinds, cell_line):
        s = line.strip().replace("｜", "|")
        if kind in ("blank", "rule"):
            continue
        if kind == "plain":
            if is_cell:
                current.append(Cell(pending + s))
                pending = ""
                after_plain_cell = True
            else:
                pending += s
            continue
        if kind == "pipes":
            k = s.count("|")
            if after_plain_cell:
                k -= 1  # the pipe that closes the cell on the line above
                after_plain_cell = False
            if k == 1:
                current.append(Cell(""))
            elif k >= 2:
                current.append(Cell("", colspan=k))
                end_row()
            continue
        after_plain_cell = False
        pieces = s.split("|")
        if pieces and not pieces[0].strip():
            pieces = pieces[1:]  # the row opener of "| a | b |"
        if pieces and not pieces[-1].strip():
            pieces = pieces[:-1]  # what follows the last pipe is outside the table
        texts = [p.strip() for p in pieces]
        last = max((k for k, t in enumerate(texts) if t), default=-1)
        content, trailing = texts[: last + 1], len(texts) - last - 1
        if pending and content:
            content[0] = pending + content[0]
            pending = ""
        current.extend(Cell(t) for t in content)
        if trailing == 1:
            current.append(Cell(""))
        elif trailing >= 2:
            current.append(Cell("", colspan=trailing))
        if len(content) >= 2 or trailing >= 2:
            end_row()
    if pending:
        current.append(Cell(pending))
    if current:
        rows.append(current)
    if not rows:
        return None
    if not ended_rows and len(rows) == 1:
        # One cell per line and nothing that says where rows end: show it as one column.
        rows = [[c] for c in rows[0]]
    return Table.from_rows(rows)
