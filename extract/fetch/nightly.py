"""`extract fetch` and `extract run`: crawl every source, then parse what is new or changed.

Each command prints a line per source and a summary, and writes a JSON run record under
`<out>/runs/`. A source whose site is down is reported and the others go on.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..console import echo
from .client import PoliteClient
from .config import Config, Source
from .crawl import Crawler, SourceResult
from .state import State, Store

log = logging.getLogger(__name__)


@dataclass
class FetchSummary:
    sources: list[SourceResult] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.sources)

    @property
    def site_errors(self) -> int:
        """URLs a site did not serve and sources not crawled to the end (exit status 3)."""
        return sum(s.site_errors for s in self.sources)

    def line(self) -> str:
        total = lambda k: sum(getattr(s, k) for s in self.sources)  # noqa: E731
        failed_sources = [s.name for s in self.sources if s.site_errors]
        return (f"fetched {len(self.sources)} sources: {total('new')} new, {total('changed')} changed, "
                f"{total('unchanged')} unchanged, {total('failed')} failed; {self.requests} requests; "
                f"{self.seconds:.1f}s" + (f" (failures in: {', '.join(failed_sources)})" if failed_sources else ""))


def _crawl_one(client: PoliteClient, config: Config, store: Store, source: Source) -> SourceResult:
    """One source, in its own thread with its own state connection. A bug costs this source only."""
    state = State(config.state)
    try:
        return Crawler(client, state, store).crawl(source)
    except Exception as exc:  # noqa: BLE001 - the other sources go on
        log.exception("crawling %s failed", source.name)
        return SourceResult(source.name, stopped=f"internal error: {type(exc).__name__}: {exc}")
    finally:
        state.close()


def fetch_all(config: Config, echo=print) -> FetchSummary:
    """Crawl every source, `parallel_sources` at a time: a slow site delays only itself (the
    per-host rate limit holds across sources). A line is echoed as each source finishes."""
    start = time.perf_counter()
    State(config.state).close()  # create or upgrade the schema once, before the threads
    store = Store(config.store)
    client = PoliteClient(config.fetch)
    summary = FetchSummary()
    pool = ThreadPoolExecutor(max_workers=min(config.fetch.parallel_sources, len(config.sources)),
                              thread_name_prefix="crawl")
    try:
        futures = {pool.submit(_crawl_one, client, config, store, s): s.name for s in config.sources}
        done = {}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            echo(done[futures[future]].line())
        summary.sources = [done[s.name] for s in config.sources]
    except BaseException:
        client.abort()  # Ctrl-C: the threads' requests end, and they start no new one
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        summary.requests = client.counters.requests
        client.close()
    summary.seconds = time.perf_counter() - start
    return summary


def parse_new(config: Config, workers: int, progress: bool, reparse: bool = False, echo=print):
    """Parse the stored documents that are not in the dataset yet (with `reparse`: every stored
    document the dataset holds, again), with their URLs, the URL they redirected to, the report
    they supersede and the table images the store holds for them (read by OCR in the workers);
    returns the RunSummary. A new document whose parsed content repeats the one it supersedes
    is not added (the dataset writer drops it): the state remembers that."""
    from ..batch.runner import RunSettings, parse_documents
    from ..dataset import existing_ids, retryable_ids

    state, store = State(config.state), Store(config.store)
    try:
        if not reparse:
            # failed for a missing tool or a limit (extract.contract reports.failure): parsed again
            state.mark_unparsed(retryable_ids(config.out))
        pending = state.in_dataset() if reparse else state.unparsed()
        supersedes = {sha: old for sha, _, old, _ in pending if old}
        redirected = {sha: final for sha, _, _, final in pending if final}
        items = [(store.path(sha), url, sha) for sha, url, _, _ in pending]
        images = {sha: found for sha, url, _, _ in pending
                  if (found := tuple((image, str(store.path(image_sha))) for image, image_sha in state.stored_images(url)))}
        settings = RunSettings(out=config.out, workers=workers, progress=progress)
        summary = parse_documents(items, settings, supersedes, redirected_to=redirected, images=images)
        held = existing_ids(config.out) if supersedes else set()
        repeats = [(sha, old) for sha, old in supersedes.items() if sha not in held]
        state.mark_same(repeats)
        if repeats:
            echo(f"{len(repeats)} changed documents say what their version in the dataset says (a visit "
                 "counter or other page furniture changed): not new versions")
        # Only once the dataset holds them: a run killed before this parses them again.
        state.mark_parsed([sha for sha, _, _, _ in pending])
        return summary
    finally:
        state.close()


def write_run_record(out: Path, command: str, fetch: FetchSummary, parse=None) -> Path:
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    record = {
        "command": command,
        "finished": datetime.now(timezone.utc).isoformat(),
        "requests": fetch.requests,
        "seconds": round(fetch.seconds, 3),
        "sources": [{k: v for k, v in asdict(s).items() if k != "documents"} | {"documents": len(s.documents)}
                    for s in fetch.sources],
    }
    if parse is not None:
        record["parse"] = {k: v for k, v in asdict(parse).items() if k != "failures"} | {
            "failures": [{"source": s, "error": e} for s, e in parse.failures]}
    path = runs / f"{stamp}-{command}.json"
    tmp = path.with_name("." + path.name + f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return path


def echo_stderr(line: str) -> None:
    """Print a line to stderr; once its reader has gone (`extract fetch 2>&1 | head`), the rest
    goes nowhere and the run carries on."""
    echo(line, sys.stderr)
