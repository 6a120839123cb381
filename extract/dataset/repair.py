"""One live copy of every report: what a run does to the parts before it starts and when it ends.

A run writes each chunk of reports as one part per table, all under the same file name
(`part-{writer}-{chunk}.parquet`), the reports part last. So after any interruption (Ctrl-C,
kill -9, a lost worker, a full disk):

- a part whose name has no reports part is a chunk that was never finished: it is removed;
- a report_id found in the reports parts of two chunks was parsed again (a re-parse, a retried
  failure, a re-parse interrupted and resumed): the newest chunk's copy is the live one, and
  the report's rows are removed from the other chunks' parts, in every table.

The parts a CSV-only dataset was imported into (`part-csv-…`) count as one chunk.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)


def chunk_of(part: Path) -> str:
    """The chunk a part belongs to: its file name (all imported CSV parts are one chunk)."""
    return "part-csv" if part.name.startswith("part-csv-") else part.name


def keep_one_copy(out: Path) -> int:
    """Remove unfinished chunks and every copy but the newest of each report; returns the number
    of reports whose older copies were removed."""
    from .writer import ALL_TABLES, _parts, drop_reports, read_part

    out = Path(out)
    reports = _parts(out / "reports.parquet")
    newest_first = sorted(reports, key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
    live: dict[str, str] = {}  # report_id -> the chunk holding its live copy
    stale: dict[str, set[str]] = {}  # chunk -> report_ids whose live copy is in another chunk
    for part in newest_first:
        chunk = chunk_of(part)
        for rid in read_part(part, ["report_id"]).column(0).to_pylist():
            holder = live.setdefault(rid, chunk)
            if holder != chunk:
                stale.setdefault(chunk, set()).add(rid)
    finished = {chunk_of(p) for p in reports}
    unfinished = 0
    for name in ALL_TABLES:
        for part in _parts(out / f"{name}.parquet"):
            chunk = chunk_of(part)
            if chunk not in finished:
                part.unlink()
                unfinished += 1
            elif chunk in stale:
                drop_reports(stale[chunk], [part])
    doubled = sum(len(ids) for ids in stale.values())
    if unfinished:
        log.info("%s: removed %d parts of chunks an interrupted run did not finish", out, unfinished)
    if doubled:
        log.info("%s: %d reports were parsed again; their older rows were removed", out, doubled)
    return doubled


def upgrade_parts(out: Path) -> int:
    """Rewrite parts written before a column was added to the contract (e.g. reports.failure),
    with that column empty: a table whose parts disagree on their columns reads as the first
    part's columns, or not at all. Returns the number of parts rewritten."""
    from .writer import ALL_TABLES, _atomic_write, _parts, _schema, read_part

    rewritten = 0
    for name in ALL_TABLES:
        schema = _schema(name)
        for part in _parts(Path(out) / f"{name}.parquet"):
            if pq.read_schema(part).names == schema.names:
                continue
            table = read_part(part)
            columns = [table.column(f.name).cast(f.type) if f.name in table.column_names
                       else pa.nulls(table.num_rows, f.type) for f in schema]
            _atomic_write(pa.Table.from_arrays(columns, schema=schema), part)
            rewritten += 1
    if rewritten:
        log.info("%s: %d parts written by an earlier version were given the columns added since", out, rewritten)
    return rewritten
