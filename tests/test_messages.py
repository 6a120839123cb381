"""What the command line says (issue 11, items 8 and 15): one line and the right exit code for
an interrupt (SIGTERM as Ctrl-C, in `parse`, `fetch` and `run`) or a full disk at the end of a
run; -v after the subcommand and per-document lines from the workers; an `error` column that
says each reason once; options that did nothing gone; the Dask engine's failures in one line;
a DOCX that would expand past what can be read refused by its declared size."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import DOCS, ROOT
from extract.cli import _parser, main
from test_integrity import Running

TXT = DOCS / "000_3c2b94a00d1a4e64.txt"


def test_verbose_goes_before_or_after_the_subcommand():
    p = _parser()
    assert p.parse_args(["-v", "parse", "x"]).verbose is True
    assert p.parse_args(["parse", "-v", "x"]).verbose is True
    assert p.parse_args(["parse", "x"]).verbose is False
    assert p.parse_args(["run", "-v", "--config", "c"]).verbose is True


def test_verbose_logs_each_document_from_the_worker_that_parsed_it(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "extract", "parse", "-v", str(TXT), "--out", str(tmp_path / "o"),
                           "--quiet", "--workers", "1"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"INFO extract.batch.jobs: {TXT}: ok (gioar-2019), 198 cells\n" in proc.stderr


@pytest.mark.parametrize("argv", [["show", str(TXT), "--all-cells"], ["fetch", "--config", "c", "--workers", "2"]])
def test_options_that_did_nothing_are_gone(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(argv)
    assert exc.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_doc_memory_says_it_is_the_whole_rss(capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(["parse", "--help"])
    assert "its whole RSS" in " ".join(capsys.readouterr().out.split())


def test_the_error_column_says_each_reason_once_and_is_capped():
    from extract.report.pipeline import MAX_ERROR_CHARS, join_reasons

    assert join_reasons(["table printed as an image"] * 2520 + ["tables not found: review_litigation"]) == \
        "table printed as an image (2,520 times); tables not found: review_litigation"
    many = join_reasons([f"reason number {i}" for i in range(5000)])
    assert len(many) < MAX_ERROR_CHARS + 100 and many.endswith("more reasons")
    assert join_reasons(["x" * 5000]) == "x" * MAX_ERROR_CHARS + "…"


def test_a_docx_part_that_expands_past_the_limit_is_refused_before_it_is_read():
    import resource

    from extract import parse_bytes
    from parsers.docx import MAX_PART_MB

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with zipfile.ZipFile(DOCS / "docx-lo-word-mso.docx") as real:
            for info in real.infolist():
                if info.filename != "word/document.xml":
                    z.writestr(info.filename, real.read(info.filename))
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0"?><w:document xmlns:w="x"><w:body>')
            block = b" " * (1 << 20)
            for _ in range(MAX_PART_MB + 10):
                fh.write(block)
            fh.write(b"</w:body></w:document>")
    data = buf.getvalue()
    assert len(data) < 5 << 20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    report = parse_bytes(data, source="bomb.docx")
    assert time.perf_counter() - start < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB: nothing expanded
    assert (report.status, report.failure) == ("failed", "document")
    assert report.error == f"word/document.xml expands to {MAX_PART_MB + 10} MiB, over the {MAX_PART_MB} MiB a DOCX part may take"


def test_a_full_disk_or_ctrl_c_while_the_csv_files_are_written_is_one_line(tmp_path, monkeypatch, capsys):
    from extract.dataset import csv_export

    def full(out):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(csv_export, "write_csv_files", full)
    out = tmp_path / "out"
    assert main(["parse", str(TXT), "--out", str(out), "--quiet", "--workers", "1"]) == 2
    assert capsys.readouterr().err == f"extract: cannot write the dataset in {out}: No space left on device\n"
    assert not (out / ".lock").exists()

    def ctrl_c(out):
        raise KeyboardInterrupt

    monkeypatch.setattr(csv_export, "write_csv_files", ctrl_c)
    assert main(["parse", str(TXT), "--out", str(out), "--quiet", "--workers", "1"]) == 130
    err = capsys.readouterr().err
    assert err.strip().startswith("extract: interrupted after 1 documents were written to") and "Traceback" not in err


def test_the_dask_engine_without_dask_or_without_a_scheduler_is_one_line(tmp_path, monkeypatch, capsys):
    import extract.batch.dask

    monkeypatch.setattr(extract.batch.dask, "CONNECT_SECONDS", 2)
    assert main(["parse", str(TXT), "--out", str(tmp_path / "a"), "--quiet", "--engine", "dask",
                 "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("extract: cannot reach the Dask scheduler at tcp://127.0.0.1:9: ") and err.count("\n") == 1
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # not installed
    assert main(["parse", str(TXT), "--out", str(tmp_path / "b"), "--quiet", "--engine", "dask"]) == 2
    assert capsys.readouterr().err == ("extract: the dask engine needs dask.distributed: "
                                       "pip install 'gioar-extract[dask]'\n")


class _Slow(BaseHTTPRequestHandler):
    """Every page takes 60 s: a fetch is in progress when the signal comes."""

    asked = threading.Event()

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        type(self).asked.set()
        time.sleep(60)


@pytest.mark.parametrize("command", ["fetch", "run"])
def test_sigterm_stops_fetch_and_run_as_ctrl_c_does(command, tmp_path):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Slow.asked.clear()
    try:
        cfg = tmp_path / "n.toml"
        cfg.write_text(f"""[dataset]
out = "{tmp_path / 'output'}"
store = "{tmp_path / 'raw'}"
state = "{tmp_path / 'output' / 'state.sqlite'}"
[fetch]
user_agent = "gioar-extract-tests/0.1 (+mailto:tests@example.org)"
timeout = 90
obey_robots = false
[[sources]]
name = "slow"
start = ["http://127.0.0.1:{httpd.server_address[1]}/index.html"]
report_text = '年度报告'
""", encoding="utf-8")
        proc = Running("-m", "extract", command, "--config", str(cfg), "--quiet")
        proc.wait_for(_Slow.asked.is_set, timeout=60)
        proc.proc.send_signal(signal.SIGTERM)
        code, err = proc.finish(timeout=30)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.strip().splitlines()[-1] == "extract: interrupted; run it again: what was stored is kept"
