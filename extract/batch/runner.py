"""Run a batch: find the documents, drop byte-identical copies (and, with --resume, those the
dataset already holds), parse them on the chosen engine, stream the records to the dataset, and
say what happened."""
from __future__ import annotations

import hashlib
import itertools
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..dataset import DatasetWriter, existing_ids
from .jobs import Job, parse_job, read_bytes

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = {".txt", ".text", ".md", ".html", ".htm", ".shtml", ".xhtml", ".jhtml",
                     ".pdf", ".doc", ".docx", ".wps", ""}


MAX_FAILURES_LISTED = 1000  # every failure is in reports.status/error; the summary lists these


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run: `summary` counts the documents written before it."""

    def __init__(self, summary: "RunSummary") -> None:
        super().__init__("interrupted")
        self.summary = summary


@dataclass
class RunSettings:
    out: Path = Path("output")
    format: str = "both"
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    progress: bool = True
    engine: str = "local"  # local | dask | inline (this process, no limits: tests and notebooks)
    scheduler: str | None = None  # dask: tcp://HOST:8786; None starts a LocalCluster
    doc_timeout: float = 120.0
    doc_memory_mb: int = 2048
    max_tasks: int = 500  # documents a worker parses before it is replaced
    chunk_size: int = 200  # reports written to the dataset at a time
    resume: bool = False


@dataclass
class RunSummary:
    documents: int = 0
    ok: int = 0
    partial: int = 0
    failed: int = 0
    duplicates: int = 0
    skipped: int = 0  # already in the dataset (--resume)
    cells: int = 0
    checks_failed: int = 0
    seconds: float = 0.0
    ocr_pages: int = 0
    ocr_seconds: float = 0.0
    out: str = ""
    failures: list[tuple[str, str]] = field(default_factory=list)  # the first MAX_FAILURES_LISTED

    def line(self) -> str:
        resumed = f", {self.skipped} already in the dataset" if self.skipped else ""
        ocr = f"; OCR {self.ocr_pages} pages in {self.ocr_seconds:.1f}s" if self.ocr_pages else ""
        return (f"{self.documents} documents: {self.ok} ok, {self.partial} partial, {self.failed} failed, "
                f"{self.duplicates} duplicates{resumed}; {self.cells} cells, {self.checks_failed} failed checks{ocr}; "
                f"{self.seconds:.1f}s → {self.out}")


def iter_paths(paths: list[str | Path]) -> Iterator[str]:
    """Files named, and document files found in folders named (recursively, in name order), one
    at a time: a folder of a million reports is never held as a list. Raises FileNotFoundError
    before yielding anything if a named path does not exist."""
    named = [str(raw) for raw in paths]
    for raw in named:
        if "://" not in raw and not os.path.exists(raw):
            raise FileNotFoundError(f"no such file or folder: {raw}")
    return _iter_paths(named)


def _iter_paths(named: list[str]) -> Iterator[str]:
    for raw in named:
        if "://" in raw or not os.path.isdir(raw):
            yield raw  # a file, or a document URL fsspec opens (s3://…): read by the workers
        else:
            yield from _walk(raw, set())


def _walk(folder: str, visited: set) -> Iterator[str]:
    """Document files below `folder`, skipping hidden entries; symlinked folders are followed once.
    Names only (not DirEntry objects) are held for sorting: a flat folder of a million files."""
    try:
        st = os.stat(folder)
        if (st.st_dev, st.st_ino) in visited:
            return
        visited.add((st.st_dev, st.st_ino))
        names = sorted(os.listdir(folder))
    except OSError as exc:
        log.warning("cannot list %s: %s", folder, exc.strerror or exc)
        return
    for name in names:
        if name.startswith("."):
            continue
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            yield from _walk(path, visited)
        elif os.path.splitext(name)[1].lower() in DOCUMENT_SUFFIXES and not name.endswith(".expected.json") \
                and os.path.isfile(path):
            yield path


def collect_paths(paths: list[str | Path]) -> list[str]:
    """iter_paths as a list (small inputs, tests)."""
    return list(iter_paths(paths))


def _jobs(items: Iterable[tuple[str, str]], skip: set[str], supersedes: dict[str, str],
          summary: RunSummary) -> Iterator:
    """Hash each file once in the parent: identical bytes are one report. A generator, so the
    workers start parsing while the parent is still hashing. The digests seen are kept as 32
    bytes each: the only memory a run holds per document."""
    seen: set[bytes] = set()
    for path, source in items:
        # A file name that is not UTF-8 (a GBK zip unpacked on Linux) is opened as it is, and
        # recorded readably: 报告.txt named in GBK becomes "\xb1\xa8\xb8\xe6.txt".
        source = os.fsencode(source).decode("utf-8", "backslashreplace")
        try:
            digest = hashlib.sha256(read_bytes(str(path))).digest()
        except OSError:
            digest = hashlib.sha256(source.encode()).digest()  # unreadable: the worker reports why
        if digest in seen:
            summary.duplicates += 1
            log.info("duplicate of an earlier document: %s", source)
            continue
        seen.add(digest)
        rid = digest.hex()
        if rid in skip:
            summary.skipped += 1
            continue
        yield Job(str(path), source, rid, supersedes.get(rid, ""))


def _engine(jobs, settings: RunSettings, writer: DatasetWriter, progress: Callable[[int], None]) -> Iterator:
    """Outcomes of the jobs on the chosen engine, in completion order."""
    jobs = iter(jobs)
    first = next(jobs, None)
    if first is None:
        return  # nothing to parse: start no workers
    jobs = itertools.chain([first], jobs)
    if settings.engine == "inline":
        from ..dataset import outcome_of

        for job in jobs:
            yield outcome_of(parse_job(job))
            progress(1)
    elif settings.engine == "local":
        from .local import parse_local

        yield from parse_local(jobs, settings, writer.run, progress)
    elif settings.engine == "dask":
        from .dask import parse_dask

        for outcome in parse_dask(jobs, settings.workers, settings.scheduler, writer.write_tables):
            progress(1)
            yield outcome
    else:
        raise ValueError(f"unknown engine {settings.engine!r}")


def run(paths: list[str | Path], settings: RunSettings) -> RunSummary:
    """Parse files and folders into the dataset in settings.out."""
    if settings.engine == "local":
        from .local import start_server

        start_server()  # loads the pipeline in the fork server while this process scans and hashes
    # The bar's total costs a walk of the input ahead of the one that feeds the workers.
    total = sum(1 for _ in iter_paths(paths)) if settings.progress else None
    return parse_documents(((f, f) for f in iter_paths(paths)), settings, total=total)


def parse_documents(items: Iterable[tuple[str | Path, str]], settings: RunSettings,
                    supersedes: dict[str, str] | None = None, total: int | None = None) -> RunSummary:
    """Parse (file, source) pairs and stream their records into the dataset.

    `supersedes` maps a report_id to the report_id of the earlier version it replaces (the
    nightly run knows it; it goes into reports.supersedes). `total` sizes the progress bar."""
    from tqdm import tqdm

    start = time.perf_counter()
    summary = RunSummary(out=str(settings.out))
    if total is None and hasattr(items, "__len__"):
        total = len(items)
    skip = existing_ids(settings.out) if settings.resume else set()
    jobs = _jobs(items, skip, supersedes or {}, summary)
    writer = DatasetWriter(settings.out, settings.format, settings.chunk_size)
    bar = tqdm(total=total, unit="doc", file=sys.stderr, disable=not settings.progress,
               dynamic_ncols=True, smoothing=0.05)

    def progress(n: int) -> None:
        if total is not None:
            bar.total = total - summary.duplicates - summary.skipped
        bar.update(n)

    try:
        for outcome in _engine(jobs, settings, writer, progress):
            report = outcome.report
            writer.add(outcome)
            summary.documents += 1
            setattr(summary, report.status, getattr(summary, report.status) + 1)
            summary.cells += outcome.n_cells
            summary.checks_failed += outcome.n_checks_failed
            summary.ocr_pages += report.ocr_pages
            summary.ocr_seconds += report.ocr_seconds
            if report.status == "failed" and len(summary.failures) < MAX_FAILURES_LISTED:
                summary.failures.append((report.source, report.error))
    except KeyboardInterrupt:
        bar.close()
        writer.abandon()
        summary.seconds = time.perf_counter() - start
        raise Interrupted(summary) from None
    bar.close()
    writer.close()
    summary.seconds = time.perf_counter() - start
    return summary
