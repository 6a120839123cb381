"""Text reports: documents per second on one core, and peak memory.

    .venv/bin/python bench/bench_text.py [N]

Generates N variants of the corpus's text reports (tests/make_variants.py), then measures
(1) the whole pipeline in this process on one core (parse_bytes per document), and
(2) the command line with --workers 1, writing the dataset, with its peak memory.
Prints figures; asserts nothing.
"""
from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from make_variants import make  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "docs"
        made = make(src, n)
        files = [src / name for name in made]
        total_bytes = sum(f.stat().st_size for f in files)

        import extract

        start = time.perf_counter()
        extract.parse_bytes(files[0].read_bytes(), str(files[0]))  # warm-up: jieba, cpca, OpenCC
        warm = time.perf_counter() - start
        start = time.perf_counter()
        cells = 0
        for f in files:
            cells += extract.parse_bytes(f.read_bytes(), str(f)).n_cells
        took = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"documents            {n} text reports, {total_bytes / 1e6:.1f} MB, {cells} cells")
        print(f"start-up (first doc) {warm:.2f} s")
        print(f"in-process, 1 core   {n / took:.1f} documents/s  ({took / n * 1000:.2f} ms/doc)")
        print(f"peak memory (RSS)    {rss:.0f} MiB in this process")

        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "extract", "parse", str(src), "--out", str(out), "--workers", "1", "--quiet"]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        took = time.perf_counter() - start
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"CLI --workers 1      {n / took:.1f} documents/s wall, incl. start-up and writing ({took:.1f} s)")
        print(f"CLI peak memory      {child:.0f} MiB (RSS)")
        print(f"CLI summary          {proc.stderr.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
