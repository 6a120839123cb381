"""The CSV files: streamed from the Parquet parts by DuckDB, rewriting only what changed.

Each CSV file is UTF-8 with a BOM (so Excel opens the Chinese text), has the contract's columns
in the contract's order, writes integers as integers and null as an empty field (quoted only
where CSV needs it: a comma, a quote or a line break). DuckDB's `COPY … TO` streams the rows, so
memory stays flat whatever the dataset's size.

Only what changed is written: a hidden manifest (`.csv-manifest.json`) records, for every CSV
file, its own size and time and the parts its rows came from, in order, as byte ranges
("segments"). At the end of a run a file whose parts are unchanged is left alone; otherwise the
new file is the old file's bytes for every segment whose parts are unchanged (a byte copy, no
parsing), the rows of new or rewritten parts converted from Parquet, in the order the parts
came (a new run's rows after the earlier runs'). A file that does not match its manifest entry
(edited, or written by an older version) is converted whole. Every file is written under a
temporary name and renamed into place: a reader never sees half a file, and a run stopped in
this phase leaves the previous files (and the manifest that describes them).

A table partitioned by year in Parquet (cells, sections, checks) whose rows would not fit in one
Excel sheet becomes a folder of per-year files, `cells.csv/cells-2020.csv` … (each with its
header; `cells-no-year.csv` for reports whose year is unknown), listed in datapackage.json as the
parts of the resource: a run that adds reports of one year rewrites only that year's file.
"""
from __future__ import annotations

import csv
import errno
import io
import json
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .writer import ALL_TABLES, NO_YEAR, PARTITIONED, DatasetError, _parts, _schema

log = logging.getLogger(__name__)

MANIFEST = ".csv-manifest.json"
MANIFEST_VERSION = 2
EXCEL_ROWS = 1_048_575  # data rows one Excel sheet holds (1,048,576 with the header)
BOM = b"\xef\xbb\xbf"
SEGMENT_PARTS = 200  # parts converted by one DuckDB COPY (see _write_file)
NO_YEAR_NAME = "no-year"
DUCKDB_MEMORY = "256MB"  # DuckDB's own buffers; COPY streams, so this is a ceiling, not a need
# One DuckDB thread: with two, keeping the rows in order costs more memory and, measured on
# the wide metrics table, more time than it saves.


def csv_files(out: Path, name: str) -> list[Path]:
    """The CSV file(s) of table `name`: `NAME.csv`, or the per-year files of the `NAME.csv` folder."""
    target = Path(out) / f"{name}.csv"
    if target.is_dir():
        return sorted(p for p in target.glob(f"{name}-*.csv") if p.is_file())
    return [target] if target.is_file() else []


def csv_resource(out: Path, name: str) -> dict:
    """datapackage.json's description of table `name`'s CSV: one file, or its per-year files."""
    res = {"path": f"{name}.csv", "format": "csv", "encoding": "utf-8-sig"}
    if (Path(out) / f"{name}.csv").is_dir():
        res["path"] = [str(p.relative_to(out)) for p in csv_files(out, name)]
        res["csv_layout"] = (f"one file per report year ({name}.csv/{name}-YEAR.csv, {name}-{NO_YEAR_NAME}.csv "
                             "where the year is unknown), each with its header: the table has more rows "
                             "than one Excel sheet holds")
    return res


@dataclass
class Part:
    """One Parquet part as a CSV file's rows came from it: its path in the dataset, what it was
    when it was read (size and mtime, as make and rsync tell a changed file; a copy of the
    dataset that keeps times, cp -a or rsync -a, keeps its manifest valid) and its rows."""

    path: str
    size: int
    mtime_ns: int
    rows: int

    def key(self) -> tuple:
        return self.path, self.size, self.mtime_ns


def _stat(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def write_csv_files(out: Path) -> float:
    """Bring every table's CSV file(s) in `out` up to date with its Parquet parts; returns the
    seconds it took. Raises DatasetError (disk full, not writable) leaving the previous files."""
    out = Path(out)
    start = time.perf_counter()
    remove_csv_leftovers(out)
    manifest = _read_manifest(out)
    con = None
    try:
        con = _connect(out)
        for name in ALL_TABLES:
            entries = _write_table(out, name, manifest, con)
            # Written after every table: a run stopped later keeps what this one did.
            manifest = {rel: e for rel, e in manifest.items() if not _of_table(rel, name)} | entries
            _write_manifest(out, manifest)
    except (OSError, _duckdb_error()) as exc:
        raise DatasetError(f"cannot write the CSV files in {out}: {_reason(exc)}") from None
    finally:
        if con is not None:
            con.close()
        remove_csv_leftovers(out)
    return time.perf_counter() - start


def _duckdb_error() -> type:
    import duckdb

    return duckdb.Error


def _reason(exc: Exception) -> str:
    """One line saying why: the OS's reason, or DuckDB's message without its JSON wrapping."""
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    text = str(exc).splitlines()[0]
    inner = re.search(r'"exception_message":("(?:[^"\\]|\\.)*")', text)
    return json.loads(inner.group(1)) if inner else text.removeprefix("IO Error: ")


def _connect(out: Path):
    import duckdb

    spill = out / f".csv-duckdb.tmp-{os.getpid()}"
    con = duckdb.connect(config={"threads": 1, "memory_limit": DUCKDB_MEMORY,
                                 "preserve_insertion_order": True, "temp_directory": str(spill)})
    con.execute("SET enable_progress_bar = false")  # the run has its own progress bar
    return con


def remove_csv_leftovers(out: Path) -> None:
    """Temporary files of a CSV phase that was stopped (one run writes a dataset at a time)."""
    for leftover in Path(out).glob(".*.tmp-*"):
        if ".csv" in leftover.name:
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)


def _of_table(rel: str, name: str) -> bool:
    return rel == f"{name}.csv" or rel.startswith(f"{name}.csv/")


def _read_manifest(out: Path) -> dict:
    try:
        manifest = json.loads((out / MANIFEST).read_text("utf-8"))
        return manifest["files"] if manifest.get("version") == MANIFEST_VERSION else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _write_manifest(out: Path, files: dict[str, dict]) -> None:
    tmp = out / f".csv-manifest.json.tmp-{os.getpid()}"
    tmp.write_text(json.dumps({"version": MANIFEST_VERSION, "files": files}), encoding="utf-8")
    os.replace(tmp, out / MANIFEST)


def _current_parts(out: Path, name: str, manifest: dict) -> list[Part]:
    """The table's parts now, in path order; row counts from the manifest where the part is the
    same file, else from the part's footer."""
    known = {}
    for entry in manifest.values():
        for seg in entry.get("segments", []):
            for p in seg["parts"]:
                part = Part(*p)
                known[part.key()] = part.rows
    parts = []
    for path in _parts(out / f"{name}.parquet"):
        size, mtime_ns = _stat(path)
        rel = str(path.relative_to(out))
        rows = known.get((rel, size, mtime_ns))
        if rows is None:
            rows = pq.ParquetFile(path).metadata.num_rows
        parts.append(Part(rel, size, mtime_ns, rows))
    return parts


def _targets(name: str, parts: list[Part]) -> dict[str, list[Part]]:
    """Which CSV file each part's rows go to: one file, or one per year for a table too large
    for one Excel sheet."""
    if name not in PARTITIONED or sum(p.rows for p in parts) <= EXCEL_ROWS:
        return {f"{name}.csv": parts}
    targets: dict[str, list[Part]] = {}
    for p in parts:
        year = Path(p.path).parent.name.removeprefix("year=")
        year = NO_YEAR_NAME if year == NO_YEAR else year
        targets.setdefault(f"{name}.csv/{name}-{year}.csv", []).append(p)
    return targets


def _write_table(out: Path, name: str, manifest: dict, con) -> dict[str, dict]:
    parts = _current_parts(out, name, manifest)
    targets = _targets(name, parts)
    split = next(iter(targets)).startswith(f"{name}.csv/")
    entries, written = {}, []
    for rel, target_parts in targets.items():
        entry, tmp = _write_file(out, name, rel, target_parts, manifest.get(rel), con)
        entries[rel] = entry
        if tmp is not None:
            written.append((tmp, out / rel))
    # Every file of the table is written before any is put in place.
    layout = out / f"{name}.csv"  # a file, or the folder of per-year files
    if split and layout.is_file():
        layout.unlink()
    if not split and layout.is_dir():
        shutil.rmtree(layout)
    for tmp, target in written:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    if split:  # a year no part holds any more (its reports were parsed again as another year)
        for stale in set(csv_files(out, name)) - {out / rel for rel in targets}:
            stale.unlink()
    for rel in entries:
        entries[rel]["stat"] = _stat(out / rel)
    return entries


def _write_file(out: Path, name: str, rel: str, parts: list[Part], old: dict | None,
                con) -> tuple[dict, Path | None]:
    """The manifest entry of one CSV file, and the temporary file holding its new version (None
    when the file on disk is up to date)."""
    target = out / rel
    current = {p.path: p for p in parts}
    usable = old is not None and target.is_file() and _stat(target) == old.get("stat")
    plan: list[tuple[str, object]] = []  # ("copy", old segment) or ("convert", [Part…])
    placed: set[str] = set()

    def convert(ps: list[Part]) -> None:
        # Segments of at most SEGMENT_PARTS parts: a part rewritten later (a re-parsed report)
        # costs the conversion of its segment, not of the whole file.
        for p in ps:
            if not plan or plan[-1][0] != "convert" or len(plan[-1][1]) >= SEGMENT_PARTS:
                plan.append(("convert", []))
            plan[-1][1].append(p)

    for seg in old["segments"] if usable else []:
        seg_parts = [Part(*p) for p in seg["parts"]]
        if all(p.path in current and current[p.path].key() == p.key() for p in seg_parts):
            plan.append(("copy", seg))
        else:  # a part rewritten or removed: the segment's surviving parts are converted again
            convert([current[p.path] for p in seg_parts if p.path in current])
        placed.update(p.path for p in seg_parts)
    convert([p for p in parts if p.path not in placed])
    if usable and all(kind == "copy" for kind, _ in plan) and len(plan) == len(old["segments"]):
        return old, None
    tmp = out / f".{rel.replace('/', '~')}.tmp-{os.getpid()}"
    segments = []
    with open(tmp, "wb") as fh:
        fh.write(BOM + _header(name))
        for kind, what in plan:
            begin = fh.tell()
            if kind == "copy":
                with open(target, "rb") as src:
                    _copy_range(src, fh, what["start"], what["end"] - what["start"])
                seg_parts = what["parts"]
            else:
                _convert(con, out, name, what, fh)
                seg_parts = [[p.path, p.size, p.mtime_ns, p.rows] for p in what]
            segments.append({"parts": seg_parts, "start": begin, "end": fh.tell()})
    return {"segments": segments}, tmp


def _header(name: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(_schema(name).names)
    return buf.getvalue().encode("utf-8")


def _copy_range(src, dst, offset: int, count: int) -> None:
    """Bytes [offset, offset + count) of src appended to dst, in the kernel where it can."""
    dst.flush()
    while count > 0:
        try:
            n = os.copy_file_range(src.fileno(), dst.fileno(), min(count, 1 << 30), offset)
        except (AttributeError, OSError) as exc:  # not here (not Linux, another filesystem, an old kernel)
            if isinstance(exc, OSError) and exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL,
                                                              errno.EOPNOTSUPP):
                raise
            src.seek(offset)
            while count > 0:
                block = src.read(min(count, 1 << 20))
                if not block:
                    raise OSError(f"{src.name} is shorter than its manifest says")
                dst.write(block)
                count -= len(block)
            return
        if n == 0:
            raise OSError(f"{src.name} is shorter than its manifest says")
        offset += n
        count -= n
    dst.seek(0, os.SEEK_END)


def _convert(con, out: Path, name: str, parts: list[Part], fh) -> None:
    """The parts' rows as CSV (no header) appended to fh, streamed by DuckDB through a fragment
    file (DuckDB writes files, not streams)."""
    import duckdb

    files = [str(out / p.path) for p in parts]
    fragment = _fragment_path(out)
    try:
        try:
            _copy_parts(con, name, files, fragment, union_by_name=False)
        except (duckdb.InvalidInputException, _OlderParts):
            # Parts written before a column was added to the contract: match the columns by
            # name in every part (much more memory and time, so only when needed).
            _copy_parts(con, name, files, fragment, union_by_name=True)
        with open(fragment, "rb") as src:
            _copy_range(src, fh, 0, os.fstat(src.fileno()).st_size)
    finally:
        fragment.unlink(missing_ok=True)


class _OlderParts(Exception):
    """The first part lacks a column of the contract."""


def _copy_parts(con, name: str, files: list[str], fragment: Path, union_by_name: bool) -> None:
    # Without union_by_name DuckDB takes the columns from the first part and fails on a later
    # part that lacks one of them.
    relation = f"read_parquet($files, union_by_name = {str(union_by_name).lower()}, hive_partitioning = false)"
    present = {row[0] for row in _execute(con, f"DESCRIBE SELECT * FROM {relation}", files).fetchall()}
    if not union_by_name and not set(_schema(name).names) <= present:
        raise _OlderParts
    select = ", ".join(_column(f, present) for f in _schema(name))
    path = str(fragment).replace("'", "''")
    _execute(con, f"COPY (SELECT {select} FROM {relation}) TO '{path}' (FORMAT csv, HEADER false, COMMENT '')",
             files)


def _fragment_path(out: Path) -> Path:
    return out / f".csv-fragment.tmp-{os.getpid()}"


def _execute(con, sql: str, files: list[str]):
    """con.execute; a Ctrl-C while DuckDB runs is a KeyboardInterrupt, as everywhere else
    (DuckDB reports it as a RuntimeError "Query interrupted")."""
    import duckdb

    try:
        return con.execute(sql, {"files": files})
    except (RuntimeError, duckdb.InterruptException) as exc:
        if isinstance(exc, duckdb.InterruptException) or "interrupted" in str(exc).lower():
            raise KeyboardInterrupt from None
        raise


def _column(field: pa.Field, present: set[str]) -> str:
    """One column as the CSV writes it: null and empty text alike as an empty, unquoted field
    (DuckDB quotes an empty string to tell it from null; the contract does not tell them apart),
    NaN as null, a column older parts lack as null."""
    col = '"' + field.name.replace('"', '""') + '"'
    if field.name not in present:
        return f"NULL AS {col}"
    if pa.types.is_string(field.type):
        return f"NULLIF({col}, '') AS {col}"
    if pa.types.is_floating(field.type):
        return f"CASE WHEN isnan({col}) THEN NULL ELSE {col} END AS {col}"
    return col
