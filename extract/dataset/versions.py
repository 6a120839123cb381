"""Versions of a fetched report: a row that supersedes another is a new version only when what
it says changed (reports.content_sha256); one that repeats its predecessor (a page whose visit
counter went up) is dropped. Of a chain of versions only the last has `latest` true.

Run when a writer closes, on the rows of that run that name a predecessor: nothing is read
when a run superseded nothing."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from .writer import ALL_TABLES, _atomic_write, _parts, drop_reports, read_part


def _columns(part: Path, names: list[str]) -> list[list]:
    table = read_part(part, names)
    return [table.column(n).to_pylist() for n in names]


def settle_versions(out: Path, run: str) -> None:
    """Drop this run's rows that only repeat the version they supersede, point the others at the
    last version kept, and clear `latest` on every version superseded."""
    folder = Path(out) / "reports.parquet"
    mine = [p for p in _parts(folder) if p.name.startswith(f"part-{run}-")]
    new: dict[str, tuple[str, str]] = {}  # report_id → (supersedes, content_sha256)
    for part in mine:
        for rid, old, content in zip(*_columns(part, ["report_id", "supersedes", "content_sha256"])):
            if old:
                new[rid] = (old, content)
    if not new:
        return
    import pyarrow.compute as pc  # (here: a run that superseded nothing need not load it)

    content: dict[str, str] = {}
    wanted = pa.array(sorted({old for old, _ in new.values()} | set(new)), pa.string())
    for part in _parts(folder):
        table = read_part(part, ["report_id", "content_sha256"])
        table = table.filter(pc.is_in(table.column("report_id"), value_set=wanted))
        content.update(zip(table.column(0).to_pylist(), table.column(1).to_pylist()))

    dropped: set[str] = set()

    def kept_version(rid: str) -> str:
        while rid in dropped:
            rid = new[rid][0]
        return rid

    settled = False
    while not settled:  # a chain of repeats (a run resumed after another) settles in a few rounds
        settled = True
        for rid, (old, text) in new.items():
            base = kept_version(old)
            if rid not in dropped and text and content.get(base) == text:
                dropped.add(rid)
                settled = False
    drop_reports(dropped, [p for name in ALL_TABLES for p in _parts(Path(out) / f"{name}.parquet")
                           if p.name.startswith(f"part-{run}-")])
    repointed = {rid: kept_version(old) for rid, (old, _) in new.items()
                 if rid not in dropped and kept_version(old) != old}
    superseded = {kept_version(old) for rid, (old, _) in new.items() if rid not in dropped}
    touched = pa.array(sorted(superseded | set(repointed)), pa.string())
    for part in _parts(folder):
        table = read_part(part)
        hit = pc.is_in(table.column("report_id"), value_set=touched)
        if not pc.any(hit).as_py():
            continue
        ids = table.column("report_id").to_pylist()
        latest = [False if rid in superseded else flag for rid, flag in zip(ids, table.column("latest").to_pylist())]
        old = [repointed.get(rid, sup) for rid, sup in zip(ids, table.column("supersedes").to_pylist())]
        table = table.set_column(table.schema.get_field_index("latest"), "latest", pa.array(latest, pa.bool_()))
        table = table.set_column(table.schema.get_field_index("supersedes"), "supersedes", pa.array(old, pa.string()))
        _atomic_write(table, part)
