"""Every report's agency_id: the spellings of the dataset identified once each, the unplaced
ones (城关镇人民政府) placed per report from its own title and first sections, then the user's
agencies.toml merges what the rules cannot see. The result is a DuckDB table
`report_agency(report_id, agency_id, spelling)` and the identities by agency_id."""
from __future__ import annotations

import logging

import duckdb
import pyarrow as pa

from .identity import (Identity, context_snippets, identify, place_in_context, place_of_adcode, placed_by_context,
                       prime, read_places, stripped)
from .rules import AgenciesFileError, UserAgencies

log = logging.getLogger(__name__)

CONTEXT_CHARS = 3000  # of each of the first sections: where a report names its own county
CONTEXT_SECTIONS = 3
BATCH = 5000


def _user_merges(user: UserAgencies) -> tuple[dict[str, Identity], dict[str, str]]:
    """(identity of every user-named agency by its own id, agency_id → the id it merges into)."""
    targets: dict[str, Identity] = {}
    merge: dict[str, str] = {}
    for entry in user.agencies:
        target = identify(entry.name)
        if target is None:
            continue
        if entry.adcode and not target.placed:  # the county of a name no report places
            try:
                placed = placed_by_context(target, place_of_adcode(entry.adcode))
            except ValueError as exc:
                raise AgenciesFileError(f"agencies.toml: {entry.name}: {exc}") from None
            merge[target.agency_id] = placed.agency_id
            target = placed
        targets[target.agency_id] = target
        for other in entry.other_names:
            ident = identify(other)
            if ident is not None and ident.agency_id != target.agency_id:
                merge[ident.agency_id] = target.agency_id
    return targets, merge


def assign_agencies(con: duckdb.DuckDBPyConnection, present: set[str], user: UserAgencies) -> dict[str, Identity]:
    """Create table report_agency for every report with an agency and a year; returns the
    identities by agency_id (after the user's merges)."""
    spellings = [r[0] for r in con.execute(
        "SELECT DISTINCT agency FROM reports WHERE agency IS NOT NULL AND agency <> '' AND year IS NOT NULL").fetchall()]
    prime(filter(None, (stripped(s) for s in spellings)))
    by_spelling = {s: identify(s) for s in spellings}
    unplaced = [s for s, i in by_spelling.items() if i is not None and not i.placed]
    identities: dict[str, Identity] = {i.agency_id: i for i in by_spelling.values() if i is not None}
    per_report: list[tuple[str, str]] = []
    if unplaced:
        con.register("unplaced_spellings", pa.table({"agency": unplaced}))
        sections = ""
        if "sections" in present:
            sections = f"""LEFT JOIN (SELECT report_id, string_agg(substr(text, 1, {CONTEXT_CHARS}), '\n'
                                        ORDER BY ordinal) AS body
                                 FROM sections WHERE ordinal <= {CONTEXT_SECTIONS}
                                   AND report_id IN (SELECT report_id FROM reports
                                                     WHERE agency IN (SELECT agency FROM unplaced_spellings))
                                 GROUP BY report_id) s USING (report_id)"""
        body = "s.body" if sections else "''"
        cur = con.execute(f"""SELECT r.report_id, r.agency, r.title, {body} FROM reports r {sections}
                              WHERE r.year IS NOT NULL AND r.agency IN (SELECT agency FROM unplaced_spellings)""")
        while rows := cur.fetchmany(BATCH):
            snippets = [context_snippets(by_spelling[agency], [title or "", text or ""])
                        for _, agency, title, text in rows]
            located = read_places(s for group in snippets for s in group)  # per batch: not kept
            for (report_id, agency, _, _), found in zip(rows, snippets):
                ident = by_spelling[agency]
                place = place_in_context(found, located)
                if place is not None:
                    placed = placed_by_context(ident, place)
                    identities.setdefault(placed.agency_id, placed)
                    per_report.append((report_id, placed.agency_id))
        con.unregister("unplaced_spellings")
    targets, merge = _user_merges(user)
    identities.update(targets)

    def final(agency_id: str) -> str:
        seen = set()
        while agency_id in merge and agency_id not in seen:
            seen.add(agency_id)
            agency_id = merge[agency_id]
        return agency_id

    con.register("spelling_agency", pa.table({
        "agency": [s for s, i in by_spelling.items() if i is not None],
        "agency_id": [final(i.agency_id) for i in by_spelling.values() if i is not None]}))
    con.register("context_agency", pa.table({"report_id": [r for r, _ in per_report],
                                             "agency_id": [final(a) for _, a in per_report]},
                                            schema=pa.schema([("report_id", pa.string()), ("agency_id", pa.string())])))
    con.execute("""CREATE TABLE report_agency AS
        SELECT r.report_id, coalesce(c.agency_id, s.agency_id) AS agency_id, r.agency AS spelling
        FROM reports r JOIN spelling_agency s ON r.agency = s.agency
        LEFT JOIN context_agency c ON r.report_id = c.report_id
        WHERE r.year IS NOT NULL""")
    con.unregister("spelling_agency")
    con.unregister("context_agency")
    return {agency_id: ident for agency_id, ident in identities.items() if agency_id not in merge}
