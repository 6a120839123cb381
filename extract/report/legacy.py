"""The legacy era (2008–2018 reports, formats.md §7): the statistics table, section keys, the verdict.

The statistics appendix (附表, 统计表) is a list of indicators, one per row:
`指标名称 | 计量单位 | <year> | 历年累计` (variant A), `统计指标 | 单位 | 统计数` (variant B), or
a local simplification (variant C, `指标名称 | 计量单位 | 数量`). It is read from the same cell
stream as the modern tables (`templates.cell_stream`): the header row says which column is which
(label, unit, code, the year's figure, the cumulative one), then every label followed by values
is a row. The label finds its `legacy_statistics` key through the schema (aliases are data); a
label the schema does not know becomes `extra_N`. A label followed by no value is a group heading
("一、主动公开情况") and is skipped. Flattened text drops blank cells, so a row printing fewer values
than the header has columns fills the columns from the left (the year's figure comes first).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.model import Document, Heading, Paragraph, Table

from .normalize import clean, label_key, strip_numbering
from .schema import Schema, TableSpec
from .sections import FoundSection, match_key
from .templates import MatchedCell, Token, cell_stream
from .values import UNITS, parse_value

LEGACY = "legacy_statistics"
_YEAR = re.compile(r"(?:19|20)\d\d")
_SUB_ROW = re.compile(r"^\s*其中\s*[:：]?\s*")
# Units printed in the unit column (variant B adds 篇, 次, 人次; some print 件次, 场次).
_UNIT_WORDS = frozenset(UNITS) | {"件次", "条次", "场次", "人次", "万人次", "场", "期", "户", "名", "份", "处", "宗", "起",
                                  "千元", "万", "页", "小时"}
MAX_JOIN = 3  # header words broken over lines: "指\n标 名 称", "2015\n年"


@dataclass
class StatisticsMatch:
    """The statistics table as matched: its cells and, for `extract show`, its columns."""

    cells: list[MatchedCell] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # role per printed column: label, unit, code, reported…
    header: list[str] = field(default_factory=list)  # the header as printed
    problems: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return any(c.value is not None for c in self.cells)


def _column_role(text: str, spec: TableSpec) -> str | None:
    """label, unit, code, reported, cumulative, or None when the header word is none of them."""
    key = label_key(text)
    if not key:
        return None
    if key in spec.anchor_keys:
        return "label"
    if key in {label_key(w) for w in spec.header_unit}:
        return "unit"
    if key in {label_key(w) for w in spec.header_code}:
        return "code"
    key = _YEAR.sub("YYYY", key)
    hits = spec.col_index.find(key, fuzzy=False)
    if len(hits) == 1:
        return hits[0]
    return next((col for col, pattern in spec.col_patterns if pattern.search(key)), None)


def _is_unit(tok: Token) -> bool:
    return tok.kind == "text" and clean(tok.text).replace(" ", "") in _UNIT_WORDS


class _Reader:
    def __init__(self, tokens: list[Token], spec: TableSpec, doc: Document) -> None:
        self.tokens = tokens
        self.spec = spec
        self.doc = doc
        self.match = StatisticsMatch()
        self.extra = 0
        self.seen: list[str] = []  # row keys matched so far (a sub-row's parent is the latest)

    def _header_at(self, i: int) -> int | None:
        """Index after the header when a statistics header starts at token i, else None."""
        for n in range(1, MAX_JOIN + 1):
            words = self.tokens[i:i + n]
            if any(t.kind not in ("text", "heading") for t in words):
                break
            if _column_role("".join(t.text for t in words), self.spec) == "label":
                return self._read_header(i + n, "".join(t.text for t in words))
        return None

    def _read_header(self, j: int, first: str) -> int | None:
        roles, printed = ["label"], [first]
        while j < len(self.tokens) and len(roles) < 8:
            role, used = None, 0
            for n in range(1, MAX_JOIN + 1):
                words = self.tokens[j:j + n]
                if len(words) < n or any(t.kind in ("prose", "blank", "filler") for t in words):
                    break
                text = "".join(t.text for t in words)
                # A bare year ("2015") is a value token; with what follows ("年", "年度") it is a header.
                role = _column_role(text, self.spec)
                if role:
                    used = n
                    if words[-1].kind == "value" and j + n < len(self.tokens):
                        # "2015" then "年": the year's header broken after its digits
                        longer = text + self.tokens[j + n].text
                        if _column_role(longer, self.spec) == role and self.tokens[j + n].kind == "text":
                            used = n + 1
                    break
            if not role and self._other_column(j):
                role, used = "other", 1  # a column this table adds (市本级, 县区, 备注): not a value of ours
            if not role:
                break
            text = "".join(t.text for t in self.tokens[j:j + used])
            roles.append(role)
            printed.append(text)
            j += used
        values = [r for r in roles if r in ("reported", "cumulative")]
        if "unit" not in roles and not values:
            return None
        roles = _settle_years(roles, printed)
        self.match.columns, self.match.header = roles, [clean(p) for p in printed]
        return j

    def _other_column(self, j: int) -> bool:
        """Whether the header word at j names a column we do not read, rather than starting the rows.

        In a grid, any word of the header row is a column. In flattened text, a short word that
        is no row label, no unit, and is followed by another header-like word."""
        tok = self.tokens[j]
        if tok.kind != "text" or _is_unit(tok) or self._row_key(tok.text) is not None:
            return False
        anchor = self.tokens[j - 1]
        if isinstance(self.doc.blocks[tok.where[0]], Table):
            return tok.where[:2] == anchor.where[:2]
        nxt = self.tokens[j + 1] if j + 1 < len(self.tokens) else None
        return (len(label_key(tok.text)) <= 6 and nxt is not None and nxt.kind == "text" and not _is_unit(nxt)
                and self._row_key(nxt.text) is None and _column_role(nxt.text, self.spec) is not None)

    def read(self) -> StatisticsMatch:
        """The first table whose header is followed by rows with figures."""
        i = 0
        while (start := self._next_header(i)) is not None:
            self._rows(start)
            if self.match.cells:
                break
            # a header with no figures after it (another table): look further
            self.match, self.extra, self.seen = StatisticsMatch(), 0, []
            i = start
        return self.match

    def _next_header(self, first: int) -> int | None:
        for i in range(first, len(self.tokens)):
            tok = self.tokens[i]
            if tok.kind in ("text", "heading"):
                words = tok.text.split()
                if len(words) > 2 and _column_role(words[0], self.spec) == "label":
                    # a header printed on one line, words apart (PDF text): one token per word
                    self.tokens[i:i + 1] = [Token(w, "value" if _YEAR.fullmatch(w) else "text", tok.page, tok.where)
                                            for w in words]
                start = self._header_at(i)
                if start is not None:
                    return start
        return None

    def _rows(self, start: int) -> None:
        in_grid = isinstance(self.doc.blocks[self.tokens[start - 1].where[0]], Table)
        value_cols = [r for r in self.match.columns if r not in ("label", "unit", "code")]
        has_code = "code" in self.match.columns
        i, idle = start, 0
        while i < len(self.tokens):
            tok = self.tokens[i]
            if tok.kind == "prose" or (in_grid and not isinstance(self.doc.blocks[tok.where[0]], Table)):
                break
            if tok.kind not in ("text", "heading"):
                i += 1
                continue
            j = i + 1
            label = tok.text
            nxt = self.tokens[j] if j < len(self.tokens) else None
            if (nxt is not None and nxt.kind == "text" and not _is_unit(nxt) and self._row_key(nxt.text) is None
                    and self._row_key(label + nxt.text) is not None):
                label, j = label + nxt.text, j + 1  # a long label broken over two lines
            unit = ""
            vals: list[Token] = []
            while j < len(self.tokens):
                nxt = self.tokens[j]
                if in_grid and nxt.where[0] == tok.where[0] and nxt.where[1] != tok.where[1]:
                    break  # the next grid row
                if _is_unit(nxt) and not unit and (not vals or (has_code and len(vals) == 1)):
                    unit = clean(nxt.text).replace(" ", "")
                elif nxt.kind in ("value", "blank"):
                    vals.append(nxt)
                elif nxt.kind == "filler":
                    pass
                else:
                    break
                j += 1
            if has_code and len(vals) > len(value_cols):
                vals = vals[1:]  # the code column
            if any(v.kind == "value" for v in vals):
                self._row(Token(label, tok.kind, tok.page, tok.where), unit, vals, value_cols)
                idle = 0
            else:
                idle += 1
                if idle > 6 and not in_grid:
                    break  # a run of labels without figures: the table is over
            i = j

    def _row(self, label: Token, unit: str, vals: list[Token], value_cols: list[str]) -> None:
        head, _, last = clean(label.text).strip().rpartition(" ")
        if not unit and head and last in _UNIT_WORDS:
            label, unit = Token(head, label.kind, label.page, label.where), last  # "主动公开信息数 条 20496"
        key = self._row_key(label.text)
        if key is None:
            self.extra += 1
            key = f"extra_{self.extra}"
        else:
            self.seen.append(key)
        if len(vals) > len(value_cols):
            self.match.problems.append(f"statistics row {label.text!r}: {len(vals)} values for "
                                       f"{len(value_cols)} columns; the first ones taken")
        header = dict(zip(self.match.columns, self.match.header))
        for col, tok in zip(value_cols, vals):
            if col not in ("reported", "cumulative"):
                continue
            parsed = parse_value(tok.text)
            flags = list(parsed.flags) + (["unmatched_row"] if key.startswith("extra_") else [])
            self.match.cells.append(MatchedCell(
                table=LEGACY, row=key, col=col, value=parsed.value, raw=tok.text,
                row_label=clean(label.text), col_label=header.get(col, ""), unit=parsed.unit or unit,
                flags=flags, page=tok.page))

    def _row_key(self, text: str) -> str | None:
        keys = self.spec.row_index.find(_SUB_ROW.sub("", clean(text)))
        keys = [k for k in keys if k not in self.seen] or keys
        if len(keys) <= 1:
            return keys[0] if keys else None
        # One label under two rows (被依法纠错数 after 行政复议 and after 行政诉讼): the latest parent wins.
        for parent in reversed(self.seen):
            for k in keys:
                if self.spec.row(k).within == parent:
                    return k
        plain = [k for k in keys if not self.spec.row(k).within]
        return plain[0] if len(plain) == 1 else None


def _settle_years(roles: list[str], printed: list[str]) -> list[str]:
    """One column per role. Where two year columns are printed (上年 and 本年), the later year is
    the report's; otherwise the first column of a role is (本期实际 before 本年累计)."""
    years = [(int(m.group()), i) for i, (r, p) in enumerate(zip(roles, printed))
             if r == "reported" and (m := _YEAR.search(p))]
    keep = max(years)[1] if len(years) >= 2 else None
    out, seen = [], set()
    for i, r in enumerate(roles):
        if r in ("reported", "cumulative") and ((r == "reported" and keep is not None and i != keep)
                                                or (keep is None and r in seen)):
            out.append("other")
        else:
            out.append(r)
            seen.add(r)
    return out


def match_statistics(doc: Document, heading_blocks: set[int], schema: Schema) -> StatisticsMatch:
    """Find the legacy statistics table of a document and map its rows to canonical cells."""
    return _Reader(cell_stream(doc, heading_blocks), schema.tables[LEGACY], doc).read()


def legacy_section_key(heading: str, schema: Schema) -> str:
    """The `legacy_sections` key of a heading (numbering included), else unknown."""
    return match_key(strip_numbering(clean(heading))[1], schema.legacy_sections) or "unknown"


def rekey_sections(sections: list[FoundSection], schema: Schema) -> None:
    """Give a legacy report's sections their `legacy_sections` keys (the modern keys do not apply)."""
    for s in sections:
        s.key = legacy_section_key(s.heading, schema)


def is_legacy(doc: Document, year: int | None, statistics: StatisticsMatch, schema: Schema) -> bool:
    """Whether a report with no modern table is a legacy one, from its content.

    Never when it prints a wording only the 2019/2021 tables have. Otherwise: a statistics table,
    a year up to 2018, or a legacy wording printed as a heading or table label. Prose does not
    count: 2019+ reports often open by quoting the old 条例 ("申请行政复议、提起行政诉讼")."""
    labels: list[str] = []
    prose: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Table):
            labels.extend(c.text for c in block.cells)
        elif isinstance(block, (Heading, Paragraph)):
            text = block.text
            (prose if len(text) > 60 or "。" in text else labels).append(text)
    flat = clean("\n".join(labels)).replace(" ", "")
    everything = flat + clean("\n".join(prose)).replace(" ", "")
    if any(m in everything for m in schema.modern_markers):
        return False
    if statistics.found or (year is not None and year <= 2018):
        return True
    return any(m in flat for m in schema.legacy_markers)
