"""Write the dataset as reports stream in: Parquet parts, then CSV (with BOM) and
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
re-parsed report are rewritten without it.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from . import __version__
from .contract import METRICS_CELL, METRICS_FIXED, PANDAS_DTYPES, TABLES
from .report import records_to_frames
from .schema import load_schema

FORMATS = ("csv", "parquet", "both")
PARTITIONED = ("cells", "sections", "checks")
ALL_TABLES = ("reports", "cells", "sections", "checks", "metrics")
NO_YEAR = "__HIVE_DEFAULT_PARTITION__"


def metric_columns() -> list[str]:
    """The metrics table's cell columns: every cell the templates define, in schema order."""
    return [f"{t}.{r}.{c}" for t, r, c in load_schema().cell_order()]


def metrics_frame(reports: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """One row per report, one column per canonical cell named table.row.col."""
    base = reports[[c for c, _, _ in METRICS_FIXED]].reset_index(drop=True)
    columns = metric_columns()
    known = cells[~cells["row"].str.startswith("extra_")]
    wide = pd.DataFrame(index=base["report_id"], columns=columns, dtype="float64")
    if not known.empty:
        names = known["table"] + "." + known["row"] + "." + known["col"]
        values = known.assign(name=names).drop_duplicates(["report_id", "name"])
        values = values[values["name"].isin(columns)]
        pivot = values.pivot(index="report_id", columns="name", values="value")
        wide.update(pivot)
    return pd.concat([base, wide.reset_index(drop=True).astype("float64")], axis=1)


def _schema(name: str) -> pa.Schema:
    types = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64()}
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


def _parts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.parquet") if p.is_file() and not p.name.startswith(".")) \
        if folder.is_dir() else []


def existing_ids(out: Path) -> set[str]:
    """report_ids the dataset in `out` already holds (read from the reports parts only)."""
    ids: set[str] = set()
    for part in _parts(out / "reports.parquet"):
        ids.update(pq.read_table(part, columns=["report_id"]).column(0).to_pylist())
    if not ids and (out / "reports.csv").is_file():  # a CSV-only dataset
        ids.update(pd.read_csv(out / "reports.csv", encoding="utf-8-sig", usecols=["report_id"],
                               dtype=str)["report_id"])
    return ids


class DatasetWriter:
    """Append reports' records in chunks; `close()` finishes the dataset."""

    def __init__(self, out: Path, fmt: str = "both", chunk_size: int = 200) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}")
        self.out, self.fmt, self.chunk_size = Path(out), fmt, chunk_size
        self.out.mkdir(parents=True, exist_ok=True)
        self.run = uuid.uuid4().hex[:12]
        self.n_chunks = 0
        self.ids: set[str] = set()
        if fmt == "csv":
            self._import_csv()
        self.before = {name: set(_parts(self.out / f"{name}.parquet")) for name in ALL_TABLES}
        self._buffer: dict[str, list[dict]] = {name: [] for name in TABLES}
        self._buffered = 0

    def add(self, records: dict[str, list[dict]]) -> None:
        for name, rows in records.items():
            self._buffer[name].extend(rows)
        self.ids.update(r["report_id"] for r in records["reports"])
        self._buffered += 1
        if self._buffered >= self.chunk_size:
            self.flush()

    def flush(self) -> None:
        if not self._buffered:
            return
        frames = records_to_frames(self._buffer)
        frames["metrics"] = metrics_frame(frames["reports"], frames["cells"])
        years = dict(zip(frames["reports"]["report_id"], frames["reports"]["year"]))
        part = f"part-{self.run}-{self.n_chunks:05d}.parquet"
        for name, df in frames.items():
            if df.empty:
                continue
            folder = self.out / f"{name}.parquet"
            if name in PARTITIONED:
                year = df["report_id"].map(years)
                for y, group in df.groupby(year.fillna(-1).astype("int64"), sort=True):
                    key = NO_YEAR if y == -1 else str(y)
                    table = pa.Table.from_pandas(group, schema=_schema(name), preserve_index=False)
                    _atomic_write(table, folder / f"year={key}" / part)
            else:
                _atomic_write(pa.Table.from_pandas(df, schema=_schema(name), preserve_index=False), folder / part)
        self.n_chunks += 1
        self._buffer = {name: [] for name in TABLES}
        self._buffered = 0

    def close(self) -> None:
        self.flush()
        self._drop_replaced()
        self._legacy_single_files()
        if self.fmt in ("csv", "both"):
            for name in ALL_TABLES:
                self._write_csv(name)
        if self.fmt == "csv":
            for name in ALL_TABLES:
                shutil.rmtree(self.out / f"{name}.parquet", ignore_errors=True)
        text = json.dumps(datapackage(self.out, self.fmt), ensure_ascii=False, indent=2)
        tmp = self.out / f".datapackage.json.tmp-{os.getpid()}"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.out / "datapackage.json")

    def _import_csv(self) -> None:
        """A CSV-only dataset keeps its rows: they become parts for this run, and CSV again at the end."""
        for name in ALL_TABLES:
            csv, folder = self.out / f"{name}.csv", self.out / f"{name}.parquet"
            if not csv.is_file() or _parts(folder):
                continue
            schema = _schema(name)
            types = {f.name: ("string" if pa.types.is_string(f.type) else
                              "Int64" if pa.types.is_integer(f.type) else "float64") for f in schema}
            for i, chunk in enumerate(pd.read_csv(csv, encoding="utf-8-sig", dtype=str, keep_default_na=False,
                                                  chunksize=100_000)):
                for col, t in types.items():
                    if col not in chunk:
                        chunk[col] = ""
                    if t != "string":
                        chunk[col] = pd.to_numeric(chunk[col].replace("", None), errors="coerce").astype(t)
                chunk = chunk[schema.names]
                _atomic_write(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False),
                              folder / f"part-csv-{i:05d}.parquet")

    def _drop_replaced(self) -> None:
        """Rows of re-parsed reports in parts written before this run are removed."""
        if not self.ids:
            return
        for name in ALL_TABLES:
            for part in self.before[name]:
                if not part.exists():
                    continue
                ids = pq.read_table(part, columns=["report_id"]).column(0)
                keep = pc.invert(pc.is_in(ids, value_set=pa.array(list(self.ids))))
                if pc.all(keep).as_py():
                    continue
                table = pq.read_table(part, partitioning=None).filter(keep)
                if table.num_rows:
                    _atomic_write(table, part)
                else:
                    part.unlink()

    def _legacy_single_files(self) -> None:
        """A dataset written as one NAME.parquet file by an earlier version: make it a part."""
        for name in ALL_TABLES:
            p = self.out / f"{name}.parquet"
            if p.is_file():
                tmp = self.out / f".{name}.legacy"
                os.replace(p, tmp)
                p.mkdir()
                os.replace(tmp, p / "part-legacy.parquet")

    def _write_csv(self, name: str) -> None:
        folder = self.out / f"{name}.parquet"
        target = self.out / f"{name}.csv"
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        columns = _schema(name).names
        try:
            with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
                pd.DataFrame(columns=columns).to_csv(fh, index=False)
                if _parts(folder):
                    dataset = pads.dataset(folder, format="parquet",
                                           partitioning="hive" if name in PARTITIONED else None)
                    for batch in dataset.to_batches(columns=columns, batch_size=50_000):
                        batch.to_pandas().to_csv(fh, index=False, header=False)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def read_table(out: Path, name: str) -> pd.DataFrame | None:
    """A table of a dataset (Parquet preferred), or None when it has none."""
    folder = Path(out) / f"{name}.parquet"
    if _parts(folder) or folder.is_file():
        return pd.read_parquet(folder)
    c = Path(out) / f"{name}.csv"
    if c.exists():
        df = pd.read_csv(c, encoding="utf-8-sig", keep_default_na=False, dtype=str)
        cols = TABLES.get(name, [])
        return df.astype({col: PANDAS_DTYPES[t] for col, t, _ in cols if t == "string"})
    return None


def write_dataset(out: Path, records: dict[str, list[dict]], fmt: str = "both") -> None:
    """Write one batch of records into the dataset in `out` (replacing re-parsed reports)."""
    writer = DatasetWriter(out, fmt)
    writer.add(records)
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
            res.update({"path": f"{name}.csv", "format": "csv", "encoding": "utf-8-sig"})
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
