"""Find the top-level sections (一、总体情况 … 六、其他需要报告的事项) by their words.

A heading is recognised by what it says, not by its numeral: table 三's row labels
("三、本年度办理结果", "四、结转下年度继续办理") carry the same numerals. A numbered line whose
words match no section is still a section ("unknown") when its numeral continues the run of
section numerals and its words are not a table label. Sentences that list all six parts are
long and never headings.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from parsers.model import Document, Heading, Paragraph, Table

from .normalize import clean, label_key, numeral_of, strip_numbering
from .schema import Schema, Section

MAX_HEADING_CHARS = 40


@dataclass
class FoundSection:
    ordinal: int
    number: str
    heading: str
    key: str  # canonical key or "unknown"
    block: int  # index of the heading block in the document
    paragraphs: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


def match_section(text: str, schema: Schema) -> str | None:
    """The canonical key of a heading's words, or None."""
    return match_key(text, schema.sections)


def match_key(text: str, entries: list[Section]) -> str | None:
    """The key of the first section entry whose label, alias or pattern fits a heading's words."""
    body = label_key(text)
    if not body:
        return None
    for s in entries:
        if body in {label_key(a) for a in (s.label, *s.aliases)}:
            return s.key
        if any(p.search(body) for p in s.patterns):
            return s.key
    return None


def _table_labels(schema: Schema) -> set[str]:
    keys = set()
    for t in schema.tables.values():
        for f in (*t.rows, *t.cols):
            keys.update(label_key(x) for x in (f.label, *f.aliases))
        keys |= t.group_keys
    return keys


def find_sections(doc: Document, schema: Schema) -> list[FoundSection]:
    table_labels = _table_labels(schema)
    found: list[FoundSection] = []
    last_numeral = 0
    for i, block in enumerate(doc.blocks):
        if isinstance(block, Table):
            continue
        raw = block.text.strip()
        text = clean(raw)
        is_candidate = isinstance(block, Heading) or (
            len(text) <= MAX_HEADING_CHARS and "。" not in text.rstrip("。")
        )
        if is_candidate:
            number, rest = strip_numbering(text)
            numeral = numeral_of(number)
            if number and numeral is None and not number.startswith("第"):
                is_candidate = False  # "(一)…" or "1.…": a sub-heading inside a section
        if is_candidate:
            body = label_key(rest)
            key = match_section(rest, schema) if body not in table_labels else None
            if (key is None and body not in table_labels and (number or isinstance(block, Heading))
                    and match_key(rest, schema.legacy_sections)):
                key = "unknown"  # a legacy heading: the pipeline gives legacy reports their legacy keys
            if key is None and numeral is not None and body and body not in table_labels:
                # An unnamed part: only when its numeral continues the run (or starts a new one).
                if numeral in (last_numeral + 1, 1) and len(body) <= 25 and not rest.rstrip().endswith(("：", ":")):
                    key = "unknown"
            if key is not None:
                if numeral is not None:
                    last_numeral = numeral
                found.append(FoundSection(len(found) + 1, number.rstrip("、.．,， "), raw, key, i))
                continue
        if found and isinstance(block, (Paragraph, Heading)):
            found[-1].paragraphs.append(raw)
    return found
