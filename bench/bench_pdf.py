"""PDF reports: pages per second and peak memory, side by side with plain pdfplumber.

    .venv/bin/python bench/bench_pdf.py [ROUNDS]

Reads the text-based PDF reports of corpus/docs (real-hzq-2023.pdf and the printed pdf-*.pdf
that open) ROUNDS times (default 5), each way in its own fresh process so that peak memory is
that way's own:

- reader:   parsers.pdf.read_pdf (tables with spans, stitching, paragraphs);
- pipeline: extract.parse_bytes (the reader plus sections, matching, checks, metadata);
- baseline: pdfplumber, on every page extract_text() and extract_tables() (default settings).

The ratio reader/baseline is the figure that matters. Prints figures; asserts nothing.
"""
from __future__ import annotations

import io
import json
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
    if mode == "reader":
        from parsers.pdf import read_pdf

        def one(d):
            read_pdf(d)
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
    start = time.perf_counter()
    for _ in range(rounds):
        for d in datas:
            one(d)
    took = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "documents": len(datas), "pages": pages * rounds, "seconds": took,
                      "pages_per_s": pages * rounds / took, "peak_mib": rss}))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    results = {}
    for mode in ("baseline", "reader", "pipeline"):
        proc = subprocess.run([sys.executable, __file__, "--child", mode, str(rounds)], capture_output=True,
                              text=True, cwd=ROOT)
        if proc.returncode != 0:
            sys.exit(proc.stderr)
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    base = results["baseline"]
    print(f"files                {', '.join(FILES)}")
    print(f"pages                {base['pages'] // rounds} per round, {rounds} rounds, one core, one process per way")
    for mode, label in (("baseline", "pdfplumber text+tables"), ("reader", "parsers.pdf.read_pdf"),
                        ("pipeline", "extract.parse_bytes")):
        r = results[mode]
        print(f"{label:22s} {r['pages_per_s']:6.1f} pages/s  ({1000 / r['pages_per_s']:5.0f} ms/page)  "
              f"peak {r['peak_mib']:5.0f} MiB")
    print(f"ratio reader/baseline   {results['reader']['pages_per_s'] / base['pages_per_s']:.2f} x speed, "
          f"{results['reader']['peak_mib'] / base['peak_mib']:.2f} x peak memory")
    print(f"ratio pipeline/baseline {results['pipeline']['pages_per_s'] / base['pages_per_s']:.2f} x speed")


if __name__ == "__main__":
    main()
