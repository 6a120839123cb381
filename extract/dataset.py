"""Write the dataset: Parquet (+ CSV with BOM), metrics and datapackage.json, atomically.

A run's reports are merged into what the folder already holds: a document parsed again (same
report_id) replaces its old rows, others are kept. Every file is written to a temporary name
first and renamed into place, all tables together at the end, so an interrupted run leaves
the previous dataset whole.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from . import __version__
from .contract import METRICS_CELL, METRICS_FIXED, PANDAS_DTYPES, TABLES
from .report import records_to_frames
from .schema import load_schema

FORMATS = ("csv", "parquet", "both")


def read_table(out: Path, name: str) -> pd.DataFrame | None:
    """A table of an existing dataset (Parquet preferred), or None."""
    p = out / f"{name}.parquet"
    if p.exists():
        return pd.read_parquet(p)
    c = out / f"{name}.csv"
    if c.exists():
        df = pd.read_csv(c, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        return df
    return None


def _typed(df: pd.DataFrame, name: str) -> pd.DataFrame:
    cols = TABLES[name]
    for c, t, _ in cols:
        if c not in df.columns:
            df[c] = pd.NA
        if t == "string":
            df[c] = df[c].astype("string").fillna("")
        else:
            df[c] = pd.to_numeric(df[c].replace("", pd.NA), errors="coerce").astype(PANDAS_DTYPES[t])
    return df[[c for c, _, _ in cols] + [c for c in df.columns if c not in {x for x, _, _ in cols}]]


def merge(out: Path, new: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """New frames merged into the dataset already in `out` (new rows win per report_id)."""
    ids = set(new["reports"]["report_id"])
    merged = {}
    for name in TABLES:
        old = read_table(out, name)
        frame = _typed(new[name].copy(), name)
        if old is not None and len(old):
            old = _typed(old, name)
            old = old[~old["report_id"].isin(ids)]
            frame = pd.concat([old, frame], ignore_index=True) if len(frame) else old
        merged[name] = frame.reset_index(drop=True)
    return merged


def metrics_frame(reports: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """One row per report, one column per canonical cell named table.row.col."""
    base = reports[[c for c, _, _ in METRICS_FIXED]].copy()
    known = cells[~cells["row"].str.startswith("extra_")]
    if known.empty:
        return base
    names = known["table"] + "." + known["row"] + "." + known["col"]
    wide = (known.assign(name=names).pivot_table(index="report_id", columns="name", values="value",
                                                   aggfunc="first", dropna=False))
    order = [f"{t}.{r}.{c}" for t, r, c in load_schema().cell_order()]
    columns = [c for c in order if c in wide.columns] + sorted(c for c in wide.columns if c not in order)
    wide = wide.reindex(columns=columns)
    out = base.merge(wide, left_on="report_id", right_index=True, how="left")
    return out


def datapackage(frames: dict[str, pd.DataFrame], fmt: str) -> dict:
    resources = []
    for name, df in frames.items():
        cols = TABLES.get(name)
        if cols is None:  # metrics
            fields = [{"name": c, "type": t, "description": d} for c, t, d in METRICS_FIXED]
            fields += [{"name": c, "type": "number", "description": METRICS_CELL.format(name=c)}
                       for c in df.columns if c not in {x for x, _, _ in METRICS_FIXED}]
        else:
            fields = [{"name": c, "type": t, "description": d} for c, t, d in cols]
        paths = ([f"{name}.csv"] if fmt in ("csv", "both") else []) + \
                ([f"{name}.parquet"] if fmt in ("parquet", "both") else [])
        res = {"name": name, "path": paths[0], "profile": "tabular-data-resource",
               "format": paths[0].rsplit(".", 1)[1], "schema": {"fields": fields}}
        if paths[0].endswith(".csv"):
            res["encoding"] = "utf-8-sig"
        if len(paths) > 1:
            res["alternatives"] = paths[1:]
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


def _atomic(path: Path, write) -> Path:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write(tmp)
    return tmp


def write_dataset(out: Path, records: dict[str, list[dict]], fmt: str = "both") -> dict[str, pd.DataFrame]:
    """Merge a run's records into the dataset in `out` and write every table atomically."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    frames = merge(out, records_to_frames(records))
    frames["metrics"] = metrics_frame(frames["reports"], frames["cells"])
    staged: list[tuple[Path, Path]] = []
    try:
        for name, df in frames.items():
            if fmt in ("parquet", "both"):
                target = out / f"{name}.parquet"
                staged.append((_atomic(target, lambda p, df=df: df.to_parquet(p, index=False)), target))
            if fmt in ("csv", "both"):
                target = out / f"{name}.csv"
                staged.append((_atomic(target, lambda p, df=df: df.to_csv(p, index=False, encoding="utf-8-sig")),
                               target))
        target = out / "datapackage.json"
        text = json.dumps(datapackage(frames, fmt), ensure_ascii=False, indent=2)
        staged.append((_atomic(target, lambda p: p.write_text(text, encoding="utf-8")), target))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    return frames
