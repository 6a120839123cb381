"""The same parse on a Dask distributed cluster (`extract parse … --engine dask`).

Without a scheduler address a LocalCluster of `workers` single-threaded processes is started.
Workers read the documents themselves: paths must be visible to every worker (a shared
filesystem), or be URLs fsspec can open (s3://…, gs://…). Each worker process loads jieba, the
schema and OpenCC once, on its first document, and keeps them. At most a few tasks per worker
are in flight, so the parent's memory does not grow with the batch.
"""
from __future__ import annotations

import logging
from typing import Iterator

from .engine import Job, failed

log = logging.getLogger(__name__)


def _parse(jobs: list[Job]) -> list:
    from .dataset import outcome_of
    from .runner import parse_job

    return [outcome_of(parse_job(job)) for job in jobs]


def _batches(jobs: list[Job], size: int):
    for i in range(0, len(jobs), size):
        yield jobs[i : i + size]


def parse_dask(jobs: list[Job], workers: int, scheduler: str | None = None, batch: int = 25) -> Iterator:
    """Outcomes for the jobs; documents travel in tasks of `batch` (scheduling costs per task)."""
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
        pending = _batches(jobs, batch)
        futures = {}
        queue = as_completed()

        def submit(chunk: list[Job]) -> None:
            fut = client.submit(_parse, chunk, pure=False)
            futures[fut.key] = chunk
            queue.add(fut)

        for chunk in pending:
            submit(chunk)
            if len(futures) >= 3 * n_workers:
                break
        for fut in queue:
            chunk = futures.pop(fut.key)
            try:
                yield from fut.result()
            except Exception as exc:  # a worker lost, a task killed by the nanny
                for job in chunk:
                    yield failed(job, f"dask task failed: {type(exc).__name__}: {exc}")
            fut.release()
            nxt = next(pending, None)
            if nxt is not None:
                submit(nxt)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
