"""Documents per second for HTML reports on one core, against a bare BeautifulSoup parse.

    .venv/bin/python bench/bench_html.py [FILES...] [--seconds S]

Default files: corpus/docs/*.html. Prints, for the same bytes:
  - bs4:     BeautifulSoup(data, "lxml") and nothing else (the baseline);
  - reader:  parsers.read(data) (decode, find the body, blocks and tables);
  - pipeline: extract.report.parse_bytes(data) (reader + sections, matching, checks, metadata);
and the ratios reader/bs4 and pipeline/bs4 (above 1 means faster than the bare parse).
Not a test: figures only.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rate(fn, docs: list[bytes], seconds: float) -> float:
    """Documents per second, cycling through `docs` for about `seconds` (after one warm-up pass)."""
    for d in docs:
        fn(d)
    n, start = 0, time.perf_counter()
    while True:
        for d in docs:
            fn(d)
        n += len(docs)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*")
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    except (AttributeError, OSError):
        pass
    files = [Path(f) for f in args.files] or sorted((ROOT / "corpus" / "docs").glob("*.html"))
    docs = [f.read_bytes() for f in files]
    size = sum(map(len, docs))
    print(f"{len(docs)} HTML documents, {size / 1024:.0f} KiB, one core ({os.cpu_count()} on the machine)")

    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    import parsers
    from extract.report import parse_bytes

    warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)
    results = {}
    results["bs4"] = rate(lambda d: BeautifulSoup(d, "lxml"), docs, args.seconds)
    results["reader"] = rate(lambda d: parsers.read(d, name="x.html"), docs, args.seconds)
    results["pipeline"] = rate(lambda d: parse_bytes(d, source="x.html"), docs, args.seconds)
    for name, r in results.items():
        print(f"{name:9s} {r:8.1f} docs/s  {r * size / len(docs) / 1e6:6.2f} MB/s  "
              f"ratio to bs4 {r / results['bs4']:5.2f}")


if __name__ == "__main__":
    main()
