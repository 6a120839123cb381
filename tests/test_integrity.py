"""A run is a transaction (issue 11): whatever interrupts a run (kill -9, Ctrl-C, SIGTERM), the
run that follows the advice printed leaves one copy of every report; two runs into one dataset
cannot both write; what was parsed before Ctrl-C or SIGTERM is kept. Real subprocesses, real
signals."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT
from extract.batch.local import HANG_MARKER
from make_variants import make
from test_engine import dataset, same

N_DOCS = 24


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("docs")
    make(src, N_DOCS)
    return src


@pytest.fixture(scope="module")
def reference(docs, tmp_path_factory) -> Path:
    """The dataset of one uninterrupted run (the hanging document included, parsed normally)."""
    src = tmp_path_factory.mktemp("ref-docs")
    for f in docs.iterdir():
        (src / f.name).write_bytes(f.read_bytes())
    (src / "zz-hangs.txt").write_bytes(HANG_BYTES)
    out = tmp_path_factory.mktemp("ref")
    proc = cli("parse", str(src), "--out", str(out), "--format", "parquet", "--quiet", "--workers", "1")
    assert proc.returncode == 1, proc.stderr  # the hanging document is not a report: it fails
    return out


HANG_BYTES = b"GIOAR " + HANG_MARKER  # with GIOAR_TEST_HANG=1 its worker sleeps on it


def cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extract", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


class Running:
    """A command running in its own session (as a terminal's foreground job is), its stderr read
    as it comes."""

    def __init__(self, *args: str, env: dict | None = None) -> None:
        self.proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **(env or {})}, start_new_session=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True)
        self._reader.start()

    def wait_for(self, test, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not test():
            assert self.proc.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.1)

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code, "".join(self.lines)


def parsed_lines(run: Running) -> int:
    return sum(": failed" not in l and l.startswith("INFO extract.batch.jobs:") for l in list(run.lines))


def hanging_copy(docs: Path, tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for f in docs.iterdir():
        (src / f.name).write_bytes(f.read_bytes())
    (src / "zz-hangs.txt").write_bytes(HANG_BYTES)  # last in name order: the run stops there
    return src


def without_source(out: Path) -> dict:
    """The dataset, but where each document was read from (the runs read copies in other folders)."""
    frames = dataset(out)
    frames["reports"] = frames["reports"].drop(columns="source")
    return frames


def assert_one_copy(out: Path) -> None:
    for name, keys in {"reports": ["report_id"], "cells": ["report_id", "table", "row", "col"],
                       "sections": ["report_id", "ordinal"], "checks": ["report_id", "check"],
                       "metrics": ["report_id"]}.items():
        df = pd.read_parquet(out / f"{name}.parquet")
        assert not df.duplicated(keys).any(), f"{name}: {df[df.duplicated(keys)][keys].head()}"


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT", "SIGTERM"])
def test_an_interrupted_reparse_then_resume_gives_one_copy_of_each_report(docs, reference, tmp_path, how):
    """The dataset holds the batch; a re-parse of it (after an upgrade) is interrupted half-way,
    then the advice is followed (--resume): the dataset is the uninterrupted run's, no report
    twice. kill -9 is of the whole process group (workers too), after the re-parse has written
    chunks of its own: the half-done state the next run must put right."""
    src = hanging_copy(docs, tmp_path)
    out = tmp_path / "out"
    first = cli("parse", str(docs), "--out", str(out), "--format", "parquet", "--quiet", "--workers", "1")
    assert first.returncode == 0, first.stderr
    script = ("import sys\nfrom pathlib import Path\nfrom extract.batch.runner import RunSettings, run\n"
              "if __name__ == '__main__':\n"
              f"    run([{str(src)!r}], RunSettings(out=Path({str(out)!r}), format='parquet', progress=False,"
              " workers=1, chunk_size=4))\n")
    (tmp_path / "reparse.py").write_text(script)
    if how == "SIGKILL":
        reparse = Running(str(tmp_path / "reparse.py"), env={"GIOAR_TEST_HANG": "1"})
        new_parts = lambda: len([p for p in (out / "reports.parquet").glob("part-*-w0-*.parquet")])  # noqa: E731
        reparse.wait_for(lambda: new_parts() >= N_DOCS // 4)  # every document before the hanging one
        os.killpg(reparse.proc.pid, signal.SIGKILL)
        reparse.finish()
    else:
        reparse = Running("-m", "extract", "-v", "parse", str(src), "--out", str(out), "--format", "parquet",
                          "--workers", "1", env={"GIOAR_TEST_HANG": "1"})
        reparse.wait_for(lambda: parsed_lines(reparse) >= N_DOCS)
        if how == "SIGINT":
            os.killpg(reparse.proc.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group
        else:
            reparse.proc.send_signal(signal.SIGTERM)  # kill PID: the parent only
        code, err = reparse.finish()
        assert code == 130, err
        assert "Traceback" not in err
        assert f"interrupted after {N_DOCS} documents were written" in err  # the worker wrote what it held
        assert "run the same command with --resume" in err
        assert_one_copy(out)  # already after the interrupted run
    resumed = cli("parse", str(src), "--out", str(out), "--format", "parquet", "--quiet", "--workers", "1", "--resume")
    assert resumed.returncode == 1, resumed.stderr  # the hanging document, not a report, fails
    assert f"1 documents: 0 ok, 0 partial, 1 failed, 0 duplicates, {N_DOCS} already in the dataset" in resumed.stderr
    assert_one_copy(out)
    same(without_source(out), without_source(reference))


def test_a_second_writer_is_refused_and_a_dead_runs_lock_is_taken_over(docs, tmp_path):
    src = hanging_copy(docs, tmp_path)
    out = tmp_path / "out"
    first = Running("-m", "extract", "-v", "parse", str(src), "--out", str(out), "--format", "parquet",
                    "--workers", "1", env={"GIOAR_TEST_HANG": "1"})
    first.wait_for(lambda: parsed_lines(first) >= 1)
    assert (out / ".lock").read_text().strip() == str(first.proc.pid)
    second = cli("parse", str(docs), "--out", str(out), "--quiet", "--workers", "1")
    assert second.returncode == 2
    assert second.stderr.strip() == (f"extract: another run (pid {first.proc.pid}) is writing this dataset ({out}); "
                                     "wait for it to finish, or give another --out")
    os.killpg(first.proc.pid, signal.SIGKILL)  # the lock file stays, with a dead pid in it
    first.finish()
    assert (out / ".lock").read_text().strip() == str(first.proc.pid)
    third = cli("parse", str(docs), "--out", str(out), "--format", "parquet", "--quiet", "--workers", "1")
    assert third.returncode == 0, third.stderr
    assert f"took over the lock of an earlier run (pid {first.proc.pid})" in third.stderr
    assert not (out / ".lock").exists()  # released on exit
    assert_one_copy(out)
    assert len(pd.read_parquet(out / "reports.parquet")) == N_DOCS


def test_ctrl_c_keeps_what_the_workers_parsed(docs, tmp_path):
    """Workers hold up to chunk_size documents (or 30 s of work) before writing: Ctrl-C used to
    throw all of it away. Now each worker writes what it holds before it stops."""
    src = hanging_copy(docs, tmp_path)
    out = tmp_path / "out"
    run = Running("-m", "extract", "parse", "-v", str(src), "--out", str(out), "--workers", "2",
                  env={"GIOAR_TEST_HANG": "1"})
    run.wait_for(lambda: parsed_lines(run) >= N_DOCS)
    os.killpg(run.proc.pid, signal.SIGINT)
    code, err = run.finish()
    assert code == 130 and "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert len(pd.read_parquet(out / "reports.parquet")) == N_DOCS
    assert not (out / ".lock").exists()


def test_extract_run_is_refused_while_a_parse_writes_its_dataset(tmp_path, capsys):
    """The real case: cron's `extract run` while someone's `extract parse` writes the same dataset."""
    from extract.cli import main
    from govsite import Site, SiteServer, config_text

    out = tmp_path / "output"
    out.mkdir()
    holder = Running("-c", "import sys, time\nfrom extract.dataset.lock import DatasetLock\n"
                     f"DatasetLock({str(out)!r}).acquire()\nprint('locked', file=sys.stderr, flush=True)\n"
                     "time.sleep(120)\n")
    try:
        holder.wait_for(lambda: holder.lines)
        with SiteServer(Site()) as server:
            cfg = tmp_path / "nightly.toml"
            cfg.write_text(config_text(server, tmp_path), encoding="utf-8")
            assert main(["run", "--config", str(cfg), "--quiet", "--workers", "1"]) == 2
    finally:
        holder.proc.kill()
        holder.finish()
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (f"extract: another run (pid {holder.proc.pid}) is writing this dataset "
                                            f"({out}); wait for it to finish, or give another --out")
    assert not (out / "reports.parquet").exists()
