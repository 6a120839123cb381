"""Parse documents in worker processes, each document under a time and a memory limit.

Why not `concurrent.futures`: a pool there cannot stop one task. Here every worker has its own
pipes, so a worker that runs past `doc_timeout` or above `doc_memory_mb` is killed alone, its
document is reported as failed with the reason, a fresh worker takes its place, and the batch
goes on. Workers also retire after `max_tasks` documents, which contains the slow memory growth
of long-lived parsing libraries. Workers are forked from a server process that has imported the
pipeline once (jieba, the schema and OpenCC load lazily once per worker).
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Iterable, Iterator

from .report import Report

log = logging.getLogger(__name__)
PREFETCH = 2  # jobs sent ahead to a worker
HANG_MARKER = b"GIOAR-TEST-HANG"  # with GIOAR_TEST_HANG=1 a document holding this sleeps (tests)


@dataclass(frozen=True)
class Job:
    """One document: where to read it, what to call it, and its report_id (hashed by the parent)."""

    path: str
    source: str
    report_id: str


def _worker(tasks: Connection, results: Connection, max_tasks: int, hang: bool) -> None:
    from .dataset import outcome_of
    from .report import warm_up
    from .runner import parse_path

    warm_up()
    for _ in range(max_tasks):
        try:
            job = tasks.recv()
        except EOFError:
            return
        if job is None:
            return
        if hang:
            try:
                with open(job.path, "rb") as fh:
                    if HANG_MARKER in fh.read():
                        time.sleep(3600)
            except OSError:
                pass
        report = parse_path(job.path, job.source)
        report.report_id = report.report_id or job.report_id
        results.send(outcome_of(report))


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


class _Worker:
    """A worker process with its own pipes and the jobs sent to it, oldest (running) first."""

    def __init__(self, ctx, max_tasks: int) -> None:
        task_r, self.tasks = ctx.Pipe(duplex=False)
        self.results, result_w = ctx.Pipe(duplex=False)
        # Read in the parent: the fork server's environment is the one it started with.
        hang = os.environ.get("GIOAR_TEST_HANG") == "1"
        self.proc = ctx.Process(target=_worker, args=(task_r, result_w, max_tasks, hang), daemon=True)
        self.proc.start()
        task_r.close()
        result_w.close()
        self.jobs: deque[Job] = deque()
        self.started = 0.0  # when the running job (jobs[0]) started
        self.sent = 0
        self.max_tasks = max_tasks

    def can_take(self) -> bool:
        return len(self.jobs) < PREFETCH and self.sent < self.max_tasks

    def give(self, job: Job) -> None:
        if not self.jobs:
            self.started = time.monotonic()
        self.jobs.append(job)
        self.sent += 1
        self.tasks.send(job)

    def finished(self) -> Job:
        self.started = time.monotonic()
        return self.jobs.popleft()

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.tasks.send(None)
            except (BrokenPipeError, OSError):
                pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        for conn in (self.tasks, self.results):
            conn.close()


def _context():
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["extract.runner", "extract._preload"])
    return ctx


def failed(job: Job, reason: str):
    from .dataset import outcome_of

    return outcome_of(Report(report_id=job.report_id, source=job.source, error=reason))


def parse_local(jobs: Iterable[Job], settings) -> Iterator:
    """Outcomes (dataset.Outcome) for the jobs, in completion order. `settings` is the run's
    RunSettings: workers, doc_timeout, doc_memory_mb, max_tasks.

    Each worker holds up to PREFETCH jobs, so it never waits for the parent between documents;
    the limits apply to the job it is running (the oldest one sent)."""
    ctx = _context()
    pending = iter(jobs)
    retry: deque[Job] = deque()  # jobs queued on a worker that was killed: not started, sent again
    workers = [_Worker(ctx, settings.max_tasks) for _ in range(max(1, settings.workers))]

    def feed(w: _Worker) -> None:
        while w.can_take():
            job = retry.popleft() if retry else next(pending, None)
            if job is None:
                return
            w.give(job)

    def replace(w: _Worker, kill: bool) -> _Worker:
        retry.extend(w.jobs)
        w.jobs.clear()
        w.stop(kill=kill)
        fresh = _Worker(ctx, settings.max_tasks)
        workers[workers.index(w)] = fresh
        feed(fresh)
        return fresh

    try:
        for w in workers:
            feed(w)
        while any(w.jobs for w in workers):
            busy = [w for w in workers if w.jobs]
            ready = set(wait([w.results for w in busy] + [w.proc.sentinel for w in busy], timeout=0.2))
            for w in busy:
                if w.results in ready:
                    try:
                        while w.jobs and w.results.poll():
                            outcome = w.results.recv()
                            w.finished()
                            yield outcome
                    except (EOFError, OSError):
                        job, code = w.finished(), w.proc.exitcode
                        replace(w, kill=True)
                        yield failed(job, f"worker process died (exit code {code})")
                        continue
                    if not w.jobs and w.sent >= w.max_tasks:
                        replace(w, kill=False)  # retire: contains library memory growth
                    else:
                        feed(w)
                elif w.proc.sentinel in ready:
                    w.proc.join(timeout=1)
                    job, code = w.finished(), w.proc.exitcode
                    replace(w, kill=True)
                    yield failed(job, f"worker process died (exit code {code})")
            now = time.monotonic()
            for w in [w for w in workers if w.jobs]:
                reason = ""
                if now - w.started > settings.doc_timeout:
                    reason = f"time limit of {settings.doc_timeout:g}s exceeded; document skipped"
                elif settings.doc_memory_mb and _rss_mb(w.proc.pid) > settings.doc_memory_mb:
                    reason = f"memory limit of {settings.doc_memory_mb} MiB exceeded; document skipped"
                if reason:
                    job = w.finished()
                    log.warning("%s: %s", job.source, reason)
                    replace(w, kill=True)
                    yield failed(job, reason)
    finally:
        for w in workers:
            w.stop(kill=bool(w.jobs))
