"""The command line and the batch: 200 documents plus bad ones, the dataset they make."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from conftest import DOCS, ROOT
from make_variants import make, make_bad


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extract", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    src = tmp_path_factory.mktemp("batch")
    made = make(src, 200)
    bad = make_bad(src)
    first = sorted(made)[0]
    shutil.copy(src / first, src / "zz-copy-of-a-variant.txt")  # identical bytes, another name
    out = tmp_path_factory.mktemp("out")
    proc = run_cli("parse", str(src), "--out", str(out), "--workers", "2", "--quiet")
    return src, out, made, bad, proc


def test_batch_exit_status_and_summary(batch):
    _, _, _, _, proc = batch
    assert proc.returncode == 1, proc.stderr
    summary = proc.stderr.strip().splitlines()[-1]
    assert summary.startswith("204 documents: ")
    assert "3 failed, 1 duplicates" in summary
    assert "failed: " in proc.stderr and "empty.txt" in proc.stderr


def test_batch_one_row_per_distinct_document(batch):
    src, out, made, bad, _ = batch
    reports = pd.read_parquet(out / "reports.parquet")
    assert len(reports) == 204 and reports["report_id"].is_unique
    names = set(reports["source"].map(lambda s: s.rsplit("/", 1)[-1]))
    assert names == set(made) | set(bad)  # the copy is the duplicate, nothing else lost
    by_name = reports.assign(name=reports["source"].map(lambda s: s.rsplit("/", 1)[-1])).set_index("name")
    assert by_name.loc["empty.txt", "status"] == "failed"
    assert "empty" in by_name.loc["empty.txt", "error"]
    assert by_name.loc["random.bin.txt", "status"] == "failed"
    assert "binary" in by_name.loc["random.bin.txt", "error"]
    assert by_name.loc["not-a-report.txt", "status"] == "failed"
    assert "not a government information-disclosure annual report" in by_name.loc["not-a-report.txt", "error"]
    assert by_name.loc["truncated.txt", "status"] == "partial"
    assert "tables not found: review_litigation" in by_name.loc["truncated.txt", "error"]


def test_batch_values_are_the_numbers_written(batch):
    _, out, made, _, _ = batch
    reports = pd.read_parquet(out / "reports.parquet")
    cells = pd.read_parquet(out / "cells.parquet")
    ids = dict(zip(reports["source"].map(lambda s: s.rsplit("/", 1)[-1]), reports["report_id"]))
    for name, numbers in made.items():
        mine = cells[(cells["report_id"] == ids[name]) & (cells["raw"] != "")]
        assert mine["value"].tolist() == [float(n) for n in numbers], name


def test_dataset_files(batch):
    _, out, _, _, _ = batch
    for name in ("reports", "cells", "sections", "checks", "metrics", "agencies", "panel", "coverage", "panel_checks"):
        pq = pd.read_parquet(out / f"{name}.parquet")
        with open(out / f"{name}.csv", "rb") as fh:
            assert fh.read(3) == b"\xef\xbb\xbf"  # BOM, so Excel reads the Chinese text
        csv = pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig")
        assert len(pq) == len(csv)
    package = json.loads((out / "datapackage.json").read_text("utf-8"))
    assert [r["name"] for r in package["resources"]] == ["reports", "cells", "sections", "checks", "statements",
                                                          "indicators", "metrics", "agencies", "panel", "coverage",
                                                          "panel_checks"]
    cells_fields = [f["name"] for f in package["resources"][1]["schema"]["fields"]]
    assert cells_fields == ["report_id", "table", "row", "col", "value", "raw", "row_label", "col_label",
                            "unit", "flags", "page", "ocr_confidence"]
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert len(metrics) == 204
    assert "applications.new_requests.total" in metrics.columns
    assert not list(out.glob(".*tmp*"))


def test_rerun_replaces_rows_instead_of_duplicating(batch, tmp_path):
    src, out, _, _, _ = batch
    again = tmp_path / "again"
    shutil.copytree(out, again)
    proc = run_cli("parse", str(src / "variant-0000-000_3c2b94a00d1a4e64.txt"), "--out", str(again), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert len(pd.read_parquet(again / "reports.parquet")) == 204
    assert len(pd.read_parquet(again / "cells.parquet")) == len(pd.read_parquet(out / "cells.parquet"))


def test_seed_parses_ok_with_exit_zero(tmp_path):
    proc = run_cli("parse", str(DOCS / "000_3c2b94a00d1a4e64.txt"), "--out", str(tmp_path), "--format", "csv")
    assert proc.returncode == 0
    assert proc.stderr.strip().splitlines()[-1].startswith("1 documents: 1 ok, 0 partial, 0 failed")
    assert not (tmp_path / "reports.parquet").exists()
    cells = pd.read_csv(tmp_path / "cells.csv", encoding="utf-8-sig", keep_default_na=False)
    assert len(cells) == 198


def test_usage_errors_exit_2(tmp_path):
    assert run_cli("parse", str(tmp_path / "missing"), "--out", str(tmp_path)).returncode == 2
    assert run_cli("parse").returncode == 2
    assert run_cli("parse", str(DOCS), "--workers", "0").returncode == 2


def test_show_prints_what_the_parser_saw():
    proc = run_cli("show", str(DOCS / "000_3c2b94a00d1a4e64.txt"))
    assert proc.returncode == 0
    out = proc.stdout
    assert "§ applications: 三、收到和处理政府信息公开申请情况" in out
    assert "applications.new_requests.total = 0  '0' | 一、本年新收政府信息公开申请数量 | 总计" in out
    assert "## Checks: 40 pass, 0 fail, 0 not assessable" in out
    assert "] table 9×20" in out  # table 二 of the seed, as the text reader gridded it


def test_interrupted_write_keeps_the_previous_dataset(tmp_path, monkeypatch):
    import errno

    import extract
    from extract.dataset import DatasetError, csv_export, write_dataset

    report = extract.parse_file(DOCS / "000_3c2b94a00d1a4e64.txt")
    write_dataset(tmp_path, [report], "both")
    before = (tmp_path / "cells.csv").read_bytes()
    other = extract.parse_file(DOCS / "real-001.txt")
    calls = {"n": 0}
    real = csv_export._copy_range

    def failing(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*a, **k)

    monkeypatch.setattr(csv_export, "_copy_range", failing)
    with pytest.raises(DatasetError, match="No space left on device"):
        write_dataset(tmp_path, [other], "both")
    assert (tmp_path / "cells.csv").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_ctrl_c_stops_cleanly_and_resume_finishes_the_batch(tmp_path):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) while one document
    hangs: exit 130, one line saying how to go on and no traceback; --resume then finishes."""
    import os
    import signal
    import time

    from extract.batch.local import HANG_MARKER

    src, out = tmp_path / "src", tmp_path / "out"
    made = make(src, 10)
    (src / "zz-hangs.txt").write_bytes((src / sorted(made)[0]).read_bytes() + b"\n" + HANG_MARKER + b"\n")
    env = dict(os.environ, GIOAR_TEST_HANG="1")
    proc = subprocess.Popen([sys.executable, "-m", "extract", "parse", str(src), "--out", str(out), "--workers", "2",
                             "--quiet"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(6)  # start-up, the ten documents, and a worker stuck on the eleventh
    assert proc.poll() is None, proc.stderr.read()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted after" in err and "--resume" in err and "Traceback" not in err
    assert not list(out.rglob(".part-*")), "temporary files left behind"
    again = run_cli("parse", str(src), "--out", str(out), "--workers", "2", "--quiet", "--resume")
    assert again.returncode == 0, again.stderr
    reports = pd.read_parquet(out / "reports.parquet")
    assert len(reports) == 11 and reports["report_id"].is_unique and set(reports["status"]) <= {"ok", "partial"}
    cells = pd.read_parquet(out / "cells.parquet")
    assert not cells.duplicated(["report_id", "table", "row", "col"]).any()


def test_a_csv_only_dataset_keeps_its_rows_when_later_runs_write_parquet(tmp_path):
    first, second, out = tmp_path / "first", tmp_path / "second", tmp_path / "out"
    make(first, 3)
    make(second, 3)
    for p in sorted(second.iterdir()):  # other bytes than the first three
        p.write_bytes(p.read_bytes() + b"\n")
    assert run_cli("parse", str(first), "--out", str(out), "--format", "csv", "--quiet").returncode == 0
    assert not (out / "reports.parquet").exists()
    assert run_cli("parse", str(second), "--out", str(out), "--format", "both", "--quiet").returncode == 0
    reports = pd.read_parquet(out / "reports.parquet")
    assert len(reports) == 6 and reports["report_id"].is_unique
    assert len(pd.read_csv(out / "reports.csv", encoding="utf-8-sig")) == 6


def test_csv_files_left_from_an_earlier_run_are_reported_stale(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    make(src, 2)
    assert run_cli("parse", str(src), "--out", str(out), "--quiet").returncode == 0  # csv and parquet
    (src / "more.txt").write_bytes((DOCS / "000_3c2b94a00d1a4e64.txt").read_bytes())
    proc = run_cli("parse", str(src), "--out", str(out), "--format", "parquet", "--quiet")
    assert proc.returncode == 0
    assert "WARNING" in proc.stderr and "reports.csv" in proc.stderr and "--format both" in proc.stderr
    assert len(pd.read_parquet(out / "reports.parquet")) == 3
    assert len(pd.read_csv(out / "reports.csv", encoding="utf-8-sig")) == 2  # kept, as the warning says


def test_show_into_a_closed_pipe_ends_quietly():
    """`extract show FILE | head` ended with a BrokenPipeError traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "extract", "show", str(DOCS / "real-sanming-city-2022.txt")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # the reader has gone before the first line is written (`| head -0`)
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err


def test_console_echo_into_a_closed_pipe_goes_on(tmp_path):
    from extract.console import safe

    lines = []

    def broken(text):
        lines.append(text)
        raise BrokenPipeError(32, "Broken pipe")

    guarded = safe(broken)
    guarded("one")
    guarded("two")  # neither raises: the job that prints goes on
    assert lines == ["one", "two"]
