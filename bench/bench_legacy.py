"""Legacy text reports: documents per second on one core, with and without statements.

    .venv/bin/python bench/bench_legacy.py [N]

Parses N legacy text reports in this process (parse_bytes per document): the corpus's two real
crawler texts (莆田 2011, 三明 2015: long narratives and a variant-A 附表) and variant B / C
tables as a crawler prints them (tests/legacy_tables.py), round robin. Each document is made
distinct (a number in its title changes) so no cache sees the same bytes twice. The run is
done twice: the whole pipeline, and the pipeline with statement extraction switched off, so the
cost of statements is known. Prints figures; asserts nothing.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from legacy_tables import HEADER_B, HEADER_C, VARIANT_B, VARIANT_C, crawler_text  # noqa: E402

SOURCES = [ROOT / "corpus" / "docs" / "legacy-putian-city-2011.txt", ROOT / "corpus" / "docs" / "legacy-sanming-city-2015.txt"]


def documents(n: int) -> list[bytes]:
    texts = [p.read_text("utf-8") for p in SOURCES]
    texts += [crawler_text(HEADER_B, VARIANT_B), crawler_text(HEADER_C, VARIANT_C)]
    return [f"文档 {i}\n{texts[i % len(texts)]}".encode("utf-8") for i in range(n)]


def run(docs: list[bytes]) -> tuple[float, int, int]:
    import extract

    start = time.perf_counter()
    cells = statements = 0
    for i, data in enumerate(docs):
        r = extract.parse_bytes(data, f"legacy-{i}.txt")
        cells += r.n_cells
        statements += len(r.statements)
    return time.perf_counter() - start, cells, statements


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    docs = documents(n)
    import extract
    from extract.report import pipeline

    extract.parse_bytes(docs[0], "warm-up.txt")  # jieba, cpca, OpenCC, the schema
    took, cells, stated = run(docs)
    real = pipeline.find_statements
    pipeline.find_statements = lambda sections: []
    try:
        took_off, _, _ = run(docs)
    finally:
        pipeline.find_statements = real
    mb = sum(map(len, docs)) / 1e6
    print(f"documents              {n} legacy text reports, {mb:.1f} MB, {cells} cells, {stated} statements")
    print(f"with statements        {n / took:.1f} documents/s  ({took / n * 1000:.2f} ms/doc)")
    print(f"without statements     {n / took_off:.1f} documents/s  ({took_off / n * 1000:.2f} ms/doc)")
    print(f"cost of statements     {(took - took_off) / n * 1000:.2f} ms/doc")


if __name__ == "__main__":
    main()
