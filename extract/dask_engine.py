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


def _parse(job: Job):
    from .dataset import outcome_of
    from .runner import parse_path

    report = parse_path(job.path, job.source)
    report.report_id = report.report_id or job.report_id
    return outcome_of(report)


def parse_dask(jobs: list[Job], workers: int, scheduler: str | None = None) -> Iterator:
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
        window = max(4, 4 * max(1, len(client.scheduler_info().get("workers", {})) or workers))
        pending = iter(jobs)
        futures = {}
        queue = as_completed()
        for job in pending:
            fut = client.submit(_parse, job, pure=False)
            futures[fut.key] = job
            queue.add(fut)
            if len(futures) >= window:
                break
        for fut in queue:
            job = futures.pop(fut.key)
            try:
                yield fut.result()
            except Exception as exc:  # a worker lost, a task killed by the nanny
                yield failed(job, f"dask task failed: {type(exc).__name__}: {exc}")
            fut.release()
            nxt = next(pending, None)
            if nxt is not None:
                new = client.submit(_parse, nxt, pure=False)
                futures[new.key] = nxt
                queue.add(new)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
