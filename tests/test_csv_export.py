"""The CSV files: what they hold (the same rows as before DuckDB wrote them, integers as
integers, a valid Frictionless package), what a run rewrites (only what changed), the per-year
layout of large tables, and a full disk or a Ctrl-C in the CSV phase."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import DOCS, ROOT
from make_variants import make

from extract.contract import METRICS_FIXED, TABLES
from extract.dataset import csv_export
from extract.dataset.writer import ALL_TABLES, NO_YEAR, DatasetWriter, write_dataset

BOM = b"\xef\xbb\xbf"


def pandas_csv(out: Path, name: str) -> bytes:
    """The CSV file the writer made before DuckDB (main 3cb5daa, `_write_csv`) from the same
    Parquet parts: pandas `to_csv` of every batch, UTF-8 with BOM. Made here from the dataset under
    test, so the comparison holds whatever the parsers put in the parts."""
    import pyarrow.dataset as pads

    from extract.dataset.writer import PARTITIONED, _schema

    columns = _schema(name).names
    fh = io.StringIO(newline="")
    pd.DataFrame(columns=columns).to_csv(fh, index=False)
    dataset = pads.dataset(out / f"{name}.parquet", format="parquet",
                           partitioning="hive" if name in PARTITIONED else None)
    for batch in dataset.to_batches(columns=columns, batch_size=50_000):
        batch.to_pandas().to_csv(fh, index=False, header=False)
    return BOM + fh.getvalue().encode("utf-8")


def run_cli(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
    """The CLI in a fresh process; `code` runs first in that process (to break something)."""
    prog = (code or "") + "\nimport sys\nfrom extract.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.run([sys.executable, "-c", prog, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def integer_columns(name: str) -> list[str]:
    columns = METRICS_FIXED if name == "metrics" else TABLES[name]
    return [c for c, t, _ in columns if t == "integer"]


def boolean_columns(name: str) -> list[str]:
    columns = METRICS_FIXED if name == "metrics" else TABLES[name]
    return [c for c, t, _ in columns if t == "boolean"]


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def by_report(rows: list[list[str]]) -> dict[str, list[list[str]]]:
    """Rows grouped by report_id (column 0), each report's rows in file order; asserts that a
    report's rows are together."""
    groups: dict[str, list[list[str]]] = {}
    last = None
    for row in rows:
        assert row[0] == last or row[0] not in groups, f"rows of {row[0]} are not together"
        groups.setdefault(row[0], []).append(row)
        last = row[0]
    return groups


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The bundled corpus parsed by the CLI, as the README's `output/` folder."""
    out = tmp_path_factory.mktemp("corpus") / "output"
    proc = run_cli("parse", "corpus/docs", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out, proc


@pytest.fixture
def dataset(corpus, tmp_path):
    """A copy of the corpus dataset this test may change."""
    out = tmp_path / "output"
    shutil.copytree(corpus[0], out)
    return out


def test_csv_files_hold_the_rows_they_held_before_with_integers_as_integers(corpus):
    out, proc = corpus
    assert re.search(r"; \d+\.\ds \(CSV files \d+\.\ds\) → ", proc.stderr.splitlines()[-1])
    for name in ALL_TABLES:
        before = pandas_csv(out, name)
        now = (out / f"{name}.csv").read_bytes()
        assert now.startswith(BOM)
        old_rows, new_rows = rows_of(before), rows_of(now)
        header = old_rows[0]
        assert new_rows[0] == header
        assert header[:len(TABLES.get(name, METRICS_FIXED))] == [c for c, _, _ in TABLES.get(name, METRICS_FIXED)]
        ints = [header.index(c) for c in integer_columns(name)]
        bools = [header.index(c) for c in boolean_columns(name)]
        fixed = 0
        for row in old_rows[1:]:  # what the integer fix changes: 2020.0 → 2020
            for i in ints:
                if row[i].endswith(".0"):
                    row[i] = row[i][:-2]
                    fixed += 2
            for i in bools:  # pandas writes True/False, DuckDB true/false: both are Frictionless booleans
                fixed += len(row[i]) - len(row[i].lower())
                row[i] = row[i].lower()
        for row in new_rows[1:]:
            assert all(re.fullmatch(r"-?\d*", row[i]) for i in ints), (name, row[:3])
        # Same rows, each report's in the same order (reports come in the order of the parts,
        # which depends on which worker parsed what), quoted the same: same bytes, less ".0"s.
        assert by_report(new_rows[1:]) == by_report(old_rows[1:]), name
        assert len(now) == len(before) - fixed, name


def test_frictionless_validate_passes_on_the_bundled_corpus(corpus):
    out, _ = corpus
    proc = subprocess.run([sys.executable, "-m", "frictionless", "validate", "datapackage.json"], cwd=out,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "VALID" in proc.stdout and "INVALID" not in proc.stdout


def readme_dataset_snippets() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("\n## The dataset\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)


def test_every_readme_snippet_of_the_dataset_section_runs_on_the_bundled_corpus(corpus, monkeypatch):
    import duckdb

    out, _ = corpus
    monkeypatch.chdir(out.parent)  # the snippets read output/…
    snippets = readme_dataset_snippets()
    assert [lang for lang, _ in snippets] == ["python", "sql"]
    ns: dict = {}
    for lang, code in snippets:
        if lang == "python":
            *body, last = code.strip().splitlines()
            exec("\n".join(body), ns)
            ns["_last"] = eval(last, ns)  # what the notebook would show
        else:
            ns["_sql"] = duckdb.sql(code).fetchall()
    # The tour: the checks that fail, with their agency.
    failing = ns["_last"]
    checks = pd.read_parquet(out / "checks.parquet")
    assert len(failing) == (checks.status == "fail").sum() > 0 and failing["agency"].notna().all()
    # applications received per agency and year, the seed's among them (it printed 0).
    new = ns["new"].merge(ns["reports"][["report_id", "agency"]], on="report_id")
    assert ("漳平市教育局", 2020, 0.0) in set(zip(new["agency"], new["year"].astype(int), new["value"]))
    assert ("漳平市教育局", 2020, 0.0) in ns["_sql"]
    assert len(ns["_sql"]) == len(new)


def stats(out: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(out)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(out.rglob("*.csv")) if p.is_file()}


def csv_rows(out: Path, name: str) -> list[list[str]]:
    rows = []
    for i, f in enumerate(csv_export.csv_files(out, name)):
        file_rows = rows_of(f.read_bytes())
        rows += file_rows[1:] if i or rows else file_rows  # one header
    return rows


def rebuilt(out: Path, tmp: Path) -> Path:
    """The same dataset with its CSV files written from scratch (no manifest)."""
    copy = tmp / "rebuilt"
    shutil.copytree(out, copy)
    for name in ALL_TABLES:
        target = copy / f"{name}.csv"
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    (copy / csv_export.MANIFEST).unlink()
    DatasetWriter(copy).close()
    return copy


def same_content(a: Path, b: Path) -> None:
    for name in ALL_TABLES:
        ra, rb = csv_rows(a, name), csv_rows(b, name)
        assert ra[0] == rb[0]
        assert by_report(ra[1:]) == by_report(rb[1:]), name


def variant_reports(tmp: Path, n: int):
    import extract

    src = tmp / "variants"
    made = make(src, n)
    return [extract.parse_file(src / name) for name in sorted(made)]


def test_a_run_that_adds_documents_appends_their_rows_and_rewrites_nothing_else(dataset, tmp_path):
    old = {name: (dataset / f"{name}.csv").read_bytes() for name in ALL_TABLES}
    added = variant_reports(tmp_path, 2)
    write_dataset(dataset, added)
    ids = {r.report_id for r in added}
    for name in ALL_TABLES:
        now = (dataset / f"{name}.csv").read_bytes()
        assert now.startswith(old[name]), name  # the earlier bytes, copied
        new_rows = rows_of(now[len(old[name]):])
        # the added reports that have rows in this table (a report may state no figure in its prose)
        holding = ids & set(pd.read_parquet(dataset / f"{name}.parquet", columns=["report_id"]).report_id)
        assert holding and {row[0] for row in new_rows} == holding, name
    same_content(dataset, rebuilt(dataset, tmp_path))
    # A run that changes nothing rewrites nothing.
    before = stats(dataset)
    writer = DatasetWriter(dataset)
    writer.close()
    assert stats(dataset) == before and writer.csv_seconds is not None


def test_a_document_parsed_again_keeps_one_copy_of_its_rows(dataset, tmp_path, monkeypatch):
    import extract

    monkeypatch.setattr(csv_export, "SEGMENT_PARTS", 1)
    (dataset / csv_export.MANIFEST).unlink()
    write_dataset(dataset, [])  # written again, one segment per part
    seed = extract.parse_file(DOCS / "000_3c2b94a00d1a4e64.txt")
    before = csv_rows(dataset, "cells")
    converted: list[str] = []
    real = csv_export._convert
    monkeypatch.setattr(csv_export, "_convert", lambda con, out, name, parts, fh: (
        converted.extend(p.path for p in parts), real(con, out, name, parts, fh)))
    write_dataset(dataset, [seed])  # its older parts are rewritten without it: only they are converted again
    assert len(converted) <= 2 * len(ALL_TABLES)  # per table: the rewritten part (unless emptied), the new one
    assert all(p.split("/")[0] in {f"{n}.parquet" for n in ALL_TABLES} for p in converted)
    after = csv_rows(dataset, "cells")
    assert sorted(after) == sorted(before)
    assert sum(row[0] == seed.report_id for row in after) == 198
    same_content(dataset, rebuilt(dataset, tmp_path))


def test_an_edited_csv_file_is_written_again_whole(dataset):
    (dataset / "checks.csv").write_bytes(BOM + b"report_id\nnonsense\n")
    write_dataset(dataset, [])
    rows = csv_rows(dataset, "checks")
    assert rows[0][:3] == ["report_id", "check", "status"] and len(rows) == 1 + len(pd.read_parquet(dataset / "checks.parquet"))


def test_tables_larger_than_an_excel_sheet_are_written_one_file_per_year(dataset, tmp_path, monkeypatch):
    cells_before = csv_rows(dataset, "cells")
    monkeypatch.setattr(csv_export, "EXCEL_ROWS", 100)  # the corpus's cells, sections and checks are larger
    write_dataset(dataset, [])
    folder = dataset / "cells.csv"
    assert folder.is_dir()
    years = sorted(p.name.removeprefix("year=").replace(NO_YEAR, "no-year")
                   for p in (dataset / "cells.parquet").iterdir())
    assert [p.name for p in csv_export.csv_files(dataset, "cells")] == [f"cells-{y}.csv" for y in years]
    for f in csv_export.csv_files(dataset, "cells"):
        data = f.read_bytes()
        assert data.startswith(BOM + b"report_id,table,row,col,value,raw,")
    assert sorted(csv_rows(dataset, "cells")) == sorted(cells_before)
    assert (dataset / "reports.csv").is_file() and (dataset / "metrics.csv").is_file()  # one row per report
    package = json.loads((dataset / "datapackage.json").read_text("utf-8"))
    cells = next(r for r in package["resources"] if r["name"] == "cells")
    assert cells["path"] == [f"cells.csv/cells-{y}.csv" for y in years]
    assert "one file per report year" in cells["csv_layout"]
    proc = subprocess.run([sys.executable, "-m", "frictionless", "validate", "datapackage.json"], cwd=dataset,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    # Documents of 2020 rewrite the 2020 file only.
    before = stats(dataset)
    write_dataset(dataset, variant_reports(tmp_path, 1))  # a variant of the seed: a 2020 report
    after = stats(dataset)
    changed = {f for f in after if after[f] != before.get(f)}
    assert changed == {"cells.csv/cells-2020.csv", "sections.csv/sections-2020.csv",
                       "checks.csv/checks-2020.csv", "statements.csv/statements-2020.csv",
                       "indicators.csv/indicators-2020.csv", "reports.csv", "metrics.csv"}
    same_content(dataset, rebuilt(dataset, tmp_path))
    # Back below the limit: one file again.
    monkeypatch.setattr(csv_export, "EXCEL_ROWS", 10**9)
    write_dataset(dataset, [])
    assert (dataset / "cells.csv").is_file() and len(csv_rows(dataset, "cells")) == len(cells_before) + 198


def test_a_csv_only_dataset_in_per_year_files_keeps_its_rows(dataset, monkeypatch):
    monkeypatch.setattr(csv_export, "EXCEL_ROWS", 500)
    write_dataset(dataset, [], "csv")
    assert (dataset / "cells.csv").is_dir() and not (dataset / "cells.parquet").exists()
    n = len(csv_rows(dataset, "cells"))
    write_dataset(dataset, [], "both")  # the per-year files are read back as parts
    assert len(pd.read_parquet(dataset / "cells.parquet")) == n - 1


def test_format_parquet_writes_no_csv(tmp_path):
    proc = run_cli("parse", str(DOCS / "000_3c2b94a00d1a4e64.txt"), "--out", str(tmp_path), "--format", "parquet")
    assert proc.returncode == 0, proc.stderr
    assert not list(tmp_path.glob("*.csv")) and "CSV files" not in proc.stderr.splitlines()[-1]


def leftovers(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if ".tmp-" in p.name]


def test_a_full_disk_while_duckdb_writes_is_one_line_and_exit_2(dataset, tmp_path):
    """DuckDB's fragment file is /dev/full: the real ENOSPC, from DuckDB's own writer."""
    full = tmp_path / "full"
    full.symlink_to("/dev/full")
    before = {name: (dataset / f"{name}.csv").read_bytes() for name in ALL_TABLES}
    n_reports = len(csv_rows(dataset, "reports"))
    src = tmp_path / "src"
    make(src, 1)
    code = f"import extract.dataset.csv_export as c, pathlib; c._fragment_path = lambda out: pathlib.Path({str(full)!r})"
    proc = run_cli("parse", str(src), "--out", str(dataset), "--quiet", code=code)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == f"extract: cannot write the CSV files in {dataset}: " \
                                  f"Could not write file \"{full}\": No space left on device"
    assert {name: (dataset / f"{name}.csv").read_bytes() for name in ALL_TABLES} == before
    assert not leftovers(dataset)
    # The parts are complete: the next run writes the CSV files.
    again = run_cli("parse", str(src), "--out", str(dataset), "--quiet", "--resume")
    assert again.returncode == 0, again.stderr
    assert len(csv_rows(dataset, "reports")) == n_reports + 1


def test_a_full_disk_while_the_bytes_are_copied_is_one_line_and_exit_2(dataset, tmp_path):
    before = (dataset / "cells.csv").read_bytes()
    src = tmp_path / "src"
    make(src, 1)
    code = ("import errno, extract.dataset.csv_export as c\n"
            "def full(*a): raise OSError(errno.ENOSPC, 'No space left on device')\n"
            "c._copy_range = full")
    proc = run_cli("parse", str(src), "--out", str(dataset), "--quiet", code=code)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"extract: cannot write the CSV files in {dataset}: No space left on device"
    assert (dataset / "cells.csv").read_bytes() == before and not leftovers(dataset)


def test_a_full_disk_in_the_csv_phase_of_the_nightly_run_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    import errno

    from extract.cli import main
    from govsite import Site, SiteServer, config_text

    def full(*a):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(csv_export, "_copy_range", full)
    with SiteServer(Site()) as server:
        cfg = tmp_path / "nightly.toml"
        cfg.write_text(config_text(server, tmp_path), encoding="utf-8")
        assert main(["run", "--config", str(cfg), "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("extract: cannot write the CSV files in ")
    assert err[-1].endswith(": No space left on device")


def test_ctrl_c_in_the_csv_phase_is_no_traceback_and_leaves_the_previous_files(dataset, tmp_path):
    before = {name: (dataset / f"{name}.csv").read_bytes() for name in ALL_TABLES}
    src = tmp_path / "src"
    make(src, 1)
    code = ("import os, signal, extract.dataset.csv_export as c\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal\n"
            "real = c._convert\n"
            "def interrupted(*a):\n"
            "    real(*a)\n"
            "    os.kill(os.getpid(), signal.SIGINT)\n"
            "c._convert = interrupted")
    proc = run_cli("parse", str(src), "--out", str(dataset), "--quiet", code=code)
    assert proc.returncode == 130, proc.stderr
    assert "interrupted after 1 documents" in proc.stderr and "Traceback" not in proc.stderr
    assert {name: (dataset / f"{name}.csv").read_bytes() for name in ALL_TABLES} == before
    assert not leftovers(dataset)


def test_ctrl_c_while_duckdb_runs_a_query_is_a_keyboard_interrupt(tmp_path):
    """DuckDB reports SIGINT as RuntimeError("Query interrupted"); the CSV phase makes it the
    KeyboardInterrupt the runner turns into "interrupted … --resume"."""
    import threading

    con = csv_export._connect(tmp_path)
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            csv_export._execute(con, "SELECT count(*) FROM range(100000000000) WHERE hash(range) = 0 AND $files IS NOT NULL",
                                ["x"])
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, handler)
        con.close()


def test_bytes_are_copied_where_the_kernel_cannot_copy_them(dataset, tmp_path, monkeypatch):
    import errno

    def unsupported(*a):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", unsupported)
    old = (dataset / "cells.csv").read_bytes()
    write_dataset(dataset, variant_reports(tmp_path, 1))
    now = (dataset / "cells.csv").read_bytes()
    assert now.startswith(old) and len(rows_of(now[len(old):])) == 198
