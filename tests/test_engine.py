"""The batch engines: identical datasets from 1 and 2 workers and from Dask, a hanging
document killed by the time limit, a resumed batch that writes nothing twice, and the ways a
batch can go wrong (workers that cannot start, a dataset that cannot be written, file names
that are not UTF-8) ending in a clear error or a complete dataset."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import DOCS
from extract.dataset import existing_ids
from extract.batch.local import GROW_MARKER, HANG_MARKER
from extract.batch.runner import RunSettings, run
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
    (src / "hangs.txt").write_bytes(b"GIOAR " + HANG_MARKER + GROW_MARKER)
    monkeypatch.setenv("GIOAR_TEST_HANG", "1")
    summary = parse(src, tmp_path / "out", workers=1, doc_memory_mb=450, doc_timeout=60)
    assert summary.failures == [(str(src / "hangs.txt"), "memory limit of 450 MiB exceeded; document skipped")]
    assert summary.seconds < 30
    assert pd.read_parquet(tmp_path / "out" / "reports.parquet")["failure"].tolist() == ["limit"]


def test_a_memory_limit_below_a_resting_worker_is_refused(docs, tmp_path):
    """--doc-memory counts the worker's whole RSS: 1 MiB would kill every worker before its
    first document, so the run stops at once and says why."""
    from extract.batch.local import EngineError

    with pytest.raises(EngineError, match=r"--doc-memory 1 MiB is below what a worker holds at rest \(\d+ MiB"):
        parse(docs, tmp_path / "out", workers=1, doc_memory_mb=1)


def test_workers_that_cannot_start_stop_the_run_with_advice(docs, tmp_path):
    """A script that starts a batch without the __main__ guard: every worker re-imports it and
    dies on start. The run stops with EngineError and says what to do, instead of looping."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text("from pathlib import Path\n"
                      "from extract.batch.runner import RunSettings, run\n"
                      f"run([{str(docs)!r}], RunSettings(out=Path({str(tmp_path / 'out')!r}), progress=False, workers=2))\n")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "EngineError: worker processes die before their first document" in proc.stderr
    assert 'if __name__ == "__main__":' in proc.stderr


def test_parsed_documents_are_not_failed_because_later_documents_hang(tmp_path, monkeypatch):
    """One worker, chunks of 10, every fourth document hangs. Each kill re-queues the documents
    parsed but not written yet and counts it as an attempt for them, so the first three documents
    (parsed fine three times) end up failed with "its worker process was lost 3 times". With
    the default chunk_size=200, a time-out rate of 0.5% already kills most chunks before they
    are written."""
    src = tmp_path / "src"
    made = sorted(make(tmp_path / "variants", 9))
    good = iter(made)
    names = []
    for i in range(12):
        if i % 4 == 3:  # d03, d07, d11 hang
            data = (tmp_path / "variants" / made[i // 4]).read_bytes() + b"\n" + HANG_MARKER + b"\n"
            name = f"d{i:02d}-hangs.txt"
        else:
            data = (tmp_path / "variants" / next(good)).read_bytes()
            name = f"d{i:02d}.txt"
        src.mkdir(exist_ok=True)
        (src / name).write_bytes(data)
        names.append(name)
    monkeypatch.setenv("GIOAR_TEST_HANG", "1")
    summary = parse(src, tmp_path / "out", workers=1, doc_timeout=1, chunk_size=10)
    failed = sorted(Path(source).name for source, _ in summary.failures)
    assert summary.documents == 12
    assert failed == ["d03-hangs.txt", "d07-hangs.txt", "d11-hangs.txt"], summary.failures


def test_a_file_name_that_is_not_utf8_does_not_crash_the_run(tmp_path):
    """A file named in GBK (Windows zips of Chinese reports) has surrogates in its str path: it
    is opened as it is, parsed like the others, and its source recorded with \\x escapes (it once
    made the worker, then the whole run, die in the Arrow conversion)."""
    src = tmp_path / "src"
    make(src, 6)
    victim = sorted(src.iterdir())[1]
    os.rename(victim, os.fsencode(victim)[:-4] + b"-\xb9\xfa.txt")
    summary = parse(src, tmp_path / "out", workers=1, chunk_size=3)
    assert (summary.documents, summary.failed) == (6, 0)
    reports = pd.read_parquet(tmp_path / "out" / "reports.parquet")
    assert len(reports) == 6 and set(reports["status"]) <= {"ok", "partial"}
    assert reports["source"].str.endswith("-\\xb9\\xfa.txt").sum() == 1  # recorded readably


def test_a_dataset_that_cannot_be_written_stops_the_run_with_the_reason(tmp_path):
    """A file stands where cells.parquet/year=2024 should be: the worker that meets it says so
    and the run stops with DatasetError naming the path, instead of failing documents (or
    blaming one that never ran) until every one has been tried three times."""
    from extract.dataset import DatasetError

    src = tmp_path / "src"
    src.mkdir()
    for i in range(80):
        (src / f"a{i:03d}.txt").write_text(f"通知 {i}\n本市地铁运营时间延长至23点。\n", encoding="utf-8")
    made = make(tmp_path / "variants", 2)
    bad = next(n for n in made if "real-001" in n)  # a report of 2024
    (src / "a040-2024.txt").write_bytes((tmp_path / "variants" / bad).read_bytes())
    out = tmp_path / "out"
    (out / "cells.parquet").mkdir(parents=True)
    (out / "cells.parquet" / "year=2024").write_text("in the way")
    with pytest.raises(DatasetError, match=r"cannot write the dataset in .*year=2024"):
        parse(src, out, workers=1, chunk_size=1)
    assert not list(out.rglob(".part-*")), "temporary files left behind"


def test_an_unwritable_output_folder_is_refused_before_any_document(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    proc = subprocess.run([sys.executable, "-m", "extract", "parse", str(DOCS), "--out", str(blocker / "out"),
                           "--quiet"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"extract: cannot write the dataset in {blocker / 'out'}")
    assert "Traceback" not in proc.stderr


def test_a_dask_task_with_rows_arrow_cannot_take_fails_only_that_document(docs):
    """The task converts its rows with the same per-document fallback the local workers use."""
    from extract.batch.dask import _parse
    from extract.batch.jobs import Job

    good = sorted(docs.glob("variant-000*.txt"))[:2]
    jobs = [Job(str(good[0]), str(good[0]) + "-\udcb9", "a" * 64),  # a source that is not valid Unicode
            Job(str(good[1]), str(good[1]), "b" * 64)]
    outcomes, tables, _ = _parse(jobs)
    assert outcomes[0].report.status == "failed" and outcomes[1].report.status in ("ok", "partial")
    assert outcomes[0].report.error.startswith("internal error: its rows cannot be written: UnicodeEncodeError")
    reports = [t for name, _, t in tables if name == "reports"]
    assert sum(t.num_rows for t in reports) == 2
