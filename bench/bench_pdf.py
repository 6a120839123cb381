"""PDF reports: pages per second and peak memory, side by side with plain pdfplumber.

    .venv/bin/python bench/bench_pdf.py [ROUNDS]

Reads the text-based PDF reports of corpus/docs (real-hzq-2023.pdf and the printed pdf-*.pdf
that open) ROUNDS times (default 5), each way in its own fresh process so that peak memory is
that way's own, the ways taken in turn (a slow spell of the shared machine hits all alike):

- baseline: pdfplumber, on every page extract_text() and extract_tables() (default settings);
- plumber:  parsers.pdf.read_pdf with backend="pdfplumber" (the comparison path);
- reader:   parsers.pdf.read_pdf with the default backend, pdfium (tables with spans,
            stitching, paragraphs);
- pipeline: extract.parse_bytes (the pdfium reader plus sections, matching, checks, metadata).

Speeds are pages per CPU-second of the process (wall seconds are printed too: on a loaded
machine they measure the load). The ratio pipeline/baseline is the figure that matters.
Prints figures; asserts nothing.
"""
from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "corpus" / "docs"
FILES = ["real-hzq-2023.pdf", "pdf-lo-word-mso.pdf", "pdf-chrome-seed-trs.pdf", "pdf-cid-unmapped.pdf"]


def child(mode: str, rounds: int) -> None:
    datas = [(DOCS / f).read_bytes() for f in FILES if (DOCS / f).exists()]
    import pdfplumber

    pages = sum(len(pdfplumber.open(io.BytesIO(d)).pages) for d in datas)
    if mode in ("reader", "plumber"):
        from parsers.pdf import read_pdf

        backend = "pdfium" if mode == "reader" else "pdfplumber"

        def one(d):
            read_pdf(d, backend=backend)
    elif mode == "pipeline":
        import extract
        from extract.report import warm_up

        warm_up()  # jieba, cpca, OpenCC loaded (and frozen for the GC) once, as in batch workers

        def one(d):
            extract.parse_bytes(d, "x.pdf")
    else:
        def one(d):
            with pdfplumber.open(io.BytesIO(d)) as pdf:
                for page in pdf.pages:
                    page.extract_text()
                    page.extract_tables()
    one(datas[0])  # imports and first-use caches out of the timing
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for d in datas:
            one(d)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "documents": len(datas), "pages": pages * rounds, "seconds": took,
                      "cpu_seconds": cpu, "pages_per_s": pages * rounds / cpu, "wall_pages_per_s": pages * rounds / took,
                      "peak_mib": rss}))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    modes = ("baseline", "plumber", "reader", "pipeline")
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    for _ in range(2):  # each way twice, in turn; the faster run counts
        for mode in modes:
            proc = subprocess.run([sys.executable, __file__, "--child", mode, str(rounds)], capture_output=True,
                                  text=True, cwd=ROOT)
            if proc.returncode != 0:
                sys.exit(proc.stderr)
            runs[mode].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    results = {m: max(rs, key=lambda r: r["pages_per_s"]) for m, rs in runs.items()}
    base = results["baseline"]
    print(f"files                {', '.join(FILES)}")
    print(f"pages                {base['pages'] // rounds} per round, {rounds} rounds, one process per way, "
          f"best of 2; load {os.getloadavg()[0]:.1f}")
    for mode, label in (("baseline", "pdfplumber text+tables"), ("plumber", "read_pdf, pdfplumber"),
                        ("reader", "read_pdf, pdfium"), ("pipeline", "extract.parse_bytes")):
        r = results[mode]
        print(f"{label:22s} {r['pages_per_s']:6.1f} pages/CPU-s ({1000 / r['pages_per_s']:5.1f} ms/page; "
              f"wall {r['wall_pages_per_s']:6.1f} pages/s)  peak {r['peak_mib']:5.0f} MiB")
    for mode in ("plumber", "reader", "pipeline"):
        print(f"ratio {mode}/baseline {results[mode]['pages_per_s'] / base['pages_per_s']:5.2f} x speed, "
              f"{results[mode]['peak_mib'] / base['peak_mib']:.2f} x peak memory")


if __name__ == "__main__":
    main()
