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


@dataclass
class Token:
    text: str
    kind: str  # value | blank | filler | text | heading | prose
    page: int | None = None
    where: tuple[int, int, int] = (0, 0, 0)  # block, grid row, grid column
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
class TableMatch:
    key: str
    template: str = ""
    cells: list[MatchedCell] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

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
                if not text:
                    kind = "filler" if cell.colspan > 1 else "blank"
                else:
                    kind = "value" if is_value_text(text) else "text"
                out.append(Token(text, kind, cell.page or block.page, (bi, cell.row, cell.col), cell.confidence))
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

    def _on_text(self, tok: Token) -> None:
        key = label_key(tok.text)
        spec2, spec3, spec4 = self.specs[T2], self.specs[T3], self.specs[T4]
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
        self._resolve_t4(out[T4])
        out[T2].template = self._template_of(out[T2], self.specs[T2])
        out[T3].template = self._t3_template(out[T3])
        return out

    def _t3_columns(self, row: _Row) -> tuple[list[str], dict[str, str]]:
        spec = self.specs[T3]
        printed = {k: tok.text for tok, k in self.t3_header}
        cols = [c.key for c in spec.cols if not c.optional or c.key in printed]
        return cols, printed

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
        detached = any(
            not r.values and r.closed_by == "label" and r.key and r.key != "other_handling"
            and i + 1 < len(rows) and rows[i + 1].values
            for i, r in enumerate(rows)
        )
        if detached:
            match.problems.append(f"{match.key}: row labels are detached from their values; "
                                  "values printed away from their label are left null")
        for r in rows:
            if not r.values:
                continue
            if r.key in seen:
                match.problems.append(f"{match.key}: row '{r.label.text}' printed twice; the first is kept")
                continue
            cols, printed = columns(r)
            at_end = r.closed_by == "end"
            if r.key:
                seen.add(r.key)
                row_key, flags = r.key, []
            else:
                extra += 1
                row_key, flags = f"extra_{extra}", ["unmatched_row"]
            placed = _fit(r.values, len(cols), at_end) if cols else None
            if placed is not None and detached and any(t.where[:2] != r.label.where[:2] for t in placed):
                placed = None
            if placed is None:
                shown = " ".join(t.text or "∅" for t in r.values if t.kind != "filler")
                if cols is None:
                    cols = [f"value_{i + 1}" for i in range(len([t for t in r.values if t.kind != "filler"]))]
                    match.problems.append(f"{match.key}: row '{r.label.text}': columns unknown ({shown})")
                else:
                    match.problems.append(
                        f"{match.key}: row '{r.label.text}': {shown!r} does not fit {len(cols)} columns; left null")
                for c in cols:
                    match.cells.append(self._cell(spec, row_key, c, None, r, printed, flags + ["unplaced"]))
                continue
            if at_end and len(placed) < len(cols):
                match.problems.append(f"{match.key}: document ends inside row '{r.label.text}'")
            for c, tok in zip(cols, placed):
                match.cells.append(self._cell(spec, row_key, c, tok, r, printed, list(flags)))

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
        if placed is None:
            shown = " ".join(t.text or "∅" for t in self.t4_values if t.kind != "filler")
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
