"""The same parse on a Dask distributed cluster (`extract parse … --engine dask`).

Without a scheduler address a LocalCluster of `workers` single-threaded processes is started.
Workers read the documents themselves: paths must be visible to every worker (a shared
filesystem), or be URLs fsspec can open (s3://…, gs://…). Each worker process loads jieba, the
schema and OpenCC once, before its first document, and keeps them.

A task parses a batch of documents and returns their rows already as Arrow tables
(dataset.chunk_tables), which travel cheaply; this process only writes them as parts, so the
dataset stays where the command runs and workers need no write access to it. At most a few
tasks per worker are in flight, so memory here does not grow with the batch.
"""
from __future__ import annotations

import logging
from itertools import islice
from typing import Callable, Iterable, Iterator

from .engine import Job, failed

log = logging.getLogger(__name__)
BATCH = 50  # documents per task: scheduling costs per task, a lost task costs its batch


def _parse(jobs: list[Job]) -> tuple[list, list]:
    from .dataset import chunk_tables, outcome_of
    from .runner import parse_job

    outcomes = [outcome_of(parse_job(job)) for job in jobs]
    return [o.written() for o in outcomes], chunk_tables(outcomes)


def parse_dask(jobs: Iterable[Job], workers: int, scheduler: str | None,
               write_tables: Callable[[list], None], batch: int = BATCH) -> Iterator:
    """Outcomes (without rows) for the jobs, once `write_tables` has written each task's rows."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise RuntimeError("the dask engine needs dask.distributed: pip install 'gioar-extract[dask]'") from None
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        from .report import warm_up

        client.run(warm_up)  # jieba, schema, OpenCC, cpca: once per worker, before any document
        n_workers = len(client.scheduler_info().get("workers", {})) or workers
        pending = iter(jobs)
        futures = {}
        queue = as_completed()

        def submit() -> bool:
            chunk = list(islice(pending, batch))
            if chunk:
                fut = client.submit(_parse, chunk, pure=False)
                futures[fut.key] = chunk
                queue.add(fut)
            return bool(chunk)

        while len(futures) < 3 * n_workers and submit():
            pass
        for fut in queue:
            chunk = futures.pop(fut.key)
            try:
                outcomes, tables = fut.result()
            except Exception as exc:  # a worker lost, a task killed by the nanny
                outcomes = [failed(job, f"dask task failed: {type(exc).__name__}: {exc}") for job in chunk]
            else:
                write_tables(tables)
            fut.release()
            submit()
            yield from outcomes
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
