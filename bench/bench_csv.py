"""The CSV phase at archive scale: time and the parent's peak memory when a run ends.

    .venv/bin/python bench/bench_csv.py [--sizes 10000,100000] [--add 100] [--dir /tmp/bench-csv]

For each size, a dataset of that many documents is made by writing Parquet parts directly, the
way a run's workers do (chunks of 200 reports, two writer prefixes, cells/sections/checks by
year): every document is one of the bundled corpus's parsed reports under a report_id of its
own. Then, each in a fresh process (its peak RSS is the figure: the process that ends a run):

1. the end of a run that wrote all of them: `DatasetWriter(out).close()` on the parts, which
   writes every CSV file (and datapackage.json);
2. a run that adds `--add` new documents to that dataset (`add()` then `close()`).

Prints the close() time, the CSV phase's own time where the writer reports it, the process's
peak RSS, and its RSS before close(). Asserts nothing. Run from a checkout of any commit (the
script puts its own checkout first on sys.path), so the same command measures before and after.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "corpus" / "docs"
sys.path.insert(0, str(ROOT))
CHUNK = 200


def corpus_outcomes() -> list:
    import extract
    from extract.dataset.writer import outcome_of

    paths = sorted(p for p in DOCS.iterdir() if p.is_file() and not p.name.startswith("."))
    return [outcome_of(extract.parse_file(p)) for p in paths]


def renamed(outcome, i: int, tag: str):
    """A copy of a parsed outcome under another report_id (and source)."""
    from dataclasses import replace

    from extract.dataset.writer import Outcome

    rid = hashlib.sha256(f"{tag}-{i}".encode()).hexdigest()
    records = {name: [dict(row, report_id=rid) for row in rows] for name, rows in outcome.records.items()}
    for row in records["reports"]:
        row["source"] = f"bench/{tag}-{i:07d}{Path(row['source']).suffix}"
    report = replace(outcome.report, report_id=rid, source=records["reports"][0]["source"])
    return Outcome(report, outcome.n_cells, outcome.n_checks_failed, records)


def make_dataset(out: Path, n: int, outcomes: list) -> None:
    """n documents as Parquet parts, written the way two local workers write them."""
    import pyarrow as pa

    from extract.dataset.writer import WRITE_ORDER, PartWriter, chunk_tables

    # Each corpus document's tables once; a generated document is one of them with its own ids.
    templates = [chunk_tables([o]) for o in outcomes]
    writers = [PartWriter(out, f"bench{n}-w{k}") for k in range(2)]
    for start in range(0, n, CHUNK):
        merged: dict[tuple[str, str], list] = {}
        for i in range(start, min(n, start + CHUNK)):
            rid = hashlib.sha256(f"doc-{i}".encode()).hexdigest()
            for name, key, table in templates[i % len(templates)]:
                col = table.schema.get_field_index("report_id")
                table = table.set_column(col, "report_id", pa.array([rid] * table.num_rows, pa.string()))
                if name == "reports":
                    table = table.set_column(table.schema.get_field_index("source"), "source",
                                             pa.array([f"bench/doc-{i:07d}"] * table.num_rows, pa.string()))
                merged.setdefault((name, key), []).append(table)
        tables = [(name, key, pa.concat_tables(ts)) for (name, key), ts in
                  sorted(merged.items(), key=lambda kv: (WRITE_ORDER.index(kv[0][0]), kv[0][1]))]
        writers[(start // CHUNK) % 2].write_tables(tables)


CLOSE = r"""
import pickle, resource, sys, time
from pathlib import Path
from extract.dataset import DatasetWriter
out, adds = Path(sys.argv[1]), sys.argv[2]
outcomes = pickle.loads(Path(adds).read_bytes()) if adds else []
w = DatasetWriter(out, "both")
for o in outcomes:
    w.add(o)
rss_before = int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
t = time.perf_counter()
w.close()
seconds = time.perf_counter() - t
peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024  # this process's own peak
csv = getattr(w, "csv_seconds", None)
print(f"close {seconds:.2f} s" + (f" (CSV phase {csv:.2f} s)" if csv is not None else "")
      + f"; peak RSS {peak:.0f} MiB (RSS before close {rss_before:.0f} MiB)")
"""


def close_in_child(out: Path, adds: Path | None) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", CLOSE, str(out), str(adds or "")], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode:
        return f"FAILED: {proc.stderr.strip().splitlines()[-1]}"
    return proc.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--add", type=int, default=100)
    ap.add_argument("--dir", default="/tmp/bench-csv")
    args = ap.parse_args()
    base = Path(args.dir)
    outcomes = corpus_outcomes()
    adds = base / "adds.pickle"
    base.mkdir(parents=True, exist_ok=True)
    adds.write_bytes(pickle.dumps([renamed(outcomes[i % len(outcomes)], i, "added") for i in range(args.add)]))
    print(f"code: {ROOT}; corpus: {len(outcomes)} documents; load: {os.getloadavg()[0]:.2f}")
    for n in (int(s) for s in args.sizes.split(",")):
        out = base / f"ds-{n}"
        shutil.rmtree(out, ignore_errors=True)
        t = time.perf_counter()
        make_dataset(out, n, outcomes)
        print(f"{n} documents: parts made in {time.perf_counter() - t:.1f} s", flush=True)
        print(f"  end of the run that wrote them: {close_in_child(out, None)}", flush=True)
        sizes = sum(f.stat().st_size for f in out.rglob("*.csv") if f.is_file()) / 2**20
        print(f"  CSV files: {sizes:.0f} MiB", flush=True)
        print(f"  a run adding {args.add} documents: {close_in_child(out, adds)}", flush=True)
        print(f"  load after: {os.getloadavg()[0]:.2f}", flush=True)
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
