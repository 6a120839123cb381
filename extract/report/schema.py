"""The canonical schema (package data `data/gioar-schema.toml`), read once and cached.

Templates are data: labels, aliases, layouts and identities all come from the TOML file; the
matching code only looks them up here.
"""
from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .normalize import label_key, mirror_key

TEMPLATES = ("gioar-2019", "gioar-2021")


@dataclass(frozen=True)
class Field:
    """A row or a column of a table (or a section): its key and how it is printed."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    group: str = ""
    block: str = ""
    templates: tuple[str, ...] = TEMPLATES
    unit: str = ""
    optional: bool = False
    within: str = ""  # the row this sub-row belongs to, where its label is not unique

    @property
    def marker_of(self) -> str | None:
        """The template this field belongs to alone (a marker label), else None."""
        return self.templates[0] if len(self.templates) == 1 else None


@dataclass(frozen=True)
class Check:
    id: str
    text: str
    per: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    table: str = ""  # the table it runs on, where the id does not start with it
    kind: str = "equal"  # equal | at_least (lhs >= rhs)
    soft: bool = False  # a heuristic: a failure is a finding worth a look, not an error
    terms: str = "all"  # all | printed (only the rows the table prints are summed)

    @property
    def table_key(self) -> str:
        return self.table or self.id.split(".")[0]


@dataclass(frozen=True)
class IndicatorSpec:
    """A figure comparable across eras: where each template takes it, best first."""

    key: str
    text: str
    legacy: tuple[str, ...]
    modern: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    aliases: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]


class LabelIndex:
    """Find the field a printed label stands for: exact, without notes, by prefix, then fuzzy."""

    def __init__(self, fields: list[Field], notes_after_label: bool = False) -> None:
        self.notes_after_label = notes_after_label  # header labels carry notes: "本年增/减指2020年…"
        self._cache: dict[tuple[str, bool], list[str]] = {}
        self.fields = {f.key: f for f in fields}
        self.exact: dict[str, list[str]] = {}
        for f in fields:
            for text in (f.label, *f.aliases):
                for k in {label_key(text), label_key(text, drop_notes=True)}:
                    if k and f.key not in self.exact.setdefault(k, []):
                        self.exact[k].append(f.key)

    def find(self, text: str, fuzzy: bool = True) -> list[str]:
        hit = self._cache.get((text, fuzzy))
        if hit is None:
            hit = self._cache[(text, fuzzy)] = self._find(text, fuzzy)
        return hit

    def _find(self, text: str, fuzzy: bool) -> list[str]:
        hits = self._find_key(label_key(text), label_key(text, drop_notes=True), fuzzy)
        if not hits and mirror_key(text):
            # A mirror site's Taiwan usage (規範性檔案): read back as mainland wording.
            hits = self._find_key(mirror_key(text), mirror_key(text, drop_notes=True), fuzzy)
        return hits

    def _find_key(self, key: str, bare: str, fuzzy: bool) -> list[str]:
        if not key:
            return []
        if key in self.exact:
            return self.exact[key]
        if bare in self.exact:
            return self.exact[bare]
        if len(bare) >= 4:
            # A label cut short ("现行有效件"), or a label followed by a note without brackets.
            hits = {k for lab, keys in self.exact.items() for k in keys
                    if lab.startswith(bare) or (self.notes_after_label and len(lab) >= 4
                                                and bare.startswith(lab) and len(bare) - len(lab) <= 12)}
            if len(hits) == 1:
                return list(hits)
        if fuzzy and len(bare) >= 6:
            # A misprinted label ("其他法律行政止公开"): close enough to exactly one label.
            best, best_keys = 0.0, []
            for lab, keys in self.exact.items():
                if abs(len(lab) - len(bare)) > 6:
                    continue
                sm = difflib.SequenceMatcher(None, bare, lab)
                if sm.real_quick_ratio() < 0.8 or sm.quick_ratio() < 0.8:
                    continue
                r = sm.ratio()
                if r > best:
                    best, best_keys = r, keys
            if best >= 0.8 and len(best_keys) == 1:
                return list(best_keys)
        return []


@dataclass
class TableSpec:
    key: str
    label: str
    rows: list[Field]
    cols: list[Field]
    anchors: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    layouts: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    wide: bool = False
    templates: tuple[str, ...] = TEMPLATES
    header_unit: tuple[str, ...] = ()
    header_code: tuple[str, ...] = ()
    col_patterns: tuple[tuple[str, re.Pattern], ...] = ()  # (col key, pattern on the header's label_key)

    def __post_init__(self) -> None:
        self.row_index = LabelIndex(self.rows)
        self.col_index = LabelIndex(self.cols, notes_after_label=True)
        self.anchor_keys = {label_key(a) for a in self.anchors}
        self.group_keys = {label_key(g) for g in self.groups}
        self.block_index = LabelIndex(
            [Field(key=b, label=b) for b in dict.fromkeys(r.block for r in self.rows if r.block)]
        )

    def row(self, key: str) -> Field:
        return self.row_index.fields[key]

    def col(self, key: str) -> Field:
        return self.col_index.fields[key]


@dataclass
class Schema:
    version: str
    sections: list[Section]
    tables: dict[str, TableSpec]
    checks: list[Check]
    legacy_markers: tuple[str, ...]
    legacy_sections: list[Section] = field(default_factory=list)
    indicators: list[IndicatorSpec] = field(default_factory=list)
    modern_markers: tuple[str, ...] = ()

    def cell_order(self) -> list[tuple[str, str, str]]:
        """Every (table, row, col) the templates define, in schema order."""
        out: list[tuple[str, str, str]] = []
        for t in self.tables.values():
            for r in t.rows:
                if t.layouts:
                    cols: list[str] = []
                    for (tpl, block), cs in t.layouts.items():
                        if block == r.block and tpl in r.templates:
                            cols.extend(c for c in cs if c not in cols)
                else:
                    cols = [c.key for c in t.cols]
                out.extend((t.key, r.key, c) for c in cols)
        return out


def _field(d: dict, templates: tuple[str, ...] = TEMPLATES) -> Field:
    return Field(
        key=d["key"], label=d["label"], aliases=tuple(d.get("aliases", ())),
        group=d.get("group", ""), block=d.get("block", ""),
        templates=tuple(d.get("templates", templates)), unit=d.get("unit", ""),
        optional=bool(d.get("optional", False)), within=d.get("within", ""),
    )


def _sections(entries: list[dict]) -> list[Section]:
    return [Section(key=s["key"], label=s["label"], aliases=tuple(s.get("aliases", ())),
                    patterns=tuple(re.compile(p) for p in s.get("patterns", ()))) for s in entries]


@lru_cache(maxsize=1)
def load_schema() -> Schema:
    raw = tomllib.loads(resources.files("extract").joinpath("data/gioar-schema.toml").read_text("utf-8"))
    tables = {}
    for key, t in raw["tables"].items():
        layouts = {(lay["template"], lay["block"]): tuple(lay["cols"]) for lay in t.get("layouts", ())}
        templates = tuple(t.get("templates", TEMPLATES))
        tables[key] = TableSpec(
            key=key, label=t["label"], rows=[_field(r, templates) for r in t["rows"]],
            cols=[_field(c, templates) for c in t["cols"]], anchors=tuple(t.get("anchors", ())),
            groups=tuple(t.get("groups", ())), layouts=layouts, wide=bool(t.get("wide", False)),
            templates=templates, header_unit=tuple(t.get("header_unit", ())),
            header_code=tuple(t.get("header_code", ())),
            col_patterns=tuple((c["key"], re.compile(p)) for c in t["cols"] for p in c.get("patterns", ())),
        )
    checks = [Check(id=c["id"], text=c["text"], per=c["per"], lhs=tuple(c["lhs"]), rhs=tuple(c["rhs"]),
                    table=c.get("table", ""), kind=c.get("kind", "equal"), soft=bool(c.get("soft", False)),
                    terms=c.get("terms", "all"))
              for c in raw["checks"]]
    indicators = [IndicatorSpec(key=i["key"], text=i["text"], legacy=tuple(i.get("legacy", ())),
                                modern=tuple(i.get("modern", ()))) for i in raw.get("indicators", ())]
    legacy = raw.get("legacy", {})
    return Schema(version=str(raw["schema_version"]), sections=_sections(raw["sections"]), tables=tables,
                  checks=checks, legacy_markers=tuple(legacy.get("markers", ())),
                  legacy_sections=_sections(raw.get("legacy_sections", ())), indicators=indicators,
                  modern_markers=tuple(legacy.get("modern_markers", ())))
