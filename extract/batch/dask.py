"""The same parse on a Dask distributed cluster (`extract parse … --engine dask`).

Without a scheduler address a LocalCluster of `workers` single-threaded processes is started.
Workers read the documents themselves: paths must be visible to every worker (a shared
filesystem), or be URLs fsspec can open (s3://…, gs://…). Each worker process loads jieba, the
schema and OpenCC once, before its first document, and keeps them.

A task parses a batch of documents and returns their rows already as Arrow tables
(dataset.writable_chunk), which travel cheaply; this process only writes them as parts, so the
dataset stays where the command runs and workers need no write access to it. At most a few
tasks per worker are in flight, so memory here does not grow with the batch.
"""
from __future__ import annotations

import logging
import time
from itertools import islice
from typing import Callable, Iterable, Iterator

from ..dataset import outcome_of, writable_chunk
from .jobs import Job, failed_report, parse_job
from .local import EngineError, start_server

log = logging.getLogger(__name__)
SERVER_MODULES = ("distributed",)  # what a LocalCluster's worker processes import besides the pipeline
TASK_SECONDS = 0.5  # work per task, once the first tasks have shown how long a document takes
FIRST_TASK_DOCS = 10
MAX_TASK_DOCS = 500  # a lost task costs its documents
CONNECT_SECONDS = 10  # a scheduler that does not answer in this time is unreachable


def _parse(jobs: list[Job]) -> tuple[list, list, float]:
    """A task: the outcomes without rows, the rows as Arrow tables, and the seconds it took."""
    start = time.perf_counter()
    tables, outcomes = writable_chunk([outcome_of(parse_job(job)) for job in jobs])
    return [o.written() for o in outcomes], tables, time.perf_counter() - start


def _log_to_stderr(level: int) -> None:
    """On a worker: log as the command line does (its per-document lines, with -v)."""
    import sys

    from .local import LOG_FORMAT

    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr, force=True)
    logging.getLogger("distributed").setLevel(logging.WARNING)


def parse_dask(jobs: Iterable[Job], workers: int, scheduler: str | None,
               write_tables: Callable[[list], None]) -> Iterator:
    """Outcomes (without rows) for the jobs, once `write_tables` has taken each task's rows.

    Tasks are sized to about TASK_SECONDS of work, from the time the finished ones took: big
    enough that scheduling costs little, small enough that the last tasks end together."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise EngineError("the dask engine needs dask.distributed: pip install 'gioar-extract[dask]'") from None
    cluster = None
    if not log.isEnabledFor(logging.INFO):
        logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO chatter only with -v
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_SECONDS)
        except (OSError, ValueError) as exc:  # refused, unreachable, timed out; a malformed address
            raise EngineError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    else:
        import dask

        # Worker processes forked from the engine's fork server start with the pipeline loaded,
        # as the local engine's do, instead of spawning and importing it all again. Dask's
        # statistical profiler (a stack sample every 10 ms) is off: nobody reads it here.
        start_server(SERVER_MODULES)
        with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver",
                              "distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        from ..report import warm_up

        client.run(warm_up)  # jieba, schema, OpenCC, cpca: once per worker, before any document
        level = logging.getLogger().getEffectiveLevel()
        if level < logging.WARNING:  # -v: the per-document lines come from the workers
            client.run(_log_to_stderr, level)
        from parsers.ocr import environment, warm_up as ocr_warm_up

        client.run(ocr_warm_up, environment())  # this run's OCR settings; the engine loaded once
        n_workers = len(client.scheduler_info().get("workers", {})) or workers
        pending = iter(jobs)
        futures = {}
        queue = as_completed()
        per_doc = [0.0, 0]  # seconds and documents of the finished tasks

        def submit() -> bool:
            size = FIRST_TASK_DOCS
            if per_doc[1]:
                size = max(1, min(MAX_TASK_DOCS, int(TASK_SECONDS * per_doc[1] / max(per_doc[0], 1e-6))))
            chunk = list(islice(pending, size))
            if chunk:
                fut = client.submit(_parse, chunk, pure=False)
                futures[fut.key] = chunk
                queue.add(fut)
            return bool(chunk)

        while len(futures) < 2 * n_workers and submit():
            pass
        for fut in queue:
            chunk = futures.pop(fut.key)
            try:
                outcomes, tables, seconds = fut.result()
            except Exception as exc:  # a worker lost, a task killed by the nanny
                outcomes = [outcome_of(failed_report(job, f"dask task failed: {type(exc).__name__}: {exc}")) for job in chunk]
            else:
                write_tables(tables)
                per_doc[0] += seconds
                per_doc[1] += len(chunk)
            fut.release()
            submit()
            yield from outcomes
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
