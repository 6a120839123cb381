"""Run a batch: find the documents, drop byte-identical copies, parse in a process pool,
write the dataset, and say what happened."""
from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .dataset import write_dataset
from .report import Report, parse_bytes, report_id_of

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = {".txt", ".text", ".md", ".html", ".htm", ".shtml", ".xhtml", ".jhtml",
                     ".pdf", ".doc", ".docx", ".wps", ""}


@dataclass
class RunSettings:
    out: Path = Path("output")
    format: str = "both"
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    progress: bool = True


@dataclass
class RunSummary:
    documents: int = 0
    ok: int = 0
    partial: int = 0
    failed: int = 0
    duplicates: int = 0
    cells: int = 0
    checks_failed: int = 0
    seconds: float = 0.0
    out: str = ""
    failures: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.documents} documents: {self.ok} ok, {self.partial} partial, {self.failed} failed, "
                f"{self.duplicates} duplicates; {self.cells} cells, {self.checks_failed} failed checks; "
                f"{self.seconds:.1f}s → {self.out}")


def collect_paths(paths: list[str | Path]) -> list[Path]:
    """Files named, and document files found in folders named (recursively, sorted)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if f.is_file() and not any(part.startswith(".") for part in rel.parts) \
                        and f.suffix.lower() in DOCUMENT_SUFFIXES and not f.name.endswith(".expected.json"):
                    found.append(f)
        elif p.is_file():
            found.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return found


def parse_path(path: str, source: str | None = None) -> Report:
    """Parse one file; any unexpected error becomes a failed report (the batch goes on).

    `source` is what the dataset records as the document's origin (a URL for fetched files)."""
    source = source or path
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return Report(report_id="", source=source, error=f"cannot read file: {exc.strerror or exc}")
    try:
        return parse_bytes(data, source=source)
    except Exception as exc:  # a bug must cost one document, not the batch
        log.debug("internal error on %s\n%s", path, traceback.format_exc())
        return Report(report_id=report_id_of(data), source=source,
                      error=f"internal error: {type(exc).__name__}: {exc}")


def _unique(files: list[Path]) -> tuple[list[Path], int]:
    seen: set[str] = set()
    unique, dup = [], 0
    for f in files:
        try:
            rid = report_id_of(f.read_bytes())
        except OSError:
            unique.append(f)
            continue
        if rid in seen:
            dup += 1
            log.info("duplicate of an earlier document: %s", f)
            continue
        seen.add(rid)
        unique.append(f)
    return unique, dup


def _parse_all(items: list[tuple[Path, str]], settings: RunSettings):
    if settings.workers <= 1 or len(items) < 4:
        for path, source in items:
            yield parse_path(str(path), source)
        return
    with ProcessPoolExecutor(max_workers=settings.workers) as pool:
        futures = {pool.submit(parse_path, str(path), source): source for path, source in items}
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except BrokenProcessPool:
                yield Report(report_id="", source=futures[fut], error="worker process died")


def run(paths: list[str | Path], settings: RunSettings) -> RunSummary:
    """Parse files and folders into the dataset in settings.out."""
    start = time.perf_counter()
    files = collect_paths(paths)
    unique, duplicates = _unique(files)
    summary = parse_documents([(f, str(f)) for f in unique], settings)
    summary.duplicates = duplicates
    summary.seconds = time.perf_counter() - start
    return summary


def parse_documents(items: list[tuple[Path, str]], settings: RunSettings,
                    annotate: Callable[[Report], None] | None = None) -> RunSummary:
    """Parse (file, source) pairs, then merge their records into the dataset.

    `annotate` may add to each report before it is recorded (the nightly run sets supersedes)."""
    start = time.perf_counter()
    summary = RunSummary(out=str(settings.out))
    records: dict[str, list[dict]] = {"reports": [], "cells": [], "sections": [], "checks": []}
    from tqdm import tqdm

    bar = tqdm(total=len(items), unit="doc", file=sys.stderr, disable=not settings.progress,
               dynamic_ncols=True)
    for report in _parse_all(items, settings):
        if annotate is not None:
            annotate(report)
        if not report.report_id:
            report.report_id = report_id_of(report.source.encode())  # unreadable file: id of its path
        for name, rows in report.records().items():
            records[name].extend(rows)
        summary.documents += 1
        setattr(summary, report.status, getattr(summary, report.status) + 1)
        summary.cells += report.n_cells
        summary.checks_failed += report.n_checks_failed
        if report.status == "failed":
            summary.failures.append((report.source, report.error))
        bar.update(1)
    bar.close()
    write_dataset(settings.out, records, settings.format)
    summary.seconds = time.perf_counter() - start
    return summary
