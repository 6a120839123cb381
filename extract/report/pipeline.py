"""The pipeline for one document: read → segment → match → check → metadata → Report."""
from __future__ import annotations

import gc
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import parsers
from parsers import ParseError
from parsers.errors import DocumentTimeout, MissingTool

from .. import __version__
from .checks import CheckResult, run_checks
from .collapsed import place_collapsed
from .content import content_digest
from ..contract import PANDAS_DTYPES, TABLES
from .indicators import Indicator, find_indicators, narrative_checks
from .legacy import StatisticsMatch, is_legacy, match_statistics, rekey_sections
from .metadata import extract_metadata
from .ocr_trust import review as review_ocr
from .schema import load_schema
from .sections import FoundSection, find_sections
from .statements import Statement, find_statements
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
    failure: str = ""  # document, environment, limit (extract.contract); set for failed reports
    parser_version: str = __version__
    supersedes: str = ""
    redirected_to: str = ""
    latest: bool = True  # the dataset writer clears it when a later version supersedes this one
    ocr_pages: int = 0
    ocr_seconds: float = 0.0  # not a dataset column: the run's summary adds it up
    cells: list[MatchedCell] = field(default_factory=list)
    sections: list[FoundSection] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    statistics: StatisticsMatch | None = None  # the legacy statistics table as matched (extract show)

    @property
    def n_cells(self) -> int:
        return len(self.cells)

    @property
    def content_sha256(self) -> str:
        """SHA-256 of what the report says (cells, statements, sections' text), "" when it failed."""
        return content_digest(self) if self.status != "failed" else ""

    @property
    def n_checks_failed(self) -> int:
        return sum(1 for c in self.checks if c.status == "fail")

    def records(self) -> dict[str, list[dict]]:
        """Plain rows for each table of the dataset (columns as in the output contract)."""
        # Built field by field: dataclasses.asdict deep-copies and was most of a batch's parent time.
        rid = self.report_id
        row = {name: getattr(self, name) for name, _, _ in TABLES["reports"]}
        row["failure"] = (self.failure or "document") if self.status == "failed" else ""
        cells = [{"report_id": rid, "table": c.table, "row": c.row, "col": c.col, "value": c.value, "raw": c.raw,
                  "row_label": c.row_label, "col_label": c.col_label, "unit": c.unit,
                  "flags": ",".join(dict.fromkeys(c.flags)), "page": c.page, "ocr_confidence": c.confidence}
                 for c in self.cells]
        sections = [{"report_id": rid, "ordinal": s.ordinal, "number": s.number, "heading": s.heading,
                     "section": s.key, "text": s.text} for s in self.sections]
        checks = [{"report_id": rid, "check": c.check, "status": c.status, "lhs": c.lhs, "rhs": c.rhs,
                   "note": c.note} for c in self.checks]
        statements = [{"report_id": rid, "key": s.key, "value": s.value, "unit": s.unit, "flags": ",".join(s.flags),
                       "section": s.section, "sentence": s.sentence, "start": s.start} for s in self.statements]
        indicators = [{"report_id": rid, "indicator": i.indicator, "value": i.value, "source": i.source,
                       "ref": i.ref} for i in self.indicators]
        return {"reports": [row], "cells": cells, "sections": sections, "checks": checks,
                "statements": statements, "indicators": indicators}

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


def parse_bytes(data: bytes, source: str = "", images: Callable[[str], bytes | None] | None = None) -> Report:
    """Parse one document's bytes. Never raises for a bad document: the Report says why.
    `images(src)`: the bytes of an image the page shows, where the caller holds them (parsers.read)."""
    return parse_with_document(data, source, images)[0]


def parse_with_document(data: bytes, source: str = "", images: Callable[[str], bytes | None] | None = None
                        ) -> tuple[Report, parsers.Document | None]:
    """parse_bytes, and the Document it read (None when it could not be read): `extract show`
    prints both and reads the file once."""
    report = Report(report_id=report_id_of(data), source=source)
    try:
        doc = parsers.read(data, name=source, images=images)
    except ParseError as exc:
        report.error = exc.message
        report.failure = failure_kind(exc)
        return report, None
    report.format, report.encoding = doc.format, doc.encoding
    report.ocr_pages = int(doc.meta.get("ocr_pages") or 0)
    report.ocr_seconds = float(doc.meta.get("ocr_seconds") or 0.0)
    schema = load_schema()

    sections = find_sections(doc, schema)
    heading_blocks = {s.block for s in sections}
    tables = match_tables(doc, heading_blocks, schema)
    place_collapsed(tables, schema)
    cells = [c for t in (T2, T3, T4) for c in tables[t].cells]
    meta = extract_metadata(doc)
    for name in ("title", "agency", "province", "city", "county", "adcode", "year"):
        setattr(report, name, getattr(meta, name))

    # A report with none of the modern tables may be a legacy one: its statistics table decides
    # first (formats.md §7), then its content (legacy.is_legacy).
    statistics = None
    if not any(tables[k].found for k in (T2, T3, T4)):
        statistics = match_statistics(doc, heading_blocks, schema)
        if is_legacy(doc, meta.year, statistics, schema) and (sections or meta.title or statistics.found):
            rekey_sections(sections, schema)
            cells = statistics.cells
        else:
            statistics = None
    statements = find_statements(sections)

    report.sections, report.cells, report.statements, report.statistics = sections, cells, statements, statistics
    report.template, report.status, report.error = _judge(doc, meta.title, sections, tables, statistics, statements)
    report.checks = (review_ocr(cells, run_checks(cells, schema), schema)
                     + narrative_checks(report.template, cells, statements, schema))
    report.indicators = find_indicators(report.template, cells, statements, schema)
    return report, doc


def _judge(doc, title, sections, tables: dict[str, TableMatch], statistics: StatisticsMatch | None,
           statements: list[Statement]) -> tuple[str, str, str]:
    """(template, status, error) for a document that was read."""
    found = [k for k in (T2, T3, T4) if tables[k].found]
    known_sections = [s for s in sections if s.key != "unknown"]
    if statistics is not None:
        return ("legacy",) + _legacy_status(doc, statistics, statements)
    if not found:
        if not known_sections and not title and not doc.warnings:
            return "unknown", "failed", ("not a government information-disclosure annual report: "
                                         "no title, section heading or table of the format found")
    template = tables[T2].template or tables[T3].template or "unknown"
    # What the reader noticed (a table printed as an image, a report that is an attachment).
    problems = list(doc.warnings) + [p for k in (T2, T3, T4) for p in tables[k].problems]
    missing = [k for k in (T2, T3, T4) if k not in found]
    if missing:
        problems.insert(len(doc.warnings), "tables not found: " + ", ".join(missing))
    return template, ("partial" if problems else "ok"), join_reasons(problems)


MAX_ERROR_CHARS = 2000  # a 50 MB text once gave 11.9 MB of repeated reasons


def join_reasons(reasons: list[str]) -> str:
    """The `error` column: each reason once, in order, with how often it came up, and at most
    MAX_ERROR_CHARS long."""
    counts: dict[str, int] = {}
    for r in reasons:
        counts[r] = counts.get(r, 0) + 1
    out, used = [], 0
    for i, (reason, n) in enumerate(counts.items()):
        text = reason if n == 1 else f"{reason} ({n:,} times)"
        if used + len(text) > MAX_ERROR_CHARS:
            if not out:  # one reason longer than the cap
                out.append(text[:MAX_ERROR_CHARS] + "…")
                i += 1
            if i < len(counts):
                out.append(f"… and {len(counts) - i:,} more reasons")
            break
        out.append(text)
        used += len(text) + 2
    return "; ".join(out)


def failure_kind(exc: ParseError) -> str:
    """A reader's error as a failure kind (extract.contract): a missing tool or a reader's own time
    limit is not the document's fault, and parsing it again elsewhere or later may succeed."""
    if isinstance(exc, MissingTool):
        return "environment"
    if isinstance(exc, DocumentTimeout):
        return "limit"
    return "document"


def _legacy_status(doc, statistics: StatisticsMatch, statements: list[Statement]) -> tuple[str, str]:
    if statistics.found:
        problems = list(doc.warnings) + statistics.problems
        return ("partial" if problems else "ok"), "; ".join(problems)
    if statements:
        return "partial", "no statistics table; figures from the prose only"
    return "partial", "no statistics table and no figures in the prose"


def parse_file(path: str | Path, images: Callable[[str], bytes | None] | None = None) -> Report:
    """Parse a report file (any supported format) into its records. A page's images are found
    next to it, or through `images(src)` (see parse_bytes)."""
    path = Path(path)
    return parse_bytes(path.read_bytes(), source=str(path), images=images)


def warm_up(jieba: bool = True) -> None:
    """Load what the pipeline loads lazily (schema, OpenCC, cpca's gazetteer and, with `jieba`,
    jieba's dictionary, which only documents without a named agency use), once per process:
    batch workers call it before their first document."""
    from .metadata import _jieba, region_of
    from .normalize import clean

    load_schema()
    clean("總體情況")
    if jieba:
        _jieba()
    region_of("漳平市教育局")
    # The models are millions of long-lived objects: left to the garbage collector they are
    # scanned again and again (about 1.6 ms per PDF page). Frozen, they are skipped, and forked
    # workers share their pages instead of copying them.
    gc.freeze()
