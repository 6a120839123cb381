"""What a run reads and what it says it did not (issue 11, items 3 and 4): files skipped by a
folder walk are counted and listed with the reason; files named on the command line are read
by their content; a FIFO never hangs a run; a pipe is read once; switching --format keeps the
dataset's layout readable."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import DOCS, ROOT
from make_variants import make

PDF = DOCS / "pdf-lo-word-mso.pdf"


def cli(*args: str, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extract", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, **kw)


def test_a_folder_walk_reads_documents_by_content_and_says_what_it_skipped(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(PDF, src / "report.pdf ")  # a trailing space: its suffix is ".pdf "
    (src / "copy.pdf.1").write_bytes(PDF.read_bytes() + b"\n%copy")  # another document, by content
    shutil.copy(DOCS / "real-001.txt", src / "real-001.txt")
    (src / "notes.rtf").write_text(r"{\rtf1\ansi hello}")
    (src / "gone.pdf").symlink_to(src / "nowhere.pdf")
    (src / "loop.pdf").symlink_to(src / "loop.pdf")
    os.mkfifo(src / "pipe.pdf")
    (src / ".hidden.txt").write_text("x")
    out = tmp_path / "out"
    proc = cli("parse", str(src), "--out", str(out), "--quiet", "--workers", "1", "-v", timeout=120)
    assert proc.returncode == 0, proc.stderr
    summary = proc.stderr.strip().splitlines()[-1]
    assert summary.startswith("3 documents: ") and " 0 failed, 0 duplicates" in summary
    assert "; 5 skipped: " in summary
    for part in ("1 dangling link", "1 hidden", "1 not a document", "1 not a regular file (FIFO)", "1 symlink loop"):
        assert part in summary
    for name, why in (("notes.rtf", "not a document"), ("gone.pdf", "dangling link"), ("loop.pdf", "symlink loop"),
                      ("pipe.pdf", "not a regular file (FIFO)"), (".hidden.txt", "hidden")):
        assert f"INFO extract.batch.runner: skipped {src / name}: {why}\n" in proc.stderr
    sources = sorted(pd.read_parquet(out / "reports.parquet")["source"])
    assert sources == [str(src / "copy.pdf.1"), str(src / "real-001.txt"), str(src / "report.pdf ")]


def test_a_fifo_named_on_the_command_line_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "report.pdf"
    os.mkfifo(fifo)
    out = tmp_path / "out"
    proc = cli("parse", str(fifo), str(DOCS / "real-001.txt"), "--out", str(out), "--quiet", "--workers", "1",
               timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert f"failed: {fifo}: not a regular file (FIFO): not read" in proc.stderr
    reports = pd.read_parquet(out / "reports.parquet").set_index("source")
    row = reports.loc[str(fifo)]
    assert (row.status, row.failure, row.error) == ("failed", "document", "not a regular file (FIFO): not read")
    assert reports.loc[str(DOCS / "real-001.txt")].status in ("ok", "partial")


def test_a_file_read_through_a_pipe_is_hashed_once_and_parsed_from_the_same_bytes(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(["bash", "-c", f'"{sys.executable}" -m extract parse <(cat "{PDF}") --out "{out}" '
                                         "--quiet --workers 1"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    reports = pd.read_parquet(out / "reports.parquet")
    assert len(reports) == 1
    row = reports.iloc[0]
    assert (row.report_id, row.status, row.format) == (hashlib.sha256(PDF.read_bytes()).hexdigest(), "ok", "pdf")
    assert row.source.startswith("/dev/fd/")
    assert (pd.read_parquet(out / "cells.parquet").report_id == row.report_id).sum() > 50


def test_switching_format_csv_to_parquet_and_back_keeps_a_valid_layout(tmp_path):
    import duckdb

    src = tmp_path / "src"
    make(src, 6)
    out = tmp_path / "out"
    first = cli("parse", str(src), "--out", str(out), "--format", "csv", "--quiet", "--workers", "1")
    assert first.returncode == 0, first.stderr
    assert not (out / "cells.parquet").exists()
    csv_cells = pd.read_csv(out / "cells.csv", encoding="utf-8-sig")
    more = tmp_path / "more"
    make(more, 8, seed=2)
    second = cli("parse", str(more), "--out", str(out), "--format", "parquet", "--quiet", "--workers", "1")
    assert second.returncode == 0, second.stderr
    assert "was kept as CSV only: its" in second.stderr and "imported into the Parquet tables" in second.stderr
    # no part outside a year= folder: pandas sees every row's year, DuckDB's hive reading works
    assert not list((out / "cells.parquet").glob("*.parquet"))
    cells = pd.read_parquet(out / "cells.parquet")
    reports = pd.read_parquet(out / "reports.parquet")
    assert cells["year"].notna().all() and len(reports) == 6 + 8
    assert len(cells) == len(csv_cells) + (cells.report_id.isin(reports.report_id[reports.source.str.startswith(
        str(more))])).sum()
    years = cells.merge(reports[["report_id", "year"]], on="report_id", suffixes=("", "_report"))
    assert (years["year"].astype(int) == years["year_report"].astype(int)).all()
    con = duckdb.connect()
    n = con.execute(f"""SELECT count(*) FROM read_parquet('{out}/cells.parquet/**/*.parquet', hive_partitioning = true) c
                        JOIN read_parquet('{out}/reports.parquet/*.parquet') r USING (report_id)
                        WHERE c."table" = 'applications' AND c."row" = 'new_requests' AND c.col = 'total'""").fetchone()[0]
    assert n == len(cells.query("table == 'applications' and row == 'new_requests' and col == 'total'")) > 0
    third = cli("parse", str(more), "--out", str(out), "--format", "csv", "--resume", "--quiet", "--workers", "1")
    assert third.returncode == 0, third.stderr
    assert "--format csv keeps the dataset as CSV only: the Parquet tables were removed" in third.stderr
    assert not (out / "cells.parquet").exists()
    assert len(pd.read_csv(out / "reports.csv", encoding="utf-8-sig")) == 14
    assert len(pd.read_csv(out / "cells.csv", encoding="utf-8-sig")) == len(cells)
