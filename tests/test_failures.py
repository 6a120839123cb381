"""Failed documents are retried when retrying can help (issue 11, item 5): a worker killed from
outside (the OOM killer) costs its document one more try; every failure has a kind (document,
environment, limit); --resume and `extract run` parse environment and limit failures again,
--retry-failed every failed document."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd

from conftest import DOCS
from extract.batch.local import HANG_MARKER
from extract.batch.runner import RunSettings, run

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504  # a .doc: needs LibreOffice


def reports(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "reports.parquet").set_index("source").sort_index()


def test_a_worker_killed_from_outside_gets_its_document_one_more_try(tmp_path, monkeypatch):
    from multiprocessing import forkserver

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes((DOCS / "real-001.txt").read_bytes())
    (src / "hangs.txt").write_bytes(b"GIOAR " + HANG_MARKER)
    monkeypatch.setenv("GIOAR_TEST_HANG", "1")
    killed = []

    def oom_killer() -> None:
        """Kill the first worker seen on the hanging document, as the OOM killer would."""
        server = forkserver._forkserver._forkserver_pid
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            children = [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == server]
            if children:
                time.sleep(1.5)  # a.txt is done; it sleeps on hangs.txt
                os.kill(children[0], signal.SIGKILL)
                killed.append(children[0])
            time.sleep(0.1)

    from extract.batch.local import start_server

    start_server()
    threading.Thread(target=oom_killer, daemon=True).start()
    summary = run([src], RunSettings(out=tmp_path / "out", progress=False, format="parquet", workers=1,
                                     doc_timeout=4))
    assert killed
    # parsed again after the kill (the old behaviour failed it at once, "worker process died");
    # the second try ran into the time limit
    assert summary.failures == [(str(src / "hangs.txt"), "time limit of 4s exceeded; document skipped "
                                 "(its second try: a worker parsing it was killed from outside)")]
    got = reports(tmp_path / "out")
    assert got.loc[str(src / "hangs.txt"), "failure"] == "limit"
    assert got.loc[str(src / "a.txt"), "status"] in ("ok", "partial")
    assert got.loc[str(src / "a.txt"), "failure"] == ""


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def test_resume_parses_environment_and_limit_failures_again_and_retry_failed_all(tmp_path, monkeypatch):
    import parsers.convert

    src = tmp_path / "src"
    src.mkdir()
    (src / "ok.txt").write_bytes((DOCS / "real-001.txt").read_bytes())
    (src / "empty.txt").write_bytes(b"")
    (src / "old.doc").write_bytes(OLE)
    out = tmp_path / "out"
    settings = dict(out=out, progress=False, format="parquet", engine="inline")
    monkeypatch.setattr(parsers.convert, "find_soffice", lambda: None)  # LibreOffice not installed
    first = run([src], RunSettings(**settings))
    assert (first.documents, first.failed) == (3, 2)
    got = reports(out)
    assert got["failure"].to_dict() == {str(src / "empty.txt"): "document", str(src / "ok.txt"): "",
                                        str(src / "old.doc"): "environment"}
    assert "LibreOffice" in got.loc[str(src / "old.doc"), "error"]
    # the tool is still missing: --resume tries the .doc again (only it), and it fails again
    again = run([src], RunSettings(**settings, resume=True))
    assert (again.documents, again.skipped, again.failed) == (1, 2, 1)
    assert again.failures[0][0] == str(src / "old.doc")
    # --retry-failed: every failed document, the empty one too
    retried = run([src], RunSettings(**settings, retry_failed=True))
    assert (retried.documents, retried.skipped) == (2, 1)
    assert sorted(s for s, _ in retried.failures) == [str(src / "empty.txt"), str(src / "old.doc")]
    final = reports(out)
    assert final.report_id.is_unique and len(final) == 3
    assert final["failure"].to_dict() == got["failure"].to_dict()


def test_extract_run_parses_environment_and_limit_failures_again_and_lists_failures(tmp_path, capsys):
    """Last night one report hit a limit and one could not be read from the store (a disk not
    mounted): tonight's `extract run` parses both again, and prints the `failed:` line of the
    one that still fails, as `parse` does."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from extract.cli import main
    from extract.fetch.state import Store
    from govsite import Site, SiteServer, config_text

    with SiteServer(Site()) as server:
        cfg = tmp_path / "nightly.toml"
        cfg.write_text(config_text(server, tmp_path), encoding="utf-8")
        assert main(["run", "--config", str(cfg), "--quiet", "--workers", "1"]) == 3  # the site's errors
        capsys.readouterr()
        out = tmp_path / "output"
        [part] = list((out / "reports.parquet").glob("*.parquet"))
        table = pq.read_table(part).to_pandas()
        limited, unreadable = table.index[:2]
        table.loc[limited, ["status", "failure", "error"]] = ["failed", "limit", "time limit of 120s exceeded"]
        table.loc[unreadable, ["status", "failure", "error"]] = ["failed", "environment", "cannot read file"]
        pq.write_table(pa.Table.from_pandas(table, schema=pq.read_schema(part), preserve_index=False), part)
        Store(tmp_path / "raw").path(table.loc[unreadable, "report_id"]).unlink()
    # the site is down tonight (the crawler is not what this is about): only the parse has work
    assert main(["run", "--config", str(cfg), "--quiet", "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert "\n2 documents: 1 ok, 0 partial, 1 failed, 0 duplicates" in err
    assert f"failed: {table.loc[unreadable, 'source']}: cannot read file: No such file or directory\n" in err
    got = pd.read_parquet(out / "reports.parquet").set_index("report_id")
    assert got.index.is_unique and len(got) == len(table)
    assert got.loc[table.loc[limited, "report_id"], "status"] == "ok"
    assert tuple(got.loc[table.loc[unreadable, "report_id"], ["status", "failure"]]) == ("failed", "environment")


def test_parts_written_before_the_failure_column_are_given_it(tmp_path):
    """A dataset from an earlier version has no reports.failure: a table whose parts disagree on
    their columns reads as the first part's columns. The next run gives the old parts the column."""
    import pyarrow.parquet as pq

    from extract import parse_file
    from extract.dataset import write_dataset

    out = tmp_path / "out"
    write_dataset(out, [parse_file(DOCS / "real-001.txt")], fmt="parquet")
    [part] = list((out / "reports.parquet").glob("*.parquet"))
    pq.write_table(pq.read_table(part).drop(["failure"]), part)  # as the earlier version wrote it
    write_dataset(out, [parse_file(DOCS / "real-003.txt")], fmt="parquet")
    got = pd.read_parquet(out / "reports.parquet")
    assert len(got) == 2 and "failure" in got.columns
    assert pq.read_schema(part).names == pq.read_schema(next((out / "reports.parquet").glob("*.parquet"))).names
