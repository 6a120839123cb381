"""The batch engines: identical datasets from 1 and 2 workers and from Dask, a hanging
document killed by the time limit, and a resumed batch that writes nothing twice."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from extract.dataset import existing_ids
from extract.engine import HANG_MARKER
from extract.runner import RunSettings, run
from make_variants import make, make_bad

KEYS = {"reports": ["report_id"], "cells": ["report_id", "table", "row", "col"],
        "sections": ["report_id", "ordinal"], "checks": ["report_id", "check"]}


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("docs")
    make(src, 40)
    make_bad(src)
    return src


def dataset(out: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    for name, keys in KEYS.items():
        df = pd.read_parquet(out / f"{name}.parquet")
        df = df[[c for c in df.columns if c != "year" or name == "reports"]]
        frames[name] = df.sort_values(keys).reset_index(drop=True)
    return frames


def parse(docs: Path, out: Path, **kw) -> object:
    return run([docs], RunSettings(out=out, progress=False, format="parquet", **kw))


def same(a: dict, b: dict) -> None:
    for name in KEYS:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False, check_categorical=False)


def test_one_and_two_workers_and_dask_give_the_same_dataset(docs, tmp_path):
    one = parse(docs, tmp_path / "one", workers=1)
    # short-lived workers writing small chunks: retiring and chunking change nothing
    two = parse(docs, tmp_path / "two", workers=2, max_tasks=7, chunk_size=3)
    assert (one.documents, one.ok + one.partial, one.failed) == (44, 41, 3)
    assert (two.documents, two.failed, two.cells) == (44, 3, one.cells)
    d1, d2 = dataset(tmp_path / "one"), dataset(tmp_path / "two")
    same(d1, d2)
    dk = parse(docs, tmp_path / "dask", workers=2, engine="dask")
    assert (dk.documents, dk.failed, dk.cells) == (44, 3, one.cells)
    same(d1, dataset(tmp_path / "dask"))
    # hive-partitioned by year; readable by DuckDB too
    assert (tmp_path / "one" / "cells.parquet" / "year=2020").is_dir()
    import duckdb

    n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{tmp_path / 'one'}/cells.parquet/**/*.parquet', "
                   "hive_partitioning = true)").fetchall()[0][0]
    assert n == len(d1["cells"])


def test_a_hanging_document_is_killed_and_the_batch_completes(docs, tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    for p in sorted(docs.glob("variant-000*.txt")):
        (src / p.name).write_bytes(p.read_bytes())
    (src / "zz-hangs.txt").write_bytes((docs / "variant-0000-000_3c2b94a00d1a4e64.txt").read_bytes()
                                     + b"\n" + HANG_MARKER + b"\n")
    expected = dataset_of(parse(src, tmp_path / "plain", workers=1), tmp_path / "plain")
    monkeypatch.setenv("GIOAR_TEST_HANG", "1")
    # One worker writing chunks of 3: it has written 9 documents and holds the 10th, parsed but
    # not written, when it is killed on the 11th (sorted last). The 10th is parsed again by the
    # fresh worker; the 9 are not.
    summary = parse(src, tmp_path / "out", workers=1, doc_timeout=3, chunk_size=3)
    assert summary.documents == 11 and summary.failed == 1
    source, error = summary.failures[0]
    assert source.endswith("hangs.txt") and error == "time limit of 3s exceeded; document skipped"
    got = dataset(tmp_path / "out")
    hung = got["reports"].loc[got["reports"]["source"].str.endswith("hangs.txt")]
    assert len(got["reports"]) == 11 and list(hung["status"]) == ["failed"]
    # every other document is in the dataset once, with exactly the rows a plain run gives it
    for name in KEYS:
        rows = got[name][got[name]["report_id"] != hung["report_id"].iloc[0]].reset_index(drop=True)
        want = expected[name][expected[name]["report_id"] != hung["report_id"].iloc[0]].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows.drop(columns=["parsed_at"], errors="ignore"),
                                      want.drop(columns=["parsed_at"], errors="ignore"), check_dtype=False)
    assert not list((tmp_path / "out").rglob(".part-*")), "temporary files left behind"


def dataset_of(summary, out: Path) -> dict[str, pd.DataFrame]:
    assert summary.failed == 0
    return dataset(out)


def test_remove_parts_takes_only_the_unconfirmed_chunks_of_one_writer(tmp_path):
    from extract.dataset import remove_parts

    folder = tmp_path / "cells.parquet" / "year=2020"
    folder.mkdir(parents=True)
    names = ["part-run-w1-00000.parquet", "part-run-w1-00001.parquet", ".part-run-w1-00002.parquet.tmp-9",
             "part-run-w10-00001.parquet", "part-run-w2-00001.parquet"]
    for n in names:
        (folder / n).write_bytes(b"x")
    remove_parts(tmp_path, "run-w1", 1)
    assert sorted(p.name for p in folder.iterdir()) == [
        "part-run-w1-00000.parquet", "part-run-w10-00001.parquet", "part-run-w2-00001.parquet"]


def test_resume_writes_nothing_twice(docs, tmp_path):
    out = tmp_path / "out"
    half = tmp_path / "half"
    half.mkdir()
    for p in sorted(docs.glob("variant-00[0-1]*.txt")):
        (half / p.name).write_bytes(p.read_bytes())
    first = parse(half, out, workers=2)  # the part of the batch done before it "died"
    assert first.documents == 20
    again = parse(docs, out, workers=2, resume=True)
    assert (again.documents, again.skipped) == (24, 20)
    reports = pd.read_parquet(out / "reports.parquet")
    assert len(reports) == 44 and reports["report_id"].is_unique
    cells = pd.read_parquet(out / "cells.parquet")
    assert not cells.duplicated(["report_id", "table", "row", "col"]).any()
    assert len(existing_ids(out)) == 44
    # without --resume, a second run replaces rows instead of adding them
    parse(docs, out, workers=2)
    assert len(pd.read_parquet(out / "reports.parquet")) == 44
    assert len(pd.read_parquet(out / "cells.parquet")) == len(cells)


def test_memory_limit_kills_the_worker(docs, tmp_path, monkeypatch):
    """The limit is checked while a document runs (every 0.2 s): a long one above it is killed."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "hangs.txt").write_bytes(b"GIOAR " + HANG_MARKER)
    monkeypatch.setenv("GIOAR_TEST_HANG", "1")
    summary = parse(src, tmp_path / "out", workers=1, doc_memory_mb=1, doc_timeout=60)
    assert summary.failures == [(str(src / "hangs.txt"), "memory limit of 1 MiB exceeded; document skipped")]
    assert summary.seconds < 30


def test_workers_that_cannot_start_stop_the_run_with_advice(docs, tmp_path):
    """A script that starts a batch without the __main__ guard: every worker re-imports it and
    dies on start. The run stops with EngineError and says what to do, instead of looping."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text("from pathlib import Path\n"
                      "from extract.runner import RunSettings, run\n"
                      f"run([{str(docs)!r}], RunSettings(out=Path({str(tmp_path / 'out')!r}), progress=False, workers=2))\n")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "EngineError: worker processes die before their first document" in proc.stderr
    assert 'if __name__ == "__main__":' in proc.stderr
