"""Match the standard tables (二, 三, 四) to canonical cells.

The document is read as one stream of cells in reading order (`cell_stream`): every printed
table cell, plus short paragraphs, which is how a table arrives when its grid was lost in
flattening. Section headings and prose are barriers. A row is a label the schema knows,
followed by the values printed after it; columns come from the header the table prints (or
the template's layout when the header is unusable). Nothing is placed by guesswork: a row
whose values do not fit its columns is left null and flagged, and the report is partial.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from parsers.model import Document, Heading, Table

from .normalize import clean, label_key
from .schema import TEMPLATES, Schema, TableSpec
from .values import is_value_text, parse_value

T2, T3, T4 = "active_disclosure", "applications", "review_litigation"
PROSE_CHARS = 60
_UNIT_IN_HEADER = re.compile(r"单位[:：]\s*([^)）\s]+)")
# A label cell that swallowed the first value of its row ("本机关不掌握相关政府信息 1"), as
# PDF→Markdown converters write a wrapped label.
_LABEL_THEN_VALUE = re.compile(r"^(?P<label>.*[\u4e00-\u9fff)）”’」』\"])\s+(?P<value>[-+]?\d[\d,，]*(?:\.\d+)?)$")


@dataclass
class Token:
    text: str
    kind: str  # value | blank | filler | text | heading | prose
    page: int | None = None
    where: tuple[int, int, int] = (0, 0, 0)  # block, grid row, grid column
    # The printed grid row (block, row) when the token is a cell of a grid of several columns;
    # None for a paragraph or a one-column grid (one cell per line), which say nothing about
    # which cells share a printed row.
    line: tuple[int, int] | None = None
    clipped: bool = False  # a cell of a table cut off at the page's right edge
    confidence: float | None = None  # OCR's confidence in the text (None: not read by OCR)


@dataclass
class MatchedCell:
    table: str
    row: str
    col: str
    value: float | None
    raw: str
    row_label: str
    col_label: str
    unit: str
    flags: list[str]
    page: int | None
    confidence: float | None = None  # OCR's confidence in the raw text (None: not read by OCR)


@dataclass
class CollapsedRow:
    """A row given fewer values than it has cells (runs of equal cells may have been collapsed):
    its unplaced cells in printed order, the values received, and the problem reported for it.
    `collapsed.place_collapsed` places those the identities decide."""

    cells: list[MatchedCell]
    values: list[Token]
    problem: str
    what: str  # "applications: row '(七)总计'", for the report's error


@dataclass
class TableMatch:
    key: str
    template: str = ""
    cells: list[MatchedCell] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    collapsed: list[CollapsedRow] = field(default_factory=list)
    received: list[list[Token]] = field(default_factory=list)  # each row's values as printed

    @property
    def found(self) -> bool:
        return any(c.raw or "blank" in c.flags or "dash" in c.flags for c in self.cells)


@dataclass
class _Row:
    table: str
    key: str  # canonical row key, or "" for a row the template does not know
    label: Token
    block: str = ""
    header: list[tuple[Token, str | None]] = field(default_factory=list)
    values: list[Token] = field(default_factory=list)
    closed_by: str = ""  # label | barrier | end


def cell_stream(doc: Document, heading_blocks: set[int]) -> list[Token]:
    """Every table cell and short paragraph in reading order; headings and prose as barriers."""
    out: list[Token] = []
    for bi, block in enumerate(doc.blocks):
        if isinstance(block, Table):
            for cell in block.cells:
                text = cell.text.strip()
                page, where = cell.page or block.page, (bi, cell.row, cell.col)
                line = (bi, cell.row) if block.n_cols > 1 else None
                if not text:
                    kind = "filler" if cell.colspan > 1 else "blank"
                else:
                    kind = "value" if is_value_text(text) else "text"
                swallowed = _LABEL_THEN_VALUE.match(text) if kind == "text" else None
                if swallowed:
                    out.append(Token(swallowed.group("label"), "text", page, where, line, block.clipped, cell.confidence))
                    out.append(Token(swallowed.group("value"), "value", page, where, line, block.clipped, cell.confidence))
                    continue
                out.append(Token(text, kind, page, where, line, block.clipped, cell.confidence))
            continue
        text = block.text.strip()
        if bi in heading_blocks or isinstance(block, Heading):
            kind = "heading"
        elif len(text) > PROSE_CHARS or "。" in text:
            kind = "prose"
        else:
            kind = "value" if is_value_text(text) else "text"
        out.append(Token(text, kind, block.page, (bi, 0, 0), getattr(block, "confidence", None)))
    return out


def _fit(tokens: list[Token], ncols: int, at_end: bool) -> list[Token] | None:
    """The row's values, one per column, or None when they cannot be placed safely.

    Filler (a run of pipes standing for merged or collapsed cells) is dropped; surplus blank
    cells at the ends (row closers and openers) are trimmed. At the end of a document cut off
    mid-row, the values shown are returned as they stand."""
    vals = [t for t in tokens if t.kind != "filler"]
    while len(vals) > ncols and vals[-1].kind == "blank":
        vals.pop()
    while len(vals) > ncols and vals[0].kind == "blank":
        vals.pop(0)
    if len(vals) == ncols or (at_end and 0 < len(vals) < ncols):
        return vals
    if at_end and len(vals) == ncols + 1:
        # The document was cut off just after the row: its last line is the start of what
        # followed (a year "20…", a heading), not a cell of this row.
        return vals[:ncols]
    return None


def _apart(label: Token, values: list[Token]) -> bool:
    """Whether some value was printed away from its label (another grid row, another line)."""
    return any(t.where[:2] != label.where[:2] for t in values)


def _own_line(r: "_Row", ncols: int) -> tuple[list[Token] | None, bool]:
    """(values, paired) for a row given more values than it has columns, read by printed lines.

    The values printed in the label's own grid row, when they fill it exactly and what came
    after them is a row of values without a label (a converter appended it to this row). Or,
    when the label's own row holds no value at all (a label on two lines, its values beside
    the second), the one label-less row of exactly the right width that follows: `paired`,
    to be confirmed by the rows around it."""
    if r.label.line is None:
        return None, False
    own = [t for t in r.values if t.line == r.label.line]
    rest = [t for t in r.values if t.line != r.label.line and t.kind != "filler"]
    if not rest or any(t.line is None for t in rest):
        return None, False
    if any(t.kind == "value" for t in own):
        return _fit(own, ncols, at_end=False), False
    if len({t.line for t in rest}) == 1 and len(rest) == ncols:
        return rest, True
    return None, False


class _Matcher:
    def __init__(self, schema: Schema, tokens: list[Token]) -> None:
        self.schema = schema
        self.specs = schema.tables
        self.tokens = tokens
        self.rows: dict[str, list[_Row]] = defaultdict(list)
        self.table: str | None = None
        self.phase = "header"
        self.block = ""
        self.header: list[tuple[Token, str | None]] = []
        self.t3_header: list[tuple[Token, str]] = []
        self.row: _Row | None = None
        self.t4_values: list[Token] = []
        self.t4_labels: dict[str, Token] = {}
        self.t4_state = "none"  # none | open | done
        self.t4_at_end = False
        self.t2_hint = self._t2_version_hint()

    # -- evidence -------------------------------------------------------------------------
    def _t2_version_hint(self) -> str:
        spec = self.specs[T2]
        seen = set()
        for tok in self.tokens:
            if tok.kind != "text":
                continue
            text = tok.text
            if label_key(text).startswith("信息内容"):
                text = label_key(text)[4:]
            for index in (spec.col_index, spec.row_index):
                for key in index.find(text, fuzzy=False):
                    marker = index.fields[key].marker_of
                    if marker:
                        seen.add(marker)
        if len(seen) == 2:
            return "hybrid"
        return seen.pop() if seen else ""

    # -- the walk -------------------------------------------------------------------------
    def run(self) -> None:
        for tok in self.tokens:
            if tok.kind in ("heading", "prose"):
                self._close_row("barrier")
                if tok.kind == "heading" or self._table_has_rows():
                    self._leave_table()
            elif tok.kind in ("value", "blank", "filler"):
                if self.row is not None:
                    self.row.values.append(tok)
                elif self.table == T4 and self.t4_state == "open":
                    self.t4_values.append(tok)
            else:
                self._on_text(tok)
        if self.row is not None:
            self._close_row("end")
        if self.table == T4 and self.t4_state == "open":
            self.t4_at_end = True

    def _table_has_rows(self) -> bool:
        if self.table == T4:
            return any(t.kind != "filler" for t in self.t4_values)
        return self.table is not None and any(r.values for r in self.rows[self.table])

    def _enter(self, table: str) -> None:
        if self.table == table:
            return
        self._close_row("label")
        self._leave_table()
        self.table = table
        self.phase = "header"
        self.header = []
        if table == T4 and self.t4_state == "none":
            self.t4_state = "open"

    def _leave_table(self) -> None:
        if self.table == T4 and self.t4_state == "open" and self.t4_values:
            self.t4_state = "done"
        self.table = None
        self.block = ""

    def _open_row(self, table: str, key: str, tok: Token) -> None:
        self._close_row("label")
        self.phase = "rows"
        block = self.block
        if key:
            spec_block = self.specs[table].row(key).block
            if spec_block:
                block = spec_block
        self.row = _Row(table, key, tok, block=block, header=list(self.header))
        self.rows[table].append(self.row)

    def _close_row(self, why: str) -> None:
        if self.row is not None:
            self.row.closed_by = why
            self.row = None

    def _continues_label(self, tok: Token) -> bool:
        """A piece of the open row's label printed apart ("部分公开" "(区分处理的" "只计这一情形"…):
        joined to it while the joined label is (the start of) the label of one row, the same row."""
        r = self.row
        if r is None or r.values or r.table not in (T2, T3):
            return False
        if not label_key(tok.text):
            if len(tok.text) <= 2:  # a bracket or comma of the label, on a line of its own
                r.label = Token(r.label.text + tok.text, "text", r.label.page, r.label.where, r.label.line)
            return False
        index = self.specs[r.table].row_index
        if label_key(tok.text) in index.exact:
            return False  # a whole label of its own: the next row
        joined = r.label.text + tok.text
        hits = index.find(joined, fuzzy=False)
        if len(hits) != 1 or (r.key and hits[0] != r.key):
            return False
        r.label = Token(joined, "text", r.label.page, r.label.where, r.label.line)
        if not r.key:
            r.key = hits[0]
            r.block = self.specs[r.table].row(r.key).block or r.block
        return True

    def _on_text(self, tok: Token) -> None:
        key = label_key(tok.text)
        spec2, spec3, spec4 = self.specs[T2], self.specs[T3], self.specs[T4]
        if self._continues_label(tok):
            return
        # A caption of table 二 ("第二十条第(一)项") opens a block.
        if key.startswith("第二十条"):
            blocks = spec2.block_index.find(tok.text, fuzzy=False)
            if blocks:
                self._enter(T2)
                self._close_row("label")
                self.block, self.header, self.phase = blocks[0], [], "header"
                return
        for spec in (spec2, spec3, spec4):
            if key in spec.anchor_keys:
                self._enter(spec.key)
                if spec.key == T2:
                    self._close_row("label")
                    self.header, self.phase = [], "header"
                    rest = key[len("信息内容"):] if key.startswith("信息内容") else ""
                    if rest:
                        self.header.append((tok, self._one(spec2.col_index.find(rest, fuzzy=False))))
                return
        if self.table == T2 and key.startswith("信息内容"):
            self._close_row("label")
            self.header, self.phase = [], "header"
            self.header.append((tok, self._one(spec2.col_index.find(key[4:], fuzzy=False))))
            return
        if self.table and self._in_table(tok, key):
            return
        # A label that only another table has: the document moved on to that table.
        for spec in (spec2, spec3, spec4):
            if spec.key == self.table:
                continue
            rows = spec.row_index.find(tok.text, fuzzy=False)
            if rows and not (spec.key == T3 and rows[0] in ("other_other", "results_total")):
                self._enter(spec.key)
                if spec.key == T4:
                    self.t4_labels[rows[0]] = tok
                else:
                    self._open_row(spec.key, rows[0], tok)
                return
            cols = spec.col_index.find(tok.text, fuzzy=False)
            if cols and cols[0] not in ("other_org", "total", "legal_person_subtotal"):
                self._enter(spec.key)
                if spec.key == T3:
                    self.t3_header.append((tok, cols[0]))
                return
        if self.table in (T2, T3):
            if self.phase == "header":
                if self.table == T2:
                    self.header.append((tok, None))
            elif 2 <= len(key) <= 40:
                self._open_row(self.table, "", tok)  # a row the template does not know

    def _in_table(self, tok: Token, key: str) -> bool:
        spec = self.specs[self.table]
        if self.table == T4:
            for index, labels in ((spec.row_index, self.t4_labels), (spec.col_index, None)):
                hits = index.find(tok.text, fuzzy=False)
                if hits:
                    if labels is not None:
                        labels.setdefault(hits[0], tok)
                    return True
            return False
        if self.table == T3 and self.phase == "header":
            cols = spec.col_index.find(tok.text, fuzzy=False)
            if cols:
                self.t3_header.append((tok, cols[0]))
                return True
            if key in spec.group_keys:
                return True
        if self.table == T2 and self.phase == "header":
            rows = spec.row_index.find(tok.text, fuzzy=False)
            if not rows:
                cols = spec.col_index.find(tok.text, fuzzy=False)
                if cols:
                    self.header.append((tok, self._one(cols)))
                    return True
        rows = spec.row_index.find(tok.text, fuzzy=True)
        if rows:
            self._open_row(self.table, rows[0], tok)
            return True
        if key in spec.group_keys:
            self._close_row("label")
            return True
        return False

    @staticmethod
    def _one(keys: list[str]) -> str | None:
        return keys[0] if len(keys) == 1 else None

    # -- resolution -----------------------------------------------------------------------
    def result(self) -> dict[str, TableMatch]:
        out = {T2: TableMatch(T2), T3: TableMatch(T3), T4: TableMatch(T4)}
        self._resolve_rows(out[T2], self._t2_columns)
        self._resolve_rows(out[T3], self._t3_columns)
        self._add_not_printed(out[T3])
        self._resolve_t4(out[T4])
        out[T2].template = self._template_of(out[T2], self.specs[T2])
        out[T3].template = self._t3_template(out[T3])
        return out

    def _t3_columns(self, row: _Row | None = None) -> tuple[list[str], dict[str, str]]:
        """Table 三's columns that are printed (all, unless a print cut the last ones off)."""
        spec = self.specs[T3]
        printed = {k: tok.text for tok, k in self.t3_header}
        cols = [c.key for c in spec.cols if not c.optional or c.key in printed]
        cut = self._t3_not_printed(cols, printed)
        return (cols[: len(cols) - len(cut)] if cut else cols), printed

    def _t3_not_printed(self, cols: list[str], printed: dict[str, str]) -> list[str]:
        """The columns of table 三 that a print cut off at the page edge: its header is clipped
        and prints exactly the first columns, in order."""
        if not any(tok.clipped for tok, _ in self.t3_header):
            return []
        k = len(printed)
        return cols[k:] if 0 < k < len(cols) and set(printed) == set(cols[:k]) else []

    def _add_not_printed(self, match: TableMatch) -> None:
        """Every row of table 三 gets its cut-off columns as null cells flagged not_printed."""
        spec = self.specs[T3]
        shown, _ = self._t3_columns()
        cut = [c.key for c in spec.cols if c.key not in shown and not c.optional]
        if not cut or not shown:
            return
        out: list[MatchedCell] = []
        for i, c in enumerate(match.cells):
            out.append(c)
            if i + 1 == len(match.cells) or match.cells[i + 1].row != c.row:
                out.extend(MatchedCell(T3, c.row, col, None, "", c.row_label, spec.col(col).label, "",
                                       ["not_printed"], c.page) for col in cut)
        match.cells = out
        match.problems.append(f"{T3}: columns {', '.join(spec.col(col).label for col in cut)} not printed "
                              "(the table is cut off at the page edge); left null")

    def _t2_columns(self, row: _Row) -> tuple[list[str] | None, dict[str, str]]:
        spec = self.specs[T2]
        block = row.block
        layouts = {tpl: spec.layouts[(tpl, block)] for tpl in TEMPLATES if (tpl, block) in spec.layouts}
        allowed = {c for cols in layouts.values() for c in cols}
        header = self._join_fragments(row.header)
        mapped = [k for _, k in header]
        printed_by_pos = [tok.text for tok, _ in header]
        if header and None not in mapped and len(set(mapped)) == len(mapped) and set(mapped) <= allowed:
            return list(mapped), dict(zip(mapped, printed_by_pos))
        n_values = len([t for t in row.values if t.kind != "filler"])
        candidates = []
        if self.t2_hint in layouts:
            candidates = [layouts[self.t2_hint]]
        else:
            candidates = list(layouts.values())
        fits = [c for c in candidates if len(c) == len(header)] if header else []
        if not fits:
            fits = [c for c in candidates if len(c) == n_values] if len(candidates) > 1 or header else candidates
        if len(fits) == 1:
            cols = list(fits[0])
            return cols, dict(zip(cols, printed_by_pos)) if len(header) == len(cols) else {}
        return None, {}

    def _join_fragments(self, header: list[tuple[Token, str | None]]) -> list[tuple[Token, str | None]]:
        """Header labels broken over two cells ("本年新" + "制作数量") joined back."""
        index = self.specs[T2].col_index
        out = list(header)
        i = 0
        while i + 1 < len(out):
            (a, ka), (b, kb) = out[i], out[i + 1]
            if ka is None and kb is None:
                joined = self._one(index.find(a.text + b.text, fuzzy=False))
                if joined:
                    out[i:i + 2] = [(Token(a.text + b.text, "text", a.page, a.where), joined)]
                    continue
            i += 1
        return out

    def _resolve_rows(self, match: TableMatch, columns) -> None:
        spec = self.specs[match.key]
        rows = self.rows[match.key]
        seen: set[str] = set()
        extra = 0
        # A known row printed without values just before a row with values: from there on (in
        # its block), labels and values may be apart, and values printed away from their own
        # label are not trusted. Rows before that point, and other blocks, are not affected.
        detached_at = [i for i, r in enumerate(rows)
                       if not r.values and r.closed_by == "label" and r.key and r.key != "other_handling"
                       and i + 1 < len(rows) and rows[i + 1].values]
        if detached_at:
            match.problems.append(f"{match.key}: row labels are detached from their values; "
                                  "values printed away from their label are left null")
        for j, r in enumerate(rows):
            if not r.values:
                continue
            if r.key in seen:
                match.problems.append(f"{match.key}: row '{r.label.text}' printed twice; the first is kept")
                continue
            cols, printed = columns(r)
            at_end = r.closed_by == "end"
            match.received.append([t for t in r.values if t.kind != "filler"])
            if r.key:
                seen.add(r.key)
                row_key, flags = r.key, []
            else:
                extra += 1
                row_key, flags = f"extra_{extra}", ["unmatched_row"]
            placed = _fit(r.values, len(cols), at_end) if cols else None
            paired = False
            if placed is None and cols:
                placed, paired = _own_line(r, len(cols))
                if paired and not self._paired(rows, j, placed, len(cols), spec):
                    placed = None
                elif placed is not None and not paired:
                    match.problems.append(f"{match.key}: row '{r.label.text}': values printed after it "
                                          "without a label are left out")
            suspect = any(i < j and rows[i].block == r.block for i in detached_at)
            if placed is not None and suspect and _apart(r.label, placed) \
                    and not (paired or self._paired(rows, j, placed, len(cols), spec)):
                match.problems.append(f"{match.key}: row '{r.label.text}': values printed away from "
                                      "their label; left null")
                for c in cols:
                    match.cells.append(self._cell(spec, row_key, c, None, r, printed, flags + ["unplaced"]))
                continue
            if placed is None:
                shown = " ".join(t.text or "∅" for t in r.values if t.kind != "filler")
                if cols is None:
                    cols = [f"value_{i + 1}" for i in range(len([t for t in r.values if t.kind != "filler"]))]
                    match.problems.append(f"{match.key}: row '{r.label.text}': columns unknown ({shown})")
                else:
                    match.problems.append(
                        f"{match.key}: row '{r.label.text}': {shown!r} does not fit {len(cols)} columns; left null")
                row_cells = [self._cell(spec, row_key, c, None, r, printed, flags + ["unplaced"]) for c in cols]
                match.cells.extend(row_cells)
                received = [t for t in r.values if t.kind != "filler"]
                if 0 < len(received) < len(cols) and r.key:
                    match.collapsed.append(CollapsedRow(row_cells, received, match.problems[-1],
                                                        f"{match.key}: row '{r.label.text}'"))
                continue
            if at_end and len(placed) < len(cols):
                match.problems.append(f"{match.key}: document ends inside row '{r.label.text}'")
            for c, tok in zip(cols, placed):
                match.cells.append(self._cell(spec, row_key, c, tok, r, printed, list(flags)))

    @staticmethod
    def _paired(rows: list[_Row], j: int, placed: list[Token], ncols: int, spec: TableSpec) -> bool:
        """A label-only row followed by a row of values without a label, of exactly the row's
        width, between neighbours printed with their own values in the schema's order: the
        label and the values belong together."""
        r = rows[j]
        lines = {t.line for t in placed}
        if len(placed) != ncols or len(lines) != 1 or None in lines or r.label.line in lines or not r.key:
            return False
        order = [f.key for f in spec.rows]

        def attached(n: _Row) -> bool:
            own = [t for t in n.values if t.kind != "filler"]
            return bool(n.key) and bool(own) and all(t.line is not None and t.line == n.label.line for t in own)

        neighbours = [rows[j - 1]] if j else []
        neighbours += [rows[j + 1]] if j + 1 < len(rows) else []
        if not neighbours or not all(attached(n) for n in neighbours):
            return False
        at = order.index(r.key)
        return (j == 0 or order.index(rows[j - 1].key) < at) and \
            (j + 1 == len(rows) or at < order.index(rows[j + 1].key))

    def _cell(self, spec: TableSpec, row_key: str, col: str, tok: Token | None, r: _Row,
              printed: dict[str, str], flags: list[str]) -> MatchedCell:
        col_field = spec.col_index.fields.get(col)
        col_label = printed.get(col) or (col_field.label if col_field else "")
        header_unit = _UNIT_IN_HEADER.search(clean(col_label))
        unit = header_unit.group(1) if header_unit else (col_field.unit if col_field else "")
        if tok is None:
            return MatchedCell(spec.key, row_key, col, None, "", r.label.text, col_label, unit, flags, r.label.page)
        v = parse_value(tok.text)
        return MatchedCell(spec.key, row_key, col, v.value, tok.text, r.label.text, col_label,
                           v.unit or unit, flags + v.flags, tok.page or r.label.page, tok.confidence)

    def _resolve_t4(self, match: TableMatch) -> None:
        spec = self.specs[T4]
        if not self.t4_values:
            return
        n = len(spec.rows) * len(spec.cols)
        placed = _fit(self.t4_values, n, self.t4_at_end)
        received = [t for t in self.t4_values if t.kind != "filler"]
        match.received.append(received)
        if placed is None:
            shown = " ".join(t.text or "∅" for t in received)
            match.problems.append(f"{T4}: {shown!r} does not fit the {n} cells of the table; left null")
        elif len(placed) < n:
            match.problems.append(f"{T4}: document ends inside the table")
        i = 0
        for row in spec.rows:
            label = self.t4_labels.get(row.key)
            for col in spec.cols:
                tok = placed[i] if placed is not None and i < len(placed) else None
                i += 1
                if placed is not None and tok is None:
                    continue
                fake = _Row(T4, row.key, label or Token(row.label, "text"))
                cell = self._cell(spec, row.key, col.key, tok, fake, {}, [] if placed is not None else ["unplaced"])
                if label is None:
                    cell.row_label = row.label
                match.cells.append(cell)
        if placed is None and 0 < len(received) < n:
            match.collapsed.append(CollapsedRow(match.cells[-n:], received, match.problems[-1], T4))

    def _template_of(self, match: TableMatch, spec: TableSpec) -> str:
        markers = set()
        for c in match.cells:
            if c.row in spec.row_index.fields and spec.row(c.row).marker_of:
                markers.add(spec.row(c.row).marker_of)
            if c.col in spec.col_index.fields and spec.col(c.col).marker_of:
                markers.add(spec.col(c.col).marker_of)
        if len(markers) == 2:
            return "hybrid"
        return markers.pop() if markers else ""

    def _t3_template(self, match: TableMatch) -> str:
        rows = {c.row for c in match.cells}
        if rows & {"other_overdue_correction", "other_unpaid_fee", "other_other"}:
            return "gioar-2021"
        if "other_handling" in rows:
            return "gioar-2019"
        return ""


def match_tables(doc: Document, heading_blocks: set[int], schema: Schema) -> dict[str, TableMatch]:
    """Find tables 二, 三 and 四 in a document and map their cells to canonical keys."""
    matcher = _Matcher(schema, cell_stream(doc, heading_blocks))
    matcher.run()
    return matcher.result()
