"""One job of a batch: a document's bytes read (a path or a URL) and parsed into its Report.

What the engines run in their workers; it knows the report wing and nothing of engines or the
dataset."""
from __future__ import annotations

import logging
import os
import select
import traceback
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urldefrag, urljoin

from ..report import Report, parse_bytes, report_id_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """One document: where to read it, what to call it, its report_id (hashed by the parent) and
    the report_id of the earlier version it replaces, if any (fetched runs)."""

    path: str
    source: str
    report_id: str
    supersedes: str = ""
    redirected_to: str = ""  # the URL a fetched document was finally served from, when redirected
    again: bool = False  # parsed before by a worker that was lost: written as soon as parsed
    data: bytes | None = None  # bytes the parent read already (a pipe can be read only once)
    refused: str = ""  # why the file is not read at all (not a regular file): its failed report
    # The images a fetched page shows, held in the fetch store: (absolute URL, stored file). Small
    # and picklable; the worker turns it into the reader's `images` (StoredImages).
    images: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class StoredImages:
    """The bytes of an image a fetched page shows, by its src as the page writes it: resolved
    against the URL the page was served from and read from the fetch store (never fetched)."""

    page_url: str
    files: dict[str, str]  # absolute image URL → stored file

    def __call__(self, src: str) -> bytes | None:
        path = self.files.get(urldefrag(urljoin(self.page_url, src.strip()))[0])
        if path is None:
            return None
        try:
            return read_bytes(path)
        except OSError as exc:  # the store lost it: the table stays "printed as an image"
            log.warning("%s: stored image %s cannot be read: %s", self.page_url, path, exc.strerror or exc)
            return None


def read_bytes(path: str) -> bytes:
    """A local path, or any URL fsspec knows (s3://, gs://, hdfs://…) for cluster runs."""
    if "://" in path:
        import fsspec

        with fsspec.open(path, "rb") as fh:
            return fh.read()
    with open(path, "rb") as fh:  # not Path(path): pathlib interns every name it sees
        return fh.read()


def parse_path(path: str, source: str | None = None, images: Callable[[str], bytes | None] | None = None) -> Report:
    """Parse one file; any unexpected error becomes a failed report (the batch goes on).

    `source` is what the dataset records as the document's origin (a URL for fetched files)."""
    source = source or path
    try:
        data = read_bytes(path)
    except OSError as exc:
        return Report(report_id="", source=source, error=f"cannot read file: {exc.strerror or exc}",
                      failure="environment")
    return parse_data(data, source, path, images)


def parse_data(data: bytes, source: str, path: str = "", images: Callable[[str], bytes | None] | None = None) -> Report:
    """parse_bytes, with an unexpected error as a failed report (the batch goes on)."""
    try:
        return parse_bytes(data, source=source, images=images)
    except Exception as exc:  # a bug must cost one document, not the batch
        log.debug("internal error on %s\n%s", path, traceback.format_exc())
        return Report(report_id=report_id_of(data), source=source,
                      error=f"internal error: {type(exc).__name__}: {exc}", failure="document")


def parse_job(job) -> Report:
    """Parse an engine.Job: the report, with the run's knowledge of the document added."""
    if job.refused:
        report = Report(report_id=job.report_id, source=job.source, error=job.refused, failure="document")
    else:
        images = StoredImages(job.redirected_to or job.source, dict(job.images)) if job.images else None
        if job.data is not None:
            report = parse_data(job.data, job.source, job.path, images)
        else:
            report = parse_path(job.path, job.source, images)
    report.report_id = report.report_id or job.report_id
    report.supersedes = job.supersedes
    report.redirected_to = job.redirected_to
    log.info("%s: %s%s, %d cells%s", job.source, report.status, f" ({report.template})" if report.format else "",
             report.n_cells, f": {report.error[:200]}" if report.error else "")
    return report



def failed_report(job: Job, reason: str, failure: str = "limit") -> Report:
    """The failed report of a job that could not be parsed (its worker was lost, a limit hit)."""
    return Report(report_id=job.report_id, source=job.source, error=reason, supersedes=job.supersedes,
                  redirected_to=job.redirected_to, failure=failure)


def read_pipe(path: str, timeout: float) -> bytes:
    """All the bytes of a pipe (`<(cat report.pdf)` names one as /dev/fd/N), or TimeoutError when
    it gives nothing for `timeout` seconds: a pipe is read once, never waited on for ever."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                raise TimeoutError(f"nothing came through the pipe for {timeout:g}s")
            try:
                chunk = os.read(fd, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)
