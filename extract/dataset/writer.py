"""Write the dataset as reports stream in: Parquet parts, then CSV (with BOM, `csv_export`) and
datapackage.json at the end. Memory stays bounded by one chunk, whatever the run's size.

Layout (output.md): every table is a folder of Parquet parts, `NAME.parquet/…/part-….parquet`.
`cells`, `sections` and `checks` are partitioned by the report's year, hive style
(`cells.parquet/year=2020/part-….parquet`; `year` appears as a column when read); `reports`
and `metrics` keep `year` as an ordinary column, so they are not partitioned. pandas
(`pd.read_parquet("output/cells.parquet")`), pyarrow and DuckDB
(`read_parquet('output/cells.parquet/**/*.parquet', hive_partitioning = true)`) read them.

Every part is written to a temporary name and renamed into place, so a reader never sees half a
file and a run killed half-way leaves whole parts behind (`--resume` carries on from them). A
document parsed again replaces its old rows: when the run closes, older parts that hold a
re-parsed report are rewritten without it, and whatever an interrupted run left half-done is
put right when the next run opens the dataset (`repair`). One run writes a dataset at a time
(`lock`).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..arrow import plain_rows
from ..contract import METRICS_CELL, METRICS_FIXED, TABLES
from ..report import Report, load_schema
from .lock import DatasetLock, DatasetLocked
from .repair import keep_one_copy, upgrade_parts

log = logging.getLogger(__name__)

FORMATS = ("csv", "parquet", "both")
PARTITIONED = ("cells", "sections", "checks", "statements", "indicators")
ALL_TABLES = ("reports", "cells", "sections", "checks", "statements", "indicators", "metrics")
NO_YEAR = "__HIVE_DEFAULT_PARTITION__"


@lru_cache(maxsize=1)
def _metric_set() -> frozenset[str]:
    return frozenset(metric_columns())


@lru_cache(maxsize=1)
def metric_columns() -> list[str]:
    """The metrics table's cell columns: every cell the templates define, in schema order."""
    return [f"{t}.{r}.{c}" for t, r, c in load_schema().cell_order()]


@lru_cache(maxsize=None)
def _schema(name: str) -> pa.Schema:
    types = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}
    if name == "metrics":
        fields = [pa.field(c, types[t]) for c, t, _ in METRICS_FIXED]
        fields += [pa.field(c, pa.float64()) for c in metric_columns()]
    else:
        fields = [pa.field(c, types[t]) for c, t, _ in TABLES[name]]
    return pa.schema(fields)


def _atomic_write(table: pa.Table, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, target)


def read_part(part: Path, columns: list[str] | None = None) -> pa.Table:
    """One part's rows (its own columns: no `year` from the folder name). Through ParquetFile,
    not pq.read_table, whose first call imports pyarrow.dataset and with it pandas (0.25 s of a
    short run)."""
    with pq.ParquetFile(part) as f:
        return f.read(columns=columns)


def _parts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.parquet") if p.is_file() and not p.name.startswith(".")) \
        if folder.is_dir() else []


def existing_ids(out: Path) -> set[str]:
    """report_ids the dataset in `out` already holds (read from the reports parts only)."""
    ids: set[str] = set()
    for part in _parts(out / "reports.parquet"):
        ids.update(read_part(part, ["report_id"]).column(0).to_pylist())
    if not ids and (out / "reports.csv").is_file():  # a CSV-only dataset
        import pandas as pd  # (only here and in _import_csv: a short command need not load it)

        ids.update(pd.read_csv(out / "reports.csv", encoding="utf-8-sig", usecols=["report_id"],
                               dtype=str)["report_id"])
    return ids


# Failure kinds (extract.contract) parsed again: by --resume and `extract run`, and by
# --retry-failed. "" is a failed row written before failures had a kind.
RETRY_ON_RESUME = frozenset({"environment", "limit", ""})
RETRY_ALL = RETRY_ON_RESUME | {"document"}


def _states(out: Path) -> Iterator[tuple[str, bool]]:
    """(report_id, failure kind) for each report in the Parquet parts of `out`: None for a report
    that is not failed, "" for a failed one written before failures had a kind."""
    for part in _parts(Path(out) / "reports.parquet"):
        names = pq.read_schema(part).names
        table = read_part(part, [c for c in ("report_id", "status", "failure") if c in names])
        failure = table.column("failure").to_pylist() if "failure" in names else [""] * table.num_rows
        for rid, status, kind in zip(table.column("report_id").to_pylist(), table.column("status").to_pylist(),
                                     failure):
            yield rid, ((kind or "") if status == "failed" else None)


def settled_ids(out: Path, retry: frozenset[str] = RETRY_ON_RESUME) -> set[str]:
    """report_ids the dataset in `out` holds, but for failed reports whose failure kind is in
    `retry`: what a resumed run need not parse again. Read from the Parquet parts, which a
    DatasetWriter has made of a CSV-only dataset when it opened it."""
    return {rid for rid, kind in _states(out) if kind is None or kind not in retry}


def retryable_ids(out: Path, retry: frozenset[str] = RETRY_ON_RESUME) -> set[str]:
    """report_ids of the failed reports in `out` whose failure kind is in `retry`."""
    return {rid for rid, kind in _states(out) if kind is not None and kind in retry}


@dataclass
class Outcome:
    """One parsed document as the writer needs it: its Report without the record lists, and its
    rows for every table (plain dicts, built where the document was parsed: cheap to send).
    `records` is None once a worker has written the rows itself (the local engine)."""

    report: Report
    n_cells: int
    n_checks_failed: int
    records: dict[str, list[dict]] | None

    def written(self) -> "Outcome":
        """The same outcome without its rows: what a worker reports once they are on disk."""
        return Outcome(self.report, self.n_cells, self.n_checks_failed, None)


def outcome_of(report: Report) -> Outcome:
    """A Report's rows for every table, metrics included (in the worker that parsed it)."""
    records = report.records()
    columns = _metric_set()
    metrics = {name: getattr(report, name) for name, _, _ in METRICS_FIXED}
    for c in report.cells:
        key = f"{c.table}.{c.row}.{c.col}"
        if key in columns and key not in metrics:
            metrics[key] = c.value
    records["metrics"] = [metrics]
    n_cells, n_failed = report.n_cells, report.n_checks_failed
    report.cells, report.sections, report.checks = [], [], []
    report.statements, report.indicators, report.statistics = [], [], None
    return Outcome(report, n_cells, n_failed, records)


# The reports part is written last: a report_id in `reports` means all its rows are on disk,
# which is what --resume trusts.
WRITE_ORDER = ("cells", "sections", "checks", "statements", "indicators", "metrics", "reports")


def chunk_tables(outcomes: list[Outcome]) -> list[tuple[str, str, pa.Table]]:
    """The outcomes' rows as Arrow tables: (table name, year partition or "", table), in
    WRITE_ORDER. Built where the documents were parsed (workers), so the parent only writes."""
    with plain_rows():  # (pyarrow would import pandas to check the lists)
        return _chunk_tables(outcomes)


def _chunk_tables(outcomes: list[Outcome]) -> list[tuple[str, str, pa.Table]]:
    out = []
    for name in WRITE_ORDER:
        groups: dict[str, list[dict]] = {}
        for o in outcomes:
            rows = o.records.get(name)
            if not rows:
                continue
            key = "" if name not in PARTITIONED else (NO_YEAR if o.report.year is None else str(o.report.year))
            groups.setdefault(key, []).extend(rows)
        out += [(name, key, pa.Table.from_pylist(rows, schema=_schema(name))) for key, rows in sorted(groups.items())]
    return out


def writable_chunk(outcomes: list[Outcome]) -> tuple[list[tuple[str, str, pa.Table]], list[Outcome]]:
    """chunk_tables, and the outcomes it holds. A value Arrow cannot take (a bug, or text that
    is not valid Unicode) costs only its own document: the chunk is converted document by
    document and that one becomes a failed report saying why."""
    try:
        return chunk_tables(outcomes), outcomes
    except Exception:
        kept = []
        for o in outcomes:
            try:
                chunk_tables([o])
                kept.append(o)
            except Exception as exc:
                r = o.report
                source = r.source.encode("utf-8", "backslashreplace").decode("utf-8")
                kept.append(outcome_of(Report(report_id=r.report_id, source=source, supersedes=r.supersedes,
                                              redirected_to=r.redirected_to,
                                              error=f"internal error: its rows cannot be written: "
                                                    f"{type(exc).__name__}: {exc}")))
        return chunk_tables(kept), kept


class DatasetError(Exception):
    """The dataset folder cannot be written (not writable, disk full, a file in the way)."""


class PartWriter:
    """Writes chunks of outcomes as Parquet parts named `part-{prefix}-{chunk}.parquet`.

    Each process that writes (the parent, every local worker) has its own prefix, so writers
    never collide and the parts of a chunk that was never confirmed can be found and removed
    (`remove_parts`)."""

    def __init__(self, out: Path, prefix: str) -> None:
        self.out, self.prefix, self.chunks = Path(out), prefix, 0

    def write(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Write the outcomes as one chunk; returns them as written (see writable_chunk)."""
        if not outcomes:
            return outcomes
        tables, outcomes = writable_chunk(outcomes)
        self.write_tables(tables)
        return outcomes

    def write_tables(self, tables: list[tuple[str, str, pa.Table]]) -> None:
        """Write one chunk (chunk_tables' result) as parts: the reports part last."""
        part = f"part-{self.prefix}-{self.chunks:05d}.parquet"
        for name, key, table in tables:
            folder = self.out / f"{name}.parquet"
            _atomic_write(table, (folder / f"year={key}" / part) if key else folder / part)
        self.chunks += 1


def remove_parts(out: Path, prefix: str, first_chunk: int = 0) -> None:
    """Delete the parts (and temporary files) of `prefix` from chunk `first_chunk` on: what a
    worker killed while writing may have left of a chunk it never confirmed."""
    for name in ALL_TABLES:
        folder = Path(out) / f"{name}.parquet"
        if not folder.is_dir():
            continue
        for f in folder.rglob(f"*part-{prefix}-*"):
            tail = f.name.split(f"part-{prefix}-", 1)[1]
            if f.name.startswith(".") or int(tail[:5]) >= first_chunk:
                f.unlink(missing_ok=True)


class DatasetWriter:
    """Append reports' records in chunks; `close()` finishes the dataset."""

    def __init__(self, out: Path, fmt: str = "both", chunk_size: int = 200) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}")
        self.out, self.fmt, self.chunk_size = Path(out), fmt, chunk_size
        try:  # fail before any document is parsed, not after
            self.out.mkdir(parents=True, exist_ok=True)
            probe = self.out / f".write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise DatasetError(f"cannot write the dataset in {self.out}: {exc.strerror or exc}") from None
        self._lock = DatasetLock(self.out)
        try:
            self._lock.acquire()
        except DatasetLocked as exc:
            raise DatasetError(str(exc)) from None
        self.run = uuid.uuid4().hex[:12]  # local workers write parts prefixed with it too
        self.had_parquet = bool(_parts(self.out / "reports.parquet"))  # before this run
        try:
            remove_leftovers(self.out)
            self._import_csv()  # a dataset so far kept as CSV only keeps its rows, whatever --format now
            keep_one_copy(self.out)  # whatever an earlier run left half-done (before any part is rewritten)
            upgrade_parts(self.out)
        except BaseException:
            self._lock.release()
            raise
        self._parts = PartWriter(self.out, f"{self.run}-p")
        self._buffer: list[Outcome] = []
        self._tables: list[tuple[str, str, pa.Table]] = []
        self._table_reports = 0
        self.csv_seconds: float | None = None  # how long close() took to write the CSV files

    def add(self, outcome: Outcome) -> None:
        """Record an outcome: its rows are written with the next chunk, unless a worker has
        written them already (records is None)."""
        if outcome.records is None:
            return
        self._buffer.append(outcome)
        if len(self._buffer) >= self.chunk_size:
            self.flush()

    def write_tables(self, tables: list[tuple[str, str, pa.Table]]) -> None:
        """Add a chunk a remote worker built (writable_chunk); written with the next chunk_size
        reports, so that small tasks do not make small files."""
        self._tables.extend(tables)
        self._table_reports += sum(t.num_rows for name, _, t in tables if name == "reports")
        if self._table_reports >= self.chunk_size:
            self.flush()

    def flush(self) -> None:
        self._parts.write(self._buffer)
        self._buffer = []
        if self._tables:
            merged: dict[tuple[str, str], list[pa.Table]] = {}
            for name, key, table in self._tables:
                merged.setdefault((name, key), []).append(table)
            self._parts.write_tables([(name, key, pa.concat_tables(ts)) for (name, key), ts in
                                      sorted(merged.items(), key=lambda kv: WRITE_ORDER.index(kv[0][0]))])
            self._tables, self._table_reports = [], 0

    def abandon(self) -> None:
        """The run was interrupted: write what this process holds, leave CSV and datapackage.json
        as they were. Parts already written stay; `--resume` carries on from them."""
        try:
            self.flush()
            remove_leftovers(self.out)
            keep_one_copy(self.out)
        finally:
            self.release()

    def release(self) -> None:
        """Let other runs write the dataset (after close or abandon, or when a run fails)."""
        self._lock.release()

    def close(self) -> None:
        try:
            self._finish()
        finally:
            self.release()

    def _finish(self) -> None:
        self.flush()
        remove_leftovers(self.out)
        keep_one_copy(self.out)  # a report parsed again replaces its old rows: before the versions settle
        from .versions import settle_versions

        settle_versions(self.out, self.run)
        if self.fmt in ("csv", "both"):
            from .csv_export import write_csv_files  # (it builds on this module)

            self.csv_seconds = write_csv_files(self.out)
        if self.fmt == "csv":
            if self.had_parquet:  # a switch of format: the Parquet tables go, and we say so
                log.warning("%s: --format csv keeps the dataset as CSV only: the Parquet tables were "
                            "removed (their rows are in the CSV files)", self.out)
            for name in ALL_TABLES:
                shutil.rmtree(self.out / f"{name}.parquet", ignore_errors=True)
        stale = [f"{name}.csv" for name in ALL_TABLES if self.fmt == "parquet" and (self.out / f"{name}.csv").exists()]
        if stale:  # not deleted (they are the user's files), but never silently out of date
            log.warning("%s in %s are from an earlier run and do not hold this run's rows; "
                        "run with --format both to bring them up to date, or delete them",
                        ", ".join(stale), self.out)
        package = datapackage(self.out, self.fmt)
        package["resources"] += _kept_resources(self.out)
        text = json.dumps(package, ensure_ascii=False, indent=2)
        tmp = self.out / f".datapackage.json.tmp-{os.getpid()}"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.out / "datapackage.json")

    def _import_csv(self) -> None:
        """A CSV-only dataset keeps its rows: they become parts for this run (cells, sections
        and checks under their report's `year=` folder, as this run's own parts are), and CSV
        (and/or Parquet, as --format says) again at the end. The reports part is written last,
        as for any chunk: an import cut short is removed and done again by the next run."""
        if not (self.out / "reports.csv").is_file() or _parts(self.out / "reports.parquet"):
            return
        import pandas as pd  # (only for an import: a short command need not load it)

        from .csv_export import csv_files  # (it builds on this module)

        years = pd.read_csv(self.out / "reports.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False,
                            usecols=lambda c: c in ("report_id", "year"))
        year_of = dict(zip(years["report_id"], years.get("year", pd.Series([""] * len(years)))))
        rows = 0
        for name in WRITE_ORDER:
            folder = self.out / f"{name}.parquet"
            files = csv_files(self.out, name)  # one file, or one per year for a large table
            if not files:
                continue
            schema = _schema(name)
            types = {f.name: ("string" if pa.types.is_string(f.type) else "boolean" if pa.types.is_boolean(f.type)
                              else "Int64" if pa.types.is_integer(f.type) else "float64") for f in schema}
            chunks = (chunk for csv in files for chunk in
                      pd.read_csv(csv, encoding="utf-8-sig", dtype=str, keep_default_na=False, chunksize=100_000))
            for i, chunk in enumerate(chunks):
                rows += len(chunk)
                for col, t in types.items():
                    if col not in chunk:
                        chunk[col] = ""
                    if t == "boolean":
                        chunk[col] = chunk[col].str.lower().map({"true": True, "false": False}).astype(t)
                    elif t != "string":
                        chunk[col] = pd.to_numeric(chunk[col].replace("", None), errors="coerce").astype(t)
                part = f"part-csv-{i:05d}.parquet"
                if name not in PARTITIONED:
                    _atomic_write(pa.Table.from_pandas(chunk[schema.names], schema=schema, preserve_index=False),
                                  folder / part)
                    continue
                # "2020.0" (a float-typed CSV) and "2020" are one year; no year: the default partition
                year = chunk["report_id"].map(year_of).fillna("")
                year = pd.to_numeric(year.replace("", None), errors="coerce").astype("Int64")
                year = year.astype("string").fillna(NO_YEAR)
                for key, group in chunk.groupby(year, sort=True):
                    _atomic_write(pa.Table.from_pandas(group[schema.names], schema=schema, preserve_index=False),
                                  folder / f"year={key}" / part)
        if self.fmt != "csv":  # a switch of format: say so (a CSV-only dataset does this every run)
            log.warning("%s was kept as CSV only: its %d rows were imported into the Parquet tables, "
                        "which --format %s writes from now on", self.out, rows, self.fmt)


def drop_reports(ids: set[str], parts: list[Path]) -> None:
    """Remove the rows of these report_ids from these parts (a part left empty is deleted)."""
    if not ids:
        return
    import pyarrow.compute as pc  # (here: a short run that drops nothing need not load it)

    value_set = pa.array(list(ids))
    for part in parts:
        if not part.exists():
            continue
        keep = pc.invert(pc.is_in(read_part(part, ["report_id"]).column(0), value_set=value_set))
        if pc.all(keep).as_py():
            continue
        table = read_part(part).filter(keep)
        if table.num_rows:
            _atomic_write(table, part)
        else:
            part.unlink()


def _kept_resources(out: Path) -> list[dict]:
    """Resources of datapackage.json that other wings write into the dataset folder (the archive
    of extract/panel): kept as they were while their files are there."""
    try:
        old = json.loads((out / "datapackage.json").read_text("utf-8")).get("resources", [])
    except (OSError, ValueError):
        return []
    return [r for r in old if r.get("name") not in ALL_TABLES
            and ((out / f"{r.get('name')}.parquet").exists() or (out / f"{r.get('name')}.csv").exists())]


def remove_leftovers(out: Path) -> None:
    """Temporary files of part writers (a worker killed while writing leaves one; so does a run
    that was interrupted), and those of the CSV files and datapackage.json a run killed while
    writing them left. One run writes a dataset at a time (the lock), so none of them is in use."""
    for f in Path(out).glob(".*.tmp-*"):
        f.unlink(missing_ok=True)
    for name in ALL_TABLES:
        folder = Path(out) / f"{name}.parquet"
        if folder.is_dir():
            for f in folder.rglob(".part-*.tmp-*"):
                f.unlink(missing_ok=True)


def write_dataset(out: Path, reports: list[Report], fmt: str = "both") -> None:
    """Write reports into the dataset in `out` (replacing re-parsed reports)."""
    writer = DatasetWriter(out, fmt)
    for report in reports:
        writer.add(outcome_of(report))
    writer.close()


def datapackage(out: Path, fmt: str) -> dict:
    resources = []
    for name in ALL_TABLES:
        if name == "metrics":
            fields = [{"name": c, "type": t, "description": d} for c, t, d in METRICS_FIXED]
            fields += [{"name": c, "type": "number", "description": METRICS_CELL.format(name=c)}
                       for c in metric_columns()]
        else:
            fields = [{"name": c, "type": t, "description": d} for c, t, d in TABLES[name]]
        res = {"name": name, "profile": "tabular-data-resource", "schema": {"fields": fields}}
        if fmt in ("csv", "both"):
            from .csv_export import csv_resource  # (it builds on this module)

            res.update(csv_resource(out, name))
        if fmt in ("parquet", "both"):
            parts = [str(p.relative_to(out)) for p in _parts(out / f"{name}.parquet")]
            if fmt == "parquet":
                res.update({"path": parts or [f"{name}.parquet"], "format": "parquet"})
            else:
                res["parquet"] = {"path": f"{name}.parquet", "partitioning": "hive (year)"
                                  if name in PARTITIONED else "none", "parts": len(parts)}
        resources.append(res)
    return {
        "profile": "tabular-data-package",
        "name": "gioar-dataset",
        "title": "政府信息公开工作年度报告 — canonical dataset",
        "description": "Cells, sections and checks of government information-disclosure annual reports, "
                       "keyed by the SHA-256 of each source document. Column keys: gioar-schema.toml.",
        "created_by": f"gioar-extract {__version__}",
        "schema_version": load_schema().version,
        "resources": resources,
    }
