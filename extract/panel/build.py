"""Rebuild the archive tables of a dataset from the dataset alone: agencies, panel, coverage,
panel_checks (output.md "The archive"). DuckDB does the work over the Parquet parts, so memory
is bounded by its limit, not by the dataset's size; the only thing held in Python is one
identity per distinct agency spelling."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ..arrow import plain_rows
from ..contract import ARCHIVE_TABLES
from .agencies import assign_agencies
from .checks import build_panel_checks
from .indicators import indicator_table
from .rules import load_user_agencies
from .source import MEMORY_LIMIT, ArchiveError, open_dataset
from .write import write_archive

log = logging.getLogger(__name__)

USER_AGENCIES = "agencies.toml"  # read from the dataset folder unless another file is given
STATUS_RANK = "CASE status WHEN 'ok' THEN 0 WHEN 'partial' THEN 1 ELSE 2 END"
EMPTY_CELLS = """SELECT NULL::VARCHAR AS report_id, NULL::VARCHAR AS "table", NULL::VARCHAR AS "row",
    NULL::VARCHAR AS col, NULL::DOUBLE AS value, NULL::VARCHAR AS flags WHERE false"""


@dataclass
class ArchiveSummary:
    agencies: int = 0
    panel_rows: int = 0
    missing: int = 0
    failed_checks: int = 0
    review: int = 0
    unplaced_reports: int = 0  # reports without a usable agency or year: not in the archive
    seconds: float = 0.0

    def line(self) -> str:
        return (f"archive: {self.agencies} agencies, {self.panel_rows} agency-years, {self.missing} missing, "
                f"{self.failed_checks} failed cross-year checks, {self.review} for review"
                f"{f', {self.unplaced_reports} reports without agency or year' if self.unplaced_reports else ''}"
                f"; {self.seconds:.1f}s")


def detect_format(out: Path) -> str:
    """The format the dataset in `out` is kept in (what `extract panel` writes the archive in)."""
    parquet, csv = (out / "reports.parquet").exists(), (out / "reports.csv").is_file()
    return "both" if parquet and csv else "csv" if csv else "parquet"


def build_archive(out: Path | str, fmt: str | None = None, agencies_file: Path | str | None = None,
                  memory_limit: str = MEMORY_LIMIT) -> ArchiveSummary:
    """Rebuild agencies, panel, coverage and panel_checks in the dataset folder `out`.

    `agencies_file` defaults to `out/agencies.toml` when it exists (README: "The archive")."""
    start = time.perf_counter()
    out = Path(out)
    fmt = fmt or detect_format(out)
    user = load_user_agencies(Path(agencies_file) if agencies_file else out / USER_AGENCIES)
    summary = ArchiveSummary()
    try:
        with open_dataset(out, ("reports", "cells", "sections", "statements", "indicators"), memory_limit) as (con, present):
            with plain_rows():  # its lookup tables are lists: pyarrow would import pandas to check
                _build(con, present, out, fmt, user, summary)
    except duckdb.Error as exc:  # a part that cannot be read, a full disk
        raise ArchiveError(f"cannot build the archive of {out}: {exc}") from None
    summary.seconds = time.perf_counter() - start
    return summary


def _build(con: duckdb.DuckDBPyConnection, present: set[str], out: Path, fmt: str, user, summary: ArchiveSummary) -> None:
    if "cells" not in present:
        con.execute(f"CREATE VIEW cells AS {EMPTY_CELLS}")
    identities = assign_agencies(con, present, user)
    con.execute(f"""CREATE TABLE ranked AS
        SELECT a.agency_id, CAST(r.year AS BIGINT) AS year, r.report_id, r.template, r.status,
               row_number() OVER (PARTITION BY a.agency_id, r.year ORDER BY {STATUS_RANK}, r.n_cells DESC NULLS LAST,
                                  (r.report_id IN (SELECT supersedes FROM reports WHERE supersedes <> '')),
                                  r.report_id) AS choice
        FROM report_agency a JOIN reports r USING (report_id)""")
    con.execute("""CREATE TABLE chosen AS
        SELECT agency_id, year, report_id, template, status FROM ranked WHERE choice = 1""")
    keys = indicator_table(con, "chosen", present)
    ind_cols = "".join(f', i."{k}"' for k in keys)
    con.execute(f"""CREATE TABLE panel AS
        SELECT c.agency_id, c.year, c.report_id, coalesce(o.copies, '') AS copies,
               coalesce(c.template, '') AS template, coalesce(c.status, '') AS status{ind_cols}
        FROM chosen c LEFT JOIN panel_indicators i USING (report_id)
        LEFT JOIN (SELECT agency_id, year, string_agg(report_id, ';' ORDER BY choice) AS copies
                   FROM ranked WHERE choice > 1 GROUP BY agency_id, year) o USING (agency_id, year)
        ORDER BY c.agency_id, c.year""")
    con.register("identities", _identity_table(identities))
    con.execute("""CREATE TABLE agencies AS
        SELECT i.agency_id, i.name, n.names, i.province, i.city, i.county, i.adcode, i.level, i.kind,
               y.first_year, y.last_year, y.n_years
        FROM identities i
        JOIN (SELECT agency_id, min(year) AS first_year, max(year) AS last_year, count(*) AS n_years
              FROM panel GROUP BY agency_id) y USING (agency_id)
        JOIN (SELECT agency_id, string_agg(spelling, '; ' ORDER BY spelling) AS names
              FROM (SELECT DISTINCT agency_id, spelling FROM report_agency) GROUP BY agency_id) n USING (agency_id)
        ORDER BY i.agency_id""")
    con.execute("""CREATE TABLE coverage AS
        SELECT g.agency_id, g.year,
               CASE WHEN p.year IS NULL THEN 'missing' WHEN p.status = 'failed' THEN 'failed' ELSE 'reported' END AS state
        FROM (SELECT agency_id, CAST(unnest(range(first_year, (SELECT max(year) FROM panel) + 1)) AS BIGINT) AS year
              FROM agencies) g
        LEFT JOIN panel p USING (agency_id, year)
        ORDER BY g.agency_id, g.year""")
    build_panel_checks(con, keys)
    summary.agencies, = con.execute("SELECT count(*) FROM agencies").fetchone()
    summary.panel_rows, = con.execute("SELECT count(*) FROM panel").fetchone()
    summary.missing, = con.execute("SELECT count(*) FROM coverage WHERE state = 'missing'").fetchone()
    summary.failed_checks, summary.review = con.execute(
        "SELECT count(*) FILTER (WHERE status = 'fail'), count(*) FILTER (WHERE status = 'review') "
        "FROM panel_checks").fetchone()
    summary.unplaced_reports, = con.execute(
        "SELECT count(*) FROM reports WHERE report_id NOT IN (SELECT report_id FROM report_agency)").fetchone()
    write_archive(con, out, fmt, keys)


def _identity_table(identities: dict) -> pa.Table:
    cols = [c for c, _, _ in ARCHIVE_TABLES["agencies"] if c in ("agency_id", "name", "province", "city", "county",
                                                                  "adcode", "level", "kind")]
    rows = {c: [] for c in cols}
    for agency_id, ident in identities.items():
        for c in cols:
            rows[c].append(agency_id if c == "agency_id" else getattr(ident, c))
    return pa.table({c: pa.array(v, pa.string()) for c, v in rows.items()})
