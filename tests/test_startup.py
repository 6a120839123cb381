"""Start-up: a short command loads what the document needs, and nothing for show's sake twice."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import DOCS, ROOT


def test_region_of_is_cpcas_transform():
    """The single-address path gives what cpca.transform's DataFrame row gives."""
    import cpca

    from extract.report.gazetteer import lookup, read_row

    names = ["漳平市教育局", "石家庄市桥西区中山街道办事处", "代县卫生健康局", "上海市人民政府办公厅", "洪泽区人民政府",
             "杭州市西湖区民政局", "朝阳区人民政府", "国家卫生健康委员会", "内蒙古自治区呼和浩特市回民区", "香港特别行政区",
             "某某局", "深圳市龙岗区", "吉林省白城市通榆县团结乡人民政府", "西安市临潼区穆寨街道办事处", "abc"]
    df = cpca.transform(names)
    for name, (_, row) in zip(names, df.iterrows()):
        def s(v):
            return "" if v is None or (isinstance(v, float) and v != v) else str(v)

        want = (s(row["省"]), s(row["市"]), s(row["区"]), s(row["adcode"])) if s(row["省"]) else ("", "", "", "")
        assert lookup(name) == want, name
    # With positions (what the archive reads agency names with), row for row, cell for cell.
    frame = cpca.transform(names, pos_sensitive=True)
    for name, want in zip(names, frame.to_dict("records")):
        got = read_row(name, positions=True)
        assert {k: ("" if v is None or v != v else v) for k, v in got.items()} == \
            {k: ("" if v is None or v != v else v) for k, v in want.items()}, name


@pytest.mark.parametrize("name", ["real-001.txt", "html-word-mso.html"])
def test_show_loads_no_pandas_jieba_or_pkg_resources(name):
    code = ("import sys, io, contextlib, json\nfrom extract.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            f"    rc = main(['show', {str(DOCS / name)!r}])\n"
            "print(json.dumps([rc, out.getvalue().count('## Matched cells'),"
            " sorted(m for m in ('pandas', 'pkg_resources', 'jieba', 'pyarrow') if m in sys.modules)]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [0, 1, []]


def test_show_reads_the_document_once(monkeypatch, capsys):
    import parsers
    from extract.cli import main

    calls = []
    real = parsers.read
    monkeypatch.setattr(parsers, "read", lambda data, name="", **kw: calls.append(name) or real(data, name=name, **kw))
    assert main(["show", str(DOCS / "real-hzq-2023.pdf")]) == 0
    assert len(calls) == 1
    out = capsys.readouterr().out
    assert "agency '洪泽区人民政府'" in out and "§ overview" in out


def test_first_worker_starts_before_the_server_is_ready(tmp_path, monkeypatch):
    """While the fork server loads, workers are forked from the parent and parse (the command
    line asks for that: early_workers); the ones
    that replace them (here after 20 documents) come from the server once it is ready. Every
    document is parsed once."""
    from make_variants import make

    from extract.batch import local
    from extract.batch.runner import RunSettings, run

    looks = {"n": 0}

    def ready():
        looks["n"] += 1
        return looks["n"] > 3  # not ready for the first looks

    monkeypatch.setattr(local, "server_ready", ready)
    methods = []
    real = local._Worker.__init__

    def spy(self, ctx, settings, prefix):
        methods.append(ctx.get_start_method())
        real(self, ctx, settings, prefix)

    monkeypatch.setattr(local._Worker, "__init__", spy)
    src = tmp_path / "src"
    make(src, 60)
    summary = run([src], RunSettings(out=tmp_path / "out", workers=2, progress=False, format="parquet", max_tasks=20,
                                     early_workers=True))
    assert methods[:2] == ["fork", "fork"] and "forkserver" in methods
    assert (summary.documents, summary.failed) == (60, 0)
    import pandas as pd

    reports = pd.read_parquet(tmp_path / "out" / "reports.parquet")
    assert len(reports) == 60 and reports["report_id"].is_unique


def test_server_ready_file(monkeypatch, tmp_path):
    from extract.batch import local

    monkeypatch.delenv(local.READY_ENV, raising=False)
    assert local.server_ready() is None
    monkeypatch.setenv(local.READY_ENV, str(tmp_path / "ready"))
    assert local.server_ready() is False
    (tmp_path / "ready").touch()
    assert local.server_ready() is True


def _spy_workers(monkeypatch):
    from extract.batch import local

    started, servers = [], []
    real = local._Worker.__init__

    def spy(self, ctx, settings, prefix):
        started.append(ctx.get_start_method())
        real(self, ctx, settings, prefix)

    monkeypatch.setattr(local._Worker, "__init__", spy)
    monkeypatch.setattr(local, "start_server", lambda extra=(): servers.append(extra))
    monkeypatch.delenv(local.READY_ENV, raising=False)  # no server started by this process's runs
    return started, servers


def test_a_short_command_line_run_starts_no_server_and_no_idle_worker(tmp_path, monkeypatch):
    """One document from the command line: one worker, forked from the parent, and no fork
    server loading the pipeline (a second of CPU) beside it."""
    from extract.batch.runner import RunSettings, run

    started, servers = _spy_workers(monkeypatch)
    summary = run([DOCS / "html-word-mso.html"], RunSettings(out=tmp_path / "out", workers=2, progress=False,
                                                             format="parquet", early_workers=True))
    assert (summary.documents, summary.ok, summary.failed) == (1, 1, 0)
    assert started == ["fork"] and servers == []


def test_the_server_is_started_once_workers_will_need_replacing(tmp_path, monkeypatch):
    """Half-way to a worker's retirement (max_tasks) the server is asked for, once; until it is
    ready (here: never) replacements are forked from the parent too, and every document is
    parsed once."""
    from make_variants import make

    from extract.batch.runner import RunSettings, run

    started, servers = _spy_workers(monkeypatch)
    make(tmp_path / "src", 50)
    summary = run([tmp_path / "src"], RunSettings(out=tmp_path / "out", workers=2, progress=False, format="parquet",
                                                  max_tasks=10, early_workers=True))
    assert (summary.documents, summary.failed) == (50, 0)
    assert servers == [()] and set(started) == {"fork"} and len(started) >= 5


def test_writing_parts_and_the_archive_load_no_pandas(tmp_path):
    """A short run's parent and its workers convert plain rows to Arrow: pyarrow's question
    whether a list is a pandas object does not load pandas (0.2-0.35 s), and pandas still works
    after, for whoever wants it."""
    code = f"""
import sys, json
from pathlib import Path
from extract.cli import main
rc = main(["parse", {str(DOCS / "html-word-mso.html")!r}, "--out", {str(tmp_path / "out")!r}, "--quiet",
           "--workers", "1"])
from extract.dataset import PartWriter, outcome_of
from extract.report import parse_file
PartWriter(Path({str(tmp_path / "parts")!r}), "t").write([outcome_of(parse_file({str(DOCS / "real-001.txt")!r}))])
loaded = "pandas" in sys.modules
import pandas as pd
import pyarrow as pa
frame = pa.table({{"a": [1, 2]}}).to_pandas()
print(json.dumps([rc, loaded, int(frame["a"].sum()), len(pd.read_parquet({str(tmp_path / "out" / "cells.parquet")!r}))]))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [0, False, 3, 200]
