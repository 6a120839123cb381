"""Parse documents in worker processes, each document under a time and a memory limit.

Why not `concurrent.futures`: a pool there cannot stop one task. Here every worker has its own
pipes, so a worker that runs past `doc_timeout` or above `doc_memory_mb` is killed alone, its
document is reported as failed with the reason, a fresh worker takes its place, and the batch
goes on. Workers also retire after `max_tasks` documents, which contains the slow memory growth
of long-lived parsing libraries. Workers are forked from a server process that has imported the
pipeline once (jieba's dictionary, the schema, OpenCC and cpca); from the command line the first
ones are forked from the command itself, and the server is started only once a run will need
replacements (see parse_local).

The parent does as little per document as it can, so that it does not take CPU from the workers
(on 2 cores, converting rows and one message per document cost a third of the speed-up):

- workers write their own rows: each keeps up to `chunk_size` parsed documents, writes them as
  Parquet parts (`dataset.PartWriter`, one prefix per worker), then sends one message with the
  chunk's reports;
- workers ask for jobs ("more") when they are about to run out, and get a batch sized to about
  `BATCH_SECONDS` of their work;
- each worker counts the documents it has parsed in shared memory; the parent reads the counters
  every `TICK` seconds for the progress bar and the time limit.

A worker lost with documents it parsed but had not written has its unconfirmed parts removed,
and those documents are parsed again by another worker.
"""
from __future__ import annotations

import atexit
import logging
import multiprocessing as mp
import os
import signal
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, replace
from itertools import count
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .jobs import Job, failed_report, parse_job

log = logging.getLogger(__name__)
TICK = 0.2  # seconds between looks at the workers' counters, clocks and memory
BATCH_SECONDS = 0.05  # work handed to a worker at a time (fewer messages for fast documents)
MAX_BATCH = 32
LOW_WATER = 2  # a worker asks for more when it holds this few jobs
CHUNK_SECONDS = 30.0  # a worker writes what it holds at least this often (slow documents)
MAX_ATTEMPTS = 3  # a document running, unblamed, when its worker was lost this often fails
MAX_REQUEUES = 6  # a document queued again this often (its workers lost for others) fails
STARTUP_FAILURES = 3  # workers in a row that die before asking for a job: the run stops
HANG_MARKER = b"GIOAR-TEST-HANG"  # with GIOAR_TEST_HANG=1 a document holding this sleeps (tests)
GROW_MARKER, GROW_MB = b"GIOAR-TEST-GROW", 600  # … and holding this too, first takes 600 MiB
PRELOAD = ["extract.batch._preload"]  # it ignores Ctrl-C from its first line
READY_ENV = "GIOAR_SERVER_READY"  # a file the fork server creates once it has loaded the pipeline
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"  # the command line's, in the workers too
STOPPED_EXIT = 128 + signal.SIGTERM  # a worker that ended on SIGTERM, having written what it held
STOP_SECONDS = 15.0  # after Ctrl-C or SIGTERM, how long workers get to write what they hold
OUTSIDE_SIGNALS = (signal.SIGKILL, signal.SIGTERM, signal.SIGHUP, signal.SIGINT)  # the OOM killer, an admin


class EngineError(RuntimeError):
    """The worker processes cannot run at all (they die before their first document)."""


# The worker's shared state: documents parsed so far, and 1 while it writes a chunk.
PARSED, WRITING = 0, 1


class _Stop(BaseException):
    """SIGTERM in a worker (the parent stopping the run, or systemd): stop parsing, write what is
    held. A BaseException, so that the pipeline's `except Exception` does not take it for a
    document's error."""


def _worker(tasks: Connection, results: Connection, state, max_tasks: int, hang: bool,
            out: str, prefix: str, chunk_size: int, log_level: int = logging.WARNING,
            ocr_env: dict[str, str] | None = None) -> None:
    """Parse the jobs it is sent (lists; None: no more) until none are left or `max_tasks` are
    done. Counts parsed documents in `state` (shared memory), writes them in chunks of
    `chunk_size` (or CHUNK_SECONDS of work) and sends ("written", chunks so far, the chunk's
    outcomes without rows) for each; ("fatal", why) when the dataset cannot be written. On
    SIGTERM it drops the document it is parsing, writes the ones it holds, and ends."""
    from ..dataset import PartWriter, outcome_of
    from ..report import warm_up

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops us
    from parsers.ocr import use_environment

    stop = {"asked": False, "busy": False}  # busy: writing or sending, not to be cut short

    def on_term(signum, frame) -> None:
        stop["asked"] = True
        if not stop["busy"]:
            raise _Stop

    if log_level < logging.WARNING:  # -v: the per-document lines come from here
        logging.basicConfig(level=log_level, format=LOG_FORMAT, stream=sys.stderr, force=True)
    use_environment(ocr_env or {})  # this run's OCR settings (--no-ocr, --ocr-dpi)
    # A no-op when forked from the warmed-up server; a worker forked from the parent before the
    # server is ready loads jieba only if one of its documents needs it.
    warm_up(jieba=False)
    parts = PartWriter(Path(out), prefix)
    buffer, local = [], deque()

    def send(message) -> None:
        stop["busy"] = True
        try:
            results.send(message)
        finally:
            stop["busy"] = False

    def write() -> bool:
        stop["busy"] = True  # a chunk written is confirmed before a SIGTERM is taken
        state[WRITING] = 1
        try:
            written = parts.write(buffer)
            results.send(("written", parts.chunks, [o.written() for o in written]))
        except OSError as exc:
            buffer.clear()
            results.send(("fatal", f"cannot write the dataset in {out}: {exc}"))
            return False
        finally:
            stop["busy"] = False
        buffer.clear()
        state[WRITING] = 0
        if stop["asked"]:
            raise _Stop
        return True

    signal.signal(signal.SIGTERM, on_term)  # here, where _Stop is caught (before: SIGTERM just ends it)
    try:
        _work(tasks, state, max_tasks, hang, chunk_size, stop, send, write, buffer, local, outcome_of)
    except _Stop:
        pass
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent is gone (killed): nobody to confirm a chunk to, so none is written
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopping already: what it holds is written now
    if buffer:
        try:
            write()
        except _Stop:
            pass
    if stop["asked"]:
        sys.exit(STOPPED_EXIT)  # not a clean end: the parent queues what it did not confirm


def _work(tasks, state, max_tasks, hang, chunk_size, stop, send, write, buffer, local, outcome_of) -> None:
    """The worker's loop (see _worker)."""
    asked = last = False
    n = 0
    since = 0.0
    while n < max_tasks and not stop["asked"]:
        if not last and not asked and len(local) <= LOW_WATER:
            send(("more", None))
            asked = True
        try:
            while not last and (not local or tasks.poll()):
                batch = tasks.recv()
                if batch is None:
                    last = True
                else:
                    local.extend(batch)
                    asked = False
        except EOFError:  # the parent is gone: finish what is here
            last = True
        if not local:
            break
        job = local.popleft()
        if hang:
            _hang_if_marked(job.path)
        if not buffer:
            since = time.monotonic()
        buffer.append(outcome_of(parse_job(job)))
        n += 1
        state[PARSED] = n
        # Documents parsed again after a lost worker are written at once: they were lost once.
        again = job.again and not (local and local[0].again)
        if (len(buffer) >= chunk_size or again or time.monotonic() - since > CHUNK_SECONDS) and not write():
            raise _Stop  # the dataset cannot be written: the parent was told


def _hang_if_marked(path: str) -> None:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return
    if HANG_MARKER in data:
        held = b"x" * (GROW_MB << 20) if GROW_MARKER in data else b""  # noqa: F841 - resident until killed
        time.sleep(3600)


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


class _Worker:
    """A worker process, its pipes and counter, and the jobs sent to it that are not written yet,
    in order: the first `parsed - written` are parsed, the next one is running, the rest wait."""

    def __init__(self, ctx, settings, prefix: str) -> None:
        task_r, self.tasks = ctx.Pipe(duplex=False)
        self.results, result_w = ctx.Pipe(duplex=False)
        self.state = ctx.RawArray("q", 2)
        # Read in the parent: the fork server's environment is the one it started with.
        hang = os.environ.get("GIOAR_TEST_HANG") == "1"
        from parsers.ocr import environment

        self.proc = ctx.Process(target=_worker, daemon=True,
                                args=(task_r, result_w, self.state, settings.max_tasks, hang,
                                      str(settings.out), prefix, settings.chunk_size,
                                      logging.getLogger().getEffectiveLevel(), environment()))
        self.proc.start()
        task_r.close()
        result_w.close()
        self.prefix = prefix
        self.max_tasks = settings.max_tasks
        self.jobs: deque[Job] = deque()
        self.sent = self.written = self.chunks = 0
        self.parsed = 0  # state[PARSED] when last looked at
        self.writing = 0  # state[WRITING] when last looked at
        self.since = self.born = time.monotonic()  # when either last changed
        self.told_last = False

    def running(self) -> int | None:
        """Index in `jobs` of the job being parsed, if any (none while it writes a chunk)."""
        i = self.parsed - self.written
        return i if i < len(self.jobs) and not self.writing else None

    def give(self, jobs: list[Job] | None) -> None:
        if jobs is None:
            self.told_last = True
        else:
            if self.running() is None:
                self.since = time.monotonic()  # idle until now: the clock starts with these
            self.jobs.extend(jobs)
            self.sent += len(jobs)
        try:
            self.tasks.send(jobs)
        except (BrokenPipeError, OSError):
            pass  # it died: the loop sees its sentinel

    def batch_size(self) -> int:
        rate = self.parsed / max(time.monotonic() - self.born, 1e-3)
        return max(1, min(MAX_BATCH, int(rate * BATCH_SECONDS), self.max_tasks - self.sent))

    def ended_cleanly(self) -> bool:
        return not self.jobs and (self.told_last or self.sent >= self.max_tasks)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        for conn in (self.tasks, self.results):
            conn.close()


class _Queue:
    """The jobs still to hand out: retries first, then the (lazy) input, with a look-ahead."""

    def __init__(self, jobs: Iterable[Job]) -> None:
        self._input = iter(jobs)
        self._retry: deque[Job] = deque()
        self._ahead: deque[Job] = deque()  # taken from the input, not handed out yet

    def take(self, n: int) -> list[Job]:
        out: list[Job] = []
        while len(out) < n and not self.empty():
            out.append(self._retry.popleft() if self._retry else self._ahead.popleft())
        return out

    def empty(self) -> bool:
        return not self.more_than(0)

    def more_than(self, n: int) -> bool:
        """Are more than n jobs left? (Reads at most n + 1 ahead of the lazy input.)"""
        while len(self._retry) + len(self._ahead) <= n:
            job = next(self._input, None)
            if job is None:
                return False
            self._ahead.append(job)
        return True

    def again(self, jobs: Iterable[Job]) -> None:
        self._retry.extend(jobs)


def _context(extra: tuple[str, ...] = ()):
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD + list(extra))
    return ctx


def start_server(extra: tuple[str, ...] = ()) -> None:
    """Start the fork server now, so it loads the pipeline (and the `extra` modules) while the
    parent imports and hashes. The server is the process's one: the first call's modules stay.
    It touches the file named by READY_ENV once it has loaded everything (see `server_ready`)."""
    from multiprocessing import forkserver

    _context(extra)
    if not os.environ.get(READY_ENV):
        fd, path = tempfile.mkstemp(prefix="gioar-server-", suffix=".ready")
        os.close(fd)
        os.unlink(path)
        os.environ[READY_ENV] = path  # the server inherits it
        atexit.register(lambda: os.path.exists(path) and os.unlink(path))
    forkserver.ensure_running()


def server_ready() -> bool | None:
    """Has the fork server this process started loaded the pipeline? None: no server was
    started with a ready file (workers then wait for it as multiprocessing does)."""
    path = os.environ.get(READY_ENV)
    if not path:
        return None
    return os.path.exists(path)


def failed(job: Job, reason: str, failure: str = "limit"):
    from ..dataset import outcome_of

    return outcome_of(failed_report(job, reason, failure))


def _check_resting_size(pid: int, limit_mb: int) -> None:
    """--doc-memory is a limit on a worker's whole resident memory: one below what a worker holds
    before its first document would kill every worker at once."""
    rest = _rss_mb(pid)
    if rest >= limit_mb:
        raise EngineError(f"--doc-memory {limit_mb} MiB is below what a worker holds at rest ({rest:.0f} MiB: "
                          f"the limit counts its whole resident memory); give at least {int(rest * 2)}")


def parse_local(jobs: Iterable[Job], settings, run: str,
                progress: Callable[[int], None] = lambda n: None) -> Iterator:
    """Parse the jobs; yields each document's dataset.Outcome once its rows are on disk.

    Outcomes from workers come without rows (`records` None: written under `settings.out` with
    parts prefixed `{run}-w{n}`); those of documents killed for a limit come with their failed
    report's rows, for the caller to write. `settings` is the run's RunSettings (workers,
    doc_timeout, doc_memory_mb, max_tasks, chunk_size, out). `progress` is told of documents
    parsed (+n) and of parsed documents to be parsed again (−n)."""
    from ..dataset import DatasetError, remove_parts

    ctx = _context()
    # From the command line (`early_workers`), workers are forked from this process, which has
    # what a document needs but jieba (they load it if a document of theirs needs it), until a
    # fork server has loaded the pipeline; the server (a second or two of CPU: jieba's
    # dictionary) is started only once a run will need replacements: a worker half-way to
    # retiring, or one lost. A short run never pays for it.
    # Only for the command line: a script's own worker processes must all start the same way, so
    # that an unguarded one (no `if __name__ == "__main__":`) fails at once, not at a replacement.
    early = mp.get_context("fork") if getattr(settings, "early_workers", False) else None
    server_wanted = early is None
    queue = _Queue(jobs)
    serial = count()
    attempts: dict[str, int] = {}  # times a document was running, unblamed, when its worker was lost
    requeues: dict[str, int] = {}  # times a document was queued again
    signalled: set[str] = set()  # documents whose worker was killed from outside while parsing them
    workers: list[_Worker] = []
    failed_starts = 0  # workers in a row lost before their first job

    def want_server() -> None:
        nonlocal server_wanted
        if not server_wanted:
            server_wanted = True
            start_server()

    def start() -> None:
        if not queue.empty():
            workers.append(_Worker(early if early and not server_ready() else ctx, settings,
                                   f"{run}-w{next(serial)}"))

    def receive(w: _Worker, answer: bool = True) -> Iterator:
        """Handle what the worker has sent; raises EOFError when it is gone."""
        while w.results.poll():
            kind, *value = w.results.recv()
            if kind == "more":
                if not answer:
                    continue
                if w.sent == 0 and settings.doc_memory_mb:
                    _check_resting_size(w.proc.pid, settings.doc_memory_mb)
                if w.sent >= w.max_tasks // 2:
                    want_server()  # for the worker that replaces this one
                batch = queue.take(w.batch_size()) if w.sent < w.max_tasks else []
                w.give(batch or None)
            elif kind == "fatal":
                raise DatasetError(value[0])
            else:
                w.chunks, outcomes = value
                for _ in outcomes:
                    w.jobs.popleft()
                w.written += len(outcomes)
                yield from outcomes

    def look(w: _Worker, now: float) -> None:
        n, writing = w.state[PARSED], w.state[WRITING]
        if n != w.parsed:
            progress(n - w.parsed)
        if (n, writing) != (w.parsed, w.writing):
            w.parsed, w.writing, w.since = n, writing, now

    def lost(w: _Worker, reason: str, seen: tuple[int, int] | None = None, failure: str = "limit",
             outside: bool = False) -> Iterator:
        """A worker killed (for a limit, after the parent `seen` its state) or dead: what it
        confirmed stays; its running document fails (`failure` says of what kind), but for the
        first time a worker running it is killed from outside (the OOM killer): then it is
        parsed again; the documents it parsed but did not write, and those it had not started,
        are queued again."""
        nonlocal failed_starts
        want_server()
        w.proc.kill()
        w.proc.join()
        workers.remove(w)
        failed_starts = failed_starts + 1 if w.sent == 0 else 0
        if failed_starts >= STARTUP_FAILURES:
            raise EngineError(
                f"worker processes die before their first document ({reason}). From a script, call "
                "the batch under `if __name__ == \"__main__\":` (workers re-import the main module); "
                "otherwise see the errors the workers printed above.")
        # Blame the running document only if the worker did not move on after the limit was seen.
        moved = seen is not None and (w.state[PARSED], w.state[WRITING]) != seen
        try:
            yield from receive(w, answer=False)  # chunks it confirmed before it was stopped
        except DatasetError:
            raise
        except Exception:  # EOF, or a message cut short
            pass
        w.stop()
        look(w, time.monotonic())
        remove_parts(settings.out, w.prefix, w.chunks)
        progress(-(w.parsed - w.written))
        i = w.running()
        culprit = w.jobs[i] if i is not None and not moved else None
        unblamed = w.jobs[i] if i is not None and moved else None
        if culprit is not None and outside and culprit.report_id not in signalled:
            signalled.add(culprit.report_id)  # once: a document that is killed again fails
            log.warning("%s: %s; parsing it once more", culprit.source, reason)
            unblamed, culprit = culprit, None
        for job in w.jobs:
            if job is culprit:
                continue
            rid = job.report_id
            requeues[rid] = requeues.get(rid, 0) + 1
            if job is unblamed:
                attempts[rid] = attempts.get(rid, 0) + 1
            if attempts.get(rid, 0) >= MAX_ATTEMPTS or requeues[rid] >= MAX_REQUEUES:
                progress(1)
                yield failed(job, f"its worker process was lost {requeues[rid]} times; last: {reason}")
            else:
                queue.again([replace(job, again=True)])
        if culprit is not None:
            log.warning("%s: %s", culprit.source, reason)
            progress(1)
            again = " (its second try: a worker parsing it was killed from outside)" \
                if culprit.report_id in signalled else ""
            yield failed(culprit, reason + again, failure)
        start()

    def wind_down() -> Iterator:
        """Ctrl-C or SIGTERM: every worker drops the document it is parsing, writes the ones it
        holds and ends; their confirmed outcomes are yielded. Who is not done in STOP_SECONDS is
        killed (by the caller's `finally`)."""
        for w in workers:
            w.proc.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        while workers and time.monotonic() < deadline:
            wait([w.results for w in workers] + [w.proc.sentinel for w in workers], timeout=TICK)
            for w in list(workers):
                try:
                    yield from receive(w, answer=False)
                except (EOFError, OSError):
                    pass
                if not w.proc.is_alive():
                    try:
                        yield from receive(w, answer=False)
                    except (EOFError, OSError):
                        pass
                    workers.remove(w)
                    w.stop()
                    remove_parts(settings.out, w.prefix, w.chunks)

    last_look = 0.0
    try:
        for n in range(max(1, settings.workers)):
            if queue.more_than(n):  # no more workers than documents
                start()  # each asks for jobs as it starts
        while workers:
            ready = set(wait([w.results for w in workers] + [w.proc.sentinel for w in workers], timeout=TICK))
            for w in list(workers):
                if w.results not in ready and w.proc.sentinel not in ready:
                    continue
                ended = False
                try:
                    yield from receive(w)
                except (EOFError, OSError):
                    ended = True
                if ended or w.proc.sentinel in ready:  # an ended process has nothing left in its pipe
                    look(w, time.monotonic())
                    if w.ended_cleanly():  # no more jobs, or retired after max_tasks
                        workers.remove(w)
                        w.stop()
                        start()
                    else:
                        w.proc.join(timeout=1)
                        code = w.proc.exitcode or 0
                        code = -signal.SIGTERM if code == STOPPED_EXIT else code
                        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
                        outside = -code in OUTSIDE_SIGNALS
                        yield from lost(w, f"worker process died ({how})", outside=outside,
                                        failure="limit" if outside else "document")
            now = time.monotonic()
            if now - last_look < TICK:
                continue
            last_look = now
            for w in list(workers):
                look(w, now)
                if w.running() is None:
                    continue
                seen = (w.parsed, w.writing)
                if now - w.since > settings.doc_timeout:
                    yield from lost(w, f"time limit of {settings.doc_timeout:g}s exceeded; document skipped", seen)
                elif settings.doc_memory_mb and _rss_mb(w.proc.pid) > settings.doc_memory_mb:
                    yield from lost(w, f"memory limit of {settings.doc_memory_mb} MiB exceeded; document skipped",
                                    seen)
    except KeyboardInterrupt:
        yield from wind_down()
        raise
    finally:
        for w in workers:  # interrupted, or an error: what they did not confirm is removed
            w.stop(kill=True)
            remove_parts(settings.out, w.prefix, w.chunks)
