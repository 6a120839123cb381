"""The dataset on disk as DuckDB views: Parquet parts where the dataset has them, else the CSV
files (a `--format csv` dataset). Nothing is loaded into Python; DuckDB streams the parts, spilling
to a temporary folder beside the dataset when a step needs more than its memory limit."""
from __future__ import annotations

import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

MEMORY_LIMIT = "1GB"


class ArchiveError(Exception):
    """The dataset cannot be read into the archive (no reports table, unreadable parts)."""


def sql_string(value: str | Path) -> str:
    """A path or a value as an SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def relation(out: Path, name: str) -> str | None:
    """SQL reading table `name` of the dataset in `out`, or None when the dataset has no such table."""
    folder = out / f"{name}.parquet"
    if folder.is_dir() and any(p for p in folder.rglob("*.parquet") if not p.name.startswith(".")):
        glob = sql_string(folder / "**" / "*.parquet")
        return f"read_parquet({glob}, hive_partitioning = false, union_by_name = true)"
    if folder.is_file():
        return f"read_parquet({sql_string(folder)})"
    csv = out / f"{name}.csv"
    if csv.is_file():
        return f"read_csv({sql_string(csv)}, header = true, all_varchar = true)"
    return None


def scratch(out: Path) -> Path:
    """This process's scratch folder in the dataset (DuckDB's database file and spill files)."""
    return out / ".archive-tmp" / str(os.getpid())


@contextmanager
def open_dataset(out: Path, tables: tuple[str, ...], memory_limit: str = MEMORY_LIMIT):
    """connect(), and the scratch folder removed when done."""
    con, present = connect(out, tables, memory_limit)
    try:
        yield con, present
    finally:
        con.close()
        shutil.rmtree(scratch(out), ignore_errors=True)
        try:
            scratch(out).parent.rmdir()
        except OSError:
            pass  # another build's scratch is there


def connect(out: Path, tables: tuple[str, ...], memory_limit: str = MEMORY_LIMIT) -> tuple[duckdb.DuckDBPyConnection, set[str]]:
    """A connection with one view per table the dataset has; returns it and the names present.
    CSV tables are read as text and cast here to the contract's types."""
    from ..contract import TABLES

    # A database file beside the dataset, not one in memory: the build's tables are written to it
    # and evicted when memory runs short (in-memory tables could not be). Removed after the build.
    tmp = scratch(out)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    con = duckdb.connect(str(tmp / "archive.duckdb"))
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = {sql_string(tmp)}")
    con.execute("SET preserve_insertion_order = false")
    present = set()
    for name in tables:
        rel = relation(out, name)
        if rel is None:
            continue
        if rel.startswith("read_csv"):
            types = {c: t for c, t, _ in TABLES.get(name, [])}
            cols = con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()
            select = ", ".join(
                f'TRY_CAST(NULLIF("{c}", \'\') AS {"BIGINT" if types.get(c) == "integer" else "DOUBLE"}) AS "{c}"'
                if types.get(c) in ("integer", "number") else f'coalesce("{c}", \'\') AS "{c}"'
                for c, *_ in cols)
            rel = f"(SELECT {select} FROM {rel})"
        try:
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM {rel}")
        except duckdb.Error as exc:
            raise ArchiveError(f"cannot read {name} in {out}: {exc}") from None
        present.add(name)
    if "reports" not in present and (out / "reports.parquet").is_dir():  # a dataset of no documents yet
        sql = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE"}
        cols = ", ".join(f'NULL::{sql[t]} AS "{c}"' for c, t, _ in TABLES["reports"])
        con.execute(f"CREATE VIEW reports AS SELECT {cols} WHERE false")
        present.add("reports")
    if "reports" not in present:
        raise ArchiveError(f"{out} holds no reports table: not a dataset (run extract parse first)")
    return con, present
