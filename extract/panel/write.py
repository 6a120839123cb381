"""The archive tables on disk, like the dataset's others: `NAME.parquet/part-0.parquet` and/or
`NAME.csv` (UTF-8 with BOM), each replaced whole and atomically (readers never see half a
table), and their resources in datapackage.json (columns and meanings from extract/contract.py)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from ..contract import ARCHIVE_TABLES, PANEL_INDICATOR
from ..dataset.writer import datapackage
from .indicators import load_indicators
from .source import sql_string

BOM = "\ufeff".encode("utf-8")
ORDER = {"agencies": "agency_id", "panel": "agency_id, year", "coverage": "agency_id, year",
         "panel_checks": 'agency_id, year, "check"'}


def archive_fields(name: str, indicators: list[str]) -> list[dict]:
    fields = [{"name": c, "type": t, "description": d} for c, t, d in ARCHIVE_TABLES[name]]
    if name == "panel":
        texts = {i.key: i.text for i in load_indicators()}
        fields += [{"name": k, "type": "number", "description": PANEL_INDICATOR.format(name=k, text=texts.get(k, ""))}
                   for k in indicators]
    return fields


def _select(name: str, indicators: list[str]) -> str:
    cast = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE"}
    cols = [f'CAST("{f["name"]}" AS {cast[f["type"]]}) AS "{f["name"]}"' for f in archive_fields(name, indicators)]
    return f"SELECT {', '.join(cols)} FROM {name} ORDER BY {ORDER[name]}"


def _replace_dir(tmp: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def write_archive(con: duckdb.DuckDBPyConnection, out: Path, fmt: str, indicators: list[str]) -> None:
    for name in ARCHIVE_TABLES:
        query = _select(name, indicators)
        if fmt in ("parquet", "both"):
            tmp = out / f".{name}.parquet.tmp-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            con.execute(f"COPY ({query}) TO {sql_string(tmp / 'part-0.parquet')} (FORMAT parquet)")
            _replace_dir(tmp, out / f"{name}.parquet")
        else:
            shutil.rmtree(out / f"{name}.parquet", ignore_errors=True)
        if fmt in ("csv", "both"):
            raw = out / f".{name}.csv.raw-{os.getpid()}"
            tmp = out / f".{name}.csv.tmp-{os.getpid()}"
            try:
                con.execute(f"COPY ({query}) TO {sql_string(raw)} (FORMAT csv, HEADER true)")
                with open(tmp, "wb") as dst, open(raw, "rb") as src:
                    dst.write(BOM)
                    shutil.copyfileobj(src, dst, 1 << 20)
                os.replace(tmp, out / f"{name}.csv")
            finally:
                raw.unlink(missing_ok=True)
                tmp.unlink(missing_ok=True)
        elif (out / f"{name}.csv").exists():
            (out / f"{name}.csv").unlink()
    _describe(out, fmt, indicators)


def archive_resources(out: Path, fmt: str, indicators: list[str]) -> list[dict]:
    resources = []
    for name in ARCHIVE_TABLES:
        res = {"name": name, "profile": "tabular-data-resource",
               "schema": {"fields": archive_fields(name, indicators)}}
        if fmt in ("csv", "both"):
            res.update({"path": f"{name}.csv", "format": "csv", "encoding": "utf-8-sig"})
        if fmt == "parquet":
            res.update({"path": [f"{name}.parquet/part-0.parquet"], "format": "parquet"})
        elif fmt == "both":
            res["parquet"] = {"path": f"{name}.parquet", "partitioning": "none", "parts": 1}
        resources.append(res)
    return resources


def _describe(out: Path, fmt: str, indicators: list[str]) -> None:
    """datapackage.json with the archive's resources in place of older ones."""
    path = out / "datapackage.json"
    try:
        package = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        package = datapackage(out, fmt)
    package["resources"] = [r for r in package.get("resources", []) if r.get("name") not in ARCHIVE_TABLES]
    package["resources"] += archive_resources(out, fmt, indicators)
    tmp = out / f".datapackage.json.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
