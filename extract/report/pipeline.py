"""The pipeline for one document: read → segment → match → check → metadata → Report."""
from __future__ import annotations

import gc
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import parsers
from parsers import ParseError

from .. import __version__
from .checks import CheckResult, run_checks
from ..contract import PANDAS_DTYPES, TABLES
from .metadata import extract_metadata
from .normalize import clean
from .ocr_trust import review as review_ocr
from .schema import load_schema
from .sections import FoundSection, find_sections
from .templates import T2, T3, T4, MatchedCell, TableMatch, match_tables

log = logging.getLogger(__name__)


@dataclass
class Report:
    """One document's records: its `reports` row and its cells, sections and checks."""

    report_id: str
    source: str
    format: str = ""
    encoding: str = ""
    title: str = ""
    agency: str = ""
    province: str = ""
    city: str = ""
    county: str = ""
    adcode: str = ""
    year: int | None = None
    template: str = "unknown"
    status: str = "failed"
    error: str = ""
    parser_version: str = __version__
    supersedes: str = ""
    ocr_pages: int = 0
    ocr_seconds: float = 0.0  # not a dataset column: the run's summary adds it up
    cells: list[MatchedCell] = field(default_factory=list)
    sections: list[FoundSection] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def n_cells(self) -> int:
        return len(self.cells)

    @property
    def n_checks_failed(self) -> int:
        return sum(1 for c in self.checks if c.status == "fail")

    def records(self) -> dict[str, list[dict]]:
        """Plain rows for each table of the dataset (columns as in the output contract)."""
        # Built field by field: dataclasses.asdict deep-copies and was most of a batch's parent time.
        rid = self.report_id
        row = {name: getattr(self, name) for name, _, _ in TABLES["reports"]}
        cells = [{"report_id": rid, "table": c.table, "row": c.row, "col": c.col, "value": c.value, "raw": c.raw,
                  "row_label": c.row_label, "col_label": c.col_label, "unit": c.unit,
                  "flags": ",".join(dict.fromkeys(c.flags)), "page": c.page, "ocr_confidence": c.confidence}
                 for c in self.cells]
        sections = [{"report_id": rid, "ordinal": s.ordinal, "number": s.number, "heading": s.heading,
                     "section": s.key, "text": s.text} for s in self.sections]
        checks = [{"report_id": rid, "check": c.check, "status": c.status, "lhs": c.lhs, "rhs": c.rhs,
                   "note": c.note} for c in self.checks]
        return {"reports": [row], "cells": cells, "sections": sections, "checks": checks}

    def to_frames(self) -> dict:
        """The report as pandas DataFrames, one per dataset table."""
        return records_to_frames(self.records())


def records_to_frames(records: dict[str, list[dict]]) -> dict:
    import pandas as pd

    frames = {}
    for name, columns in TABLES.items():
        names = [c for c, _, _ in columns]
        df = pd.DataFrame(records.get(name, []), columns=names)
        frames[name] = df.astype({c: PANDAS_DTYPES[t] for c, t, _ in columns})
    return frames


def report_id_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_legacy(doc_text: str, year: int | None, markers: tuple[str, ...]) -> bool:
    text = clean(doc_text).replace(" ", "")
    return (year is not None and year <= 2018) or any(m in text for m in markers)


def parse_bytes(data: bytes, source: str = "") -> Report:
    """Parse one document's bytes. Never raises for a bad document: the Report says why."""
    report = Report(report_id=report_id_of(data), source=source)
    try:
        doc = parsers.read(data, name=source)
    except ParseError as exc:
        report.error = exc.message
        return report
    report.format, report.encoding = doc.format, doc.encoding
    report.ocr_pages = int(doc.meta.get("ocr_pages") or 0)
    report.ocr_seconds = float(doc.meta.get("ocr_seconds") or 0.0)
    schema = load_schema()

    sections = find_sections(doc, schema)
    tables = match_tables(doc, {s.block for s in sections}, schema)
    cells = [c for t in (T2, T3, T4) for c in tables[t].cells]
    meta = extract_metadata(doc)

    report.sections = sections
    report.cells = cells
    report.checks = review_ocr(cells, run_checks(cells, schema), schema)
    for name in ("title", "agency", "province", "city", "county", "adcode", "year"):
        setattr(report, name, getattr(meta, name))
    report.template, report.status, report.error = _judge(doc, meta.title, meta.year, sections, tables, schema)
    return report


def _judge(doc, title, year, sections, tables: dict[str, TableMatch], schema) -> tuple[str, str, str]:
    """(template, status, error) for a document that was read."""
    found = [k for k in (T2, T3, T4) if tables[k].found]
    known_sections = [s for s in sections if s.key != "unknown"]
    if not found:
        if _is_legacy(doc.text(), year, schema.legacy_markers) and (known_sections or title):
            return "legacy", "partial", "legacy tables not mapped yet"
        if not known_sections and not title and not doc.warnings:
            return "unknown", "failed", ("not a government information-disclosure annual report: "
                                         "no title, section heading or table of the format found")
    template = tables[T2].template or tables[T3].template or "unknown"
    # What the reader noticed (a table printed as an image, a report that is an attachment).
    problems = list(doc.warnings) + [p for k in (T2, T3, T4) for p in tables[k].problems]
    missing = [k for k in (T2, T3, T4) if k not in found]
    if missing:
        problems.insert(len(doc.warnings), "tables not found: " + ", ".join(missing))
    return template, ("partial" if problems else "ok"), "; ".join(problems)


def parse_file(path: str | Path) -> Report:
    """Parse a report file (any supported format) into its records."""
    path = Path(path)
    return parse_bytes(path.read_bytes(), source=str(path))


def warm_up() -> None:
    """Load what the pipeline loads lazily (schema, OpenCC, jieba, cpca's gazetteer), once per
    process: batch workers call it before their first document."""
    from .metadata import _jieba, region_of
    from .normalize import clean

    load_schema()
    clean("總體情況")
    _jieba()
    region_of("漳平市教育局")
    # The models are millions of long-lived objects: left to the garbage collector they are
    # scanned again and again (about 1.6 ms per PDF page). Frozen, they are skipped, and forked
    # workers share their pages instead of copying them.
    gc.freeze()
