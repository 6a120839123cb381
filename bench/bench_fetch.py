"""Nightly run against the local test site: requests per document and wall times.

    .venv/bin/python bench/bench_fetch.py [N]

Serves N text reports on 127.0.0.1 (tests/govsite.py, 20 per listing page), runs
`extract run` twice (first run: everything new; second: nothing changed), and prints the
requests sent per document and the wall time of each run. requests_per_second is 200 here
(the site's Crawl-delay is 0.02 s), so the figures measure the tool, not the politeness delay.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from govsite import Site, SiteServer, config_text  # noqa: E402

from extract.cli import main  # noqa: E402


def main_bench() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    site = Site(reports=n, per_page=20)
    with tempfile.TemporaryDirectory() as tmp, SiteServer(site) as server:
        cfg = Path(tmp) / "nightly.toml"
        cfg.write_text(config_text(server, Path(tmp), rps=200.0), encoding="utf-8")
        docs = n + 4  # the site's extra good documents: flaky, busy, moved, the PDF attachment
        for label in ("first run", "second run (no change)"):
            before = len(site.hits)
            start = time.perf_counter()
            main(["run", "--config", str(cfg), "--quiet", "--workers", "2"])
            took = time.perf_counter() - start
            hits = site.hits[before:]
            cond = sum(h.conditional for h in hits)
            print(f"{label:24} {took:6.2f} s wall, {len(hits)} requests for {docs} documents "
                  f"({len(hits) / docs:.2f} per document; {cond} conditional, "
                  f"{sum(h.status == 304 for h in hits)} answered 304)", file=sys.stderr)


if __name__ == "__main__":
    main_bench()
