"""`extract fetch` and `extract run`: crawl every source, then parse what is new or changed.

Each command prints a line per source and a summary, and writes a JSON run record under
`<out>/runs/`. A source whose site is down is reported and the others go on.
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .client import PoliteClient
from .config import Config
from .crawl import Crawler, SourceResult
from .state import State, Store


@dataclass
class FetchSummary:
    sources: list[SourceResult] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.sources)

    def line(self) -> str:
        total = lambda k: sum(getattr(s, k) for s in self.sources)  # noqa: E731
        failed_sources = [s.name for s in self.sources if s.failed]
        return (f"fetched {len(self.sources)} sources: {total('new')} new, {total('changed')} changed, "
                f"{total('unchanged')} unchanged, {total('failed')} failed; {self.requests} requests; "
                f"{self.seconds:.1f}s" + (f" (failures in: {', '.join(failed_sources)})" if failed_sources else ""))


def fetch_all(config: Config, echo=print) -> FetchSummary:
    start = time.perf_counter()
    state, store = State(config.state), Store(config.store)
    client = PoliteClient(config.fetch)
    summary = FetchSummary()
    try:
        crawler = Crawler(client, state, store)
        for source in config.sources:
            result = crawler.crawl(source)
            summary.sources.append(result)
            echo(result.line())
    finally:
        summary.requests = client.counters.requests
        client.close()
        state.close()
    summary.seconds = time.perf_counter() - start
    return summary


def parse_new(config: Config, workers: int, progress: bool):
    """Parse the stored documents that are not in the dataset yet; returns the RunSummary."""
    from ..batch.runner import RunSettings, parse_documents

    from ..dataset import retryable_ids

    state, store = State(config.state), Store(config.store)
    try:
        # failed for a missing tool or a limit (extract.contract reports.failure): parsed again
        state.mark_unparsed(retryable_ids(config.out))
        pending = state.unparsed()
        supersedes = {sha: old for sha, _, old in pending if old}
        items = [(store.path(sha), url, sha) for sha, url, _ in pending]
        settings = RunSettings(out=config.out, workers=workers, progress=progress)
        summary = parse_documents(items, settings, supersedes)
        # Only once the dataset holds them: a run killed before this parses them again.
        state.mark_parsed([sha for sha, _, _ in pending])
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
    print(line, file=sys.stderr, flush=True)
