"""Run a batch: find the documents, drop byte-identical copies (and, with --resume, those the
dataset already holds), parse them on the chosen engine, stream the records to the dataset, and
say what happened."""
from __future__ import annotations

import errno
import hashlib
import itertools
import logging
import os
import stat
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from parsers.sniff import sniff_format

from ..dataset import RETRY_ALL, RETRY_ON_RESUME, DatasetError, DatasetWriter, settled_ids
from .jobs import Job, parse_job, read_bytes, read_pipe

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = {".txt", ".text", ".md", ".html", ".htm", ".shtml", ".xhtml", ".jhtml",
                     ".pdf", ".doc", ".docx", ".wps", ""}


PassOver = Callable[[str, str], None]  # (path, why it is not read)
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
    resume: bool = False  # skip what the dataset holds, but for environment and limit failures
    retry_failed: bool = False  # skip what the dataset holds, but for failed documents of any kind
    early_workers: bool = False  # local: fork workers from this process until a fork server is needed and ready (CLI)


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
    csv_seconds: float | None = None  # the CSV phase at the end (None: no CSV written)
    ocr_pages: int = 0
    ocr_seconds: float = 0.0
    out: str = ""
    failures: list[tuple[str, str]] = field(default_factory=list)  # the first MAX_FAILURES_LISTED
    not_read: dict[str, int] = field(default_factory=dict)  # files a folder walk passed over, by reason
    not_read_listed: list[tuple[str, str]] = field(default_factory=list)  # the first MAX_FAILURES_LISTED

    def pass_over(self, path: str, reason: str) -> None:
        """A file or folder a walk did not read, and why: counted, listed, and logged (-v)."""
        self.not_read[reason] = self.not_read.get(reason, 0) + 1
        if len(self.not_read_listed) < MAX_FAILURES_LISTED:
            self.not_read_listed.append((path, reason))
        log.info("skipped %s: %s", path, reason)

    def line(self) -> str:
        resumed = f", {self.skipped} already in the dataset" if self.skipped else ""
        csv = "" if self.csv_seconds is None else f" (CSV files {self.csv_seconds:.1f}s)"
        ocr = f"; OCR {self.ocr_pages} pages in {self.ocr_seconds:.1f}s" if self.ocr_pages else ""
        passed = ""
        if self.not_read:
            why = ", ".join(f"{n} {reason}" for reason, n in sorted(self.not_read.items(), key=lambda kv: -kv[1]))
            passed = f"; {sum(self.not_read.values())} skipped: {why}"
        return (f"{self.documents} documents: {self.ok} ok, {self.partial} partial, {self.failed} failed, "
                f"{self.duplicates} duplicates{resumed}; {self.cells} cells, {self.checks_failed} failed checks{ocr}"
                f"{passed}; {self.seconds:.1f}s{csv} → {self.out}")


def iter_paths(paths: list[str | Path], pass_over: PassOver | None = None) -> Iterator[str]:
    """Files named, and document files found in folders named (recursively, in name order), one
    at a time: a folder of a million reports is never held as a list. Raises FileNotFoundError
    before yielding anything if a named path does not exist. What a folder walk does not read is
    told to `pass_over(path, reason)`."""
    named = [str(raw) for raw in paths]
    for raw in named:
        if "://" not in raw and not os.path.exists(raw):
            raise FileNotFoundError(f"no such file or folder: {raw}")
    return _iter_paths(named, pass_over or (lambda path, reason: None))


def _iter_paths(named: list[str], pass_over: PassOver) -> Iterator[str]:
    for raw in named:
        if "://" in raw or not os.path.isdir(raw):
            yield raw  # a file (read by content, whatever its name), or a URL fsspec opens (s3://…)
        else:
            yield from _walk(raw, set(), pass_over)


def _kind_of(mode: int) -> str:
    return ("FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode)
            else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "special file")


def _looks_like_document(path: str) -> bool:
    """A file whose name does not say it is a document (`x.pdf `, `report.pdf.1`): its first
    bytes do. Plain text is taken only by its name (.txt, .md, none), or every README would be."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048)
    except OSError:
        return False
    return sniff_format(head, "") in ("pdf", "docx", "doc", "html")


def _walk(folder: str, visited: set, pass_over: PassOver) -> Iterator[str]:
    """Document files below `folder`; symlinked folders are followed once. Everything else is
    told to `pass_over` with the reason. Names only (not DirEntry objects) are held for sorting:
    a flat folder of a million files."""
    try:
        st = os.stat(folder)
        if (st.st_dev, st.st_ino) in visited:
            return
        visited.add((st.st_dev, st.st_ino))
        names = sorted(os.listdir(folder))
    except OSError as exc:
        log.warning("cannot list %s: %s", folder, exc.strerror or exc)
        pass_over(folder, "folder cannot be listed")
        return
    for name in names:
        path = os.path.join(folder, name)
        if name.startswith("."):
            pass_over(path, "hidden")
            continue
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            pass_over(path, "symlink loop" if exc.errno == errno.ELOOP else
                      "dangling link" if os.path.islink(path) else "cannot be read")
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(path, visited, pass_over)
        elif not stat.S_ISREG(mode):
            pass_over(path, f"not a regular file ({_kind_of(mode)})")
        elif name.endswith(".expected.json"):
            pass_over(path, "not a document")
        elif os.path.splitext(name)[1].lower() in DOCUMENT_SUFFIXES or _looks_like_document(path):
            yield path
        else:
            pass_over(path, "not a document")


def collect_paths(paths: list[str | Path]) -> list[str]:
    """iter_paths as a list (small inputs, tests)."""
    return list(iter_paths(paths))


PIPE_FOLDERS = ("/dev/fd/", "/proc/self/fd/")  # where the shell's <(…) names its pipes


def _job(path: str, source: str, pipe_timeout: float, known: str = "") -> tuple[bytes, Job]:
    """The document's digest and its job. A regular file is hashed here and read again by its
    worker; a pipe the shell handed over (`<(cat report.pdf)`) can be read once: its bytes go
    with the job. Any other FIFO, socket or device is refused (reading it could wait for ever)."""
    try:
        mode = os.stat(path).st_mode if "://" not in path else stat.S_IFREG
    except OSError:
        mode = stat.S_IFREG  # the worker says why it cannot be read
    refused = ""
    if stat.S_ISREG(mode):
        try:
            return hashlib.sha256(read_bytes(path)).digest(), Job(path, source, "")
        except OSError:  # unreadable: the worker reports why, under the id the caller knows, if any
            if known:
                return bytes.fromhex(known), Job(path, source, "")
    elif stat.S_ISFIFO(mode) and path.startswith(PIPE_FOLDERS):
        try:
            data = read_pipe(path, pipe_timeout)
            return hashlib.sha256(data).digest(), Job(path, source, "", data=data)
        except OSError as exc:
            refused = f"cannot read the pipe: {exc.strerror or exc}"
    else:
        refused = f"not a regular file ({_kind_of(mode)}): not read"
    return hashlib.sha256(source.encode()).digest(), Job(path, source, "", refused=refused)


def _jobs(items: Iterable[tuple[str, str]], skip: set[str], supersedes: dict[str, str],
          summary: RunSummary, pipe_timeout: float = 120.0, redirected_to: dict[str, str] | None = None,
          images: dict[str, tuple[tuple[str, str], ...]] | None = None) -> Iterator:
    """Hash each file once in the parent: identical bytes are one report. A generator, so the
    workers start parsing while the parent is still hashing. The digests seen are kept as 32
    bytes each: the only memory a run holds per document."""
    seen: set[bytes] = set()
    for path, source, *known in items:
        # A file name that is not UTF-8 (a GBK zip unpacked on Linux) is opened as it is, and
        # recorded readably: 报告.txt named in GBK becomes "\xb1\xa8\xb8\xe6.txt".
        source = os.fsencode(source).decode("utf-8", "backslashreplace")
        digest, job = _job(str(path), source, pipe_timeout, *known)
        if digest in seen:
            summary.duplicates += 1
            log.info("duplicate of an earlier document: %s", source)
            continue
        seen.add(digest)
        rid = digest.hex()
        if rid in skip:
            summary.skipped += 1
            continue
        yield replace(job, report_id=rid, supersedes=supersedes.get(rid, ""),
                      redirected_to=(redirected_to or {}).get(rid, ""), images=(images or {}).get(rid, ()))


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
    if settings.engine == "local" and not settings.early_workers:
        from .local import start_server

        start_server()  # loads the pipeline in the fork server while this process scans and hashes
    # The bar's total costs a walk of the input ahead of the one that feeds the workers.
    total = sum(1 for _ in iter_paths(paths)) if settings.progress else None
    summary = RunSummary(out=str(settings.out))
    return parse_documents(((f, f) for f in iter_paths(paths, summary.pass_over)), settings, total=total,
                           summary=summary)


def parse_documents(items: Iterable[tuple], settings: RunSettings,
                    supersedes: dict[str, str] | None = None, total: int | None = None,
                    summary: RunSummary | None = None, redirected_to: dict[str, str] | None = None,
                    images: dict[str, tuple[tuple[str, str], ...]] | None = None) -> RunSummary:
    """Parse (file, source) pairs and stream their records into the dataset. A third item,
    the document's report_id where the caller knows it (a store), names an unreadable file.

    `supersedes` maps a report_id to the report_id of the earlier version it replaces (the
    nightly run knows it; it goes into reports.supersedes), `redirected_to` the URL a fetched
    report_id was finally served from (reports.redirected_to), `images` the images a fetched
    page shows that the fetch store holds (Job.images). `total` sizes the progress bar.
    Raises Interrupted on Ctrl-C or SIGTERM (what was parsed is written first), DatasetError
    when the dataset cannot be written or another run is writing it."""
    from tqdm import tqdm

    start = time.perf_counter()
    summary = summary or RunSummary(out=str(settings.out))
    if total is None and hasattr(items, "__len__"):
        total = len(items)
    writer = DatasetWriter(settings.out, settings.format, settings.chunk_size)  # takes the dataset's lock
    try:
        retry = RETRY_ALL if settings.retry_failed else RETRY_ON_RESUME
        skip = settled_ids(settings.out, retry) if settings.resume or settings.retry_failed else set()
        jobs = _jobs(items, skip, supersedes or {}, summary, settings.doc_timeout, redirected_to, images)
        bar = tqdm(total=total, unit="doc", file=sys.stderr, disable=not settings.progress,
                   dynamic_ncols=True, smoothing=0.05)
    except BaseException:
        writer.release()
        raise

    def progress(n: int) -> None:
        if total is not None:
            bar.total = total - summary.duplicates - summary.skipped
        bar.update(n)

    def record(outcome) -> None:
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

    engine = _engine(jobs, settings, writer, progress)
    try:
        for outcome in engine:
            record(outcome)
    except KeyboardInterrupt:
        _wind_down(engine, record)
        bar.close()
        try:
            writer.abandon()
        except (KeyboardInterrupt, OSError):
            pass  # what is left half-done is put right by the next run
        summary.seconds = time.perf_counter() - start
        raise Interrupted(summary) from None
    except BaseException:
        engine.close()
        writer.release()
        raise
    bar.close()
    try:
        writer.close()
    except KeyboardInterrupt:
        summary.seconds = time.perf_counter() - start
        raise Interrupted(summary) from None
    except OSError as exc:  # a full disk while the CSV files are written
        raise DatasetError(f"cannot write the dataset in {settings.out}: {exc.strerror or exc}") from None
    summary.csv_seconds = writer.csv_seconds
    summary.seconds = time.perf_counter() - start
    return summary


def _wind_down(engine: Iterator, record: Callable) -> None:
    """After Ctrl-C or SIGTERM: let the engine's workers write what they hold, and record it.
    The interrupt is passed into the engine (unless it arrived there and ended it already); a
    second one stops the wait."""
    try:
        outcome = engine.throw(KeyboardInterrupt)
        while True:
            record(outcome)
            outcome = next(engine)
    except (KeyboardInterrupt, StopIteration):
        pass
    finally:
        engine.close()
