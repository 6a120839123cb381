"""The output data contract (shared/spec/output.md): every table's columns, types and meanings.

This is the one place a column's meaning is written; the frames, the Parquet and CSV files
and `datapackage.json` all take their columns from here.
"""
from __future__ import annotations

# (name, frictionless type, description)
TABLES: dict[str, list[tuple[str, str, str]]] = {
    "reports": [
        ("report_id", "string", "SHA-256 (hex) of the document bytes"),
        ("source", "string", "path or URL the document was read from"),
        ("format", "string", "html, pdf, docx, doc, text"),
        ("encoding", "string", "detected text encoding (html, text), else empty"),
        ("title", "string", "document title where one is found"),
        ("agency", "string", "reporting agency, e.g. 漳平市教育局"),
        ("province", "string", "province of the agency, where determinable"),
        ("city", "string", "prefecture-level city of the agency, where determinable"),
        ("county", "string", "county-level division of the agency, where determinable"),
        ("adcode", "string", "6-digit administrative division code (GB/T 2260), where determinable"),
        ("year", "integer", "the year the report covers (not the year it was published)"),
        ("template", "string", "gioar-2019, gioar-2021, hybrid, legacy, unknown (decided from marker labels; legacy: "
                               "a report on 2008-2018, whose statistics table, if printed, fills legacy_statistics)"),
        ("status", "string", "ok (all expected tables found), partial, failed"),
        ("error", "string", "why the document failed or is partial; empty when ok"),
        ("failure", "string", "what a failure is owed to, empty unless failed: document (its bytes: "
                              "parsing it again gives the same), environment (a tool or the file missing "
                              "or unreadable here), limit (a time or memory limit, a worker process lost). "
                              "--resume and `extract run` parse environment and limit failures again"),
        ("n_cells", "integer", "cells written to cells"),
        ("n_checks_failed", "integer", "identities in checks that fail"),
        ("parser_version", "string", "version of the tool that produced the row"),
        ("supersedes", "string", "report_id of the earlier version of the same URL that this document replaces "
                                 "(fetched runs), else empty"),
        ("latest", "boolean", "true unless a later version of the same URL supersedes this row: filter on it to "
                              "count each report once. A fetched document is a new version only when its "
                              "content (content_sha256) changed"),
        ("content_sha256", "string", "SHA-256 of the parsed content (cells, statements, sections' text without "
                                     "page furniture such as visit counters); empty for a failed document"),
        ("redirected_to", "string", "the URL a fetched document was finally served from, when `source` "
                                    "redirected, else empty"),
        ("ocr_pages", "integer", "pages (or table images) of the document read by OCR; 0 when it has a text layer"),
    ],
    "cells": [
        ("report_id", "string", "SHA-256 of the document bytes"),
        ("table", "string", "active_disclosure, applications, review_litigation, legacy_statistics (gioar-schema.toml)"),
        ("row", "string", "canonical row key, e.g. new_requests; extra_N for a row the template does not know"),
        ("col", "string", "canonical column key, e.g. natural_person"),
        ("value", "number", "the number; null when the cell is blank or not a number"),
        ("raw", "string", "the cell text exactly as printed (after whitespace trim)"),
        ("row_label", "string", "the row label as printed in the document"),
        ("col_label", "string", "the column label as printed"),
        ("unit", "string", "unit printed in the header or the cell (万元, 元, 件…), else empty"),
        ("flags", "string", "comma-separated: blank, dash, signed_text, unit_in_cell, unplaced, unmatched_row, not_a_number, "
                            "placed_by_identity (a collapsed run placed because one placement alone satisfies "
                            "the identities), not_printed (a column cut off at the page edge), "
                            "ocr (read by OCR from an image), ocr_low_confidence (OCR confidence below the calibrated "
                            "threshold), ocr_suspect (read by OCR and in an identity that fails: the check's note names "
                            "the cells), ocr_corrected (an OCR confusion such as 8 for 0 corrected because exactly one "
                            "correction makes every identity hold; raw keeps the OCR text)"),
        ("page", "integer", "page number for paged formats, else null"),
        ("ocr_confidence", "number", "OCR's confidence (0-1) in the cell's text, for cells read by OCR; else null"),
    ],
    "sections": [
        ("report_id", "string", "SHA-256 of the document bytes"),
        ("ordinal", "integer", "1-based position in the document"),
        ("number", "string", "the heading's own numbering as printed, e.g. 一"),
        ("heading", "string", "heading text as printed"),
        ("section", "string", "canonical key from gioar-schema.toml, or unknown"),
        ("text", "string", "the section's prose (tables excluded)"),
    ],
    "checks": [
        ("report_id", "string", "SHA-256 of the document bytes"),
        ("check", "string", "check id from gioar-schema.toml plus the column or row, e.g. applications.balance[total]"),
        ("status", "string", "pass, fail, not_assessable"),
        ("lhs", "number", "left side as computed"),
        ("rhs", "number", "right side as computed"),
        ("note", "string", "e.g. blank cells counted as 0"),
    ],
    "statements": [
        ("report_id", "string", "SHA-256 of the document bytes"),
        ("key", "string", "indicator key (a legacy_statistics row of gioar-schema.toml), e.g. requests_received"),
        ("value", "number", "the number as stated (0 for a stated absence such as 未收到…申请)"),
        ("unit", "string", "条, 件, 人次, 元, 万元… as stated"),
        ("flags", "string", "comma-separated: implied_zero (stated as none), approximate (…多, 近…, 约…), "
                            "scope (the figure is for a part, e.g. 各乡镇, not the whole agency)"),
        ("section", "string", "canonical key of the section the sentence is in"),
        ("sentence", "string", "the sentence exactly as printed: the provenance a reader checks"),
        ("start", "integer", "character offset of the number in the section text"),
    ],
    "indicators": [
        ("report_id", "string", "SHA-256 of the document bytes"),
        ("indicator", "string", "key from gioar-schema.toml [[indicators]], e.g. requests_received"),
        ("value", "number", "the figure"),
        ("source", "string", "table, legacy_table, statement"),
        ("ref", "string", "the cell (applications.new_requests.total) or the statement's sentence it came from"),
    ],
}

METRICS_FIXED = [
    ("report_id", "string", "SHA-256 of the document bytes"),
    ("agency", "string", "reporting agency"),
    ("year", "integer", "the year the report covers"),
    ("template", "string", "template of the report"),
]
METRICS_CELL = "value of cell {name} (table.row.col, keys from gioar-schema.toml)"

PANDAS_DTYPES = {"string": "string", "integer": "Int64", "number": "float64", "boolean": "boolean"}

# The archive (output.md "The archive"): tables over the whole dataset, rebuilt by extract/panel.
ARCHIVE_TABLES: dict[str, list[tuple[str, str, str]]] = {
    "agencies": [
        ("agency_id", "string", "stable id: adcode (the province's where the county is unknown, 100000 for "
                                "national bodies, empty where no region is known) + ':' + the canonical name"),
        ("name", "string", "canonical name, e.g. 三明市人民政府 (a title naming only the place is its government)"),
        ("names", "string", "every spelling seen in reports.agency, '; '-separated"),
        ("province", "string", "province of the agency, where determinable"),
        ("city", "string", "prefecture-level city of the agency, where determinable"),
        ("county", "string", "county-level division of the agency, where determinable"),
        ("adcode", "string", "6-digit administrative division code (GB/T 2260), where determinable"),
        ("level", "string", "national, province, city, county, township, unknown"),
        ("kind", "string", "government (人民政府, 管委会, 办公厅…), department (局, 委, 办…), other"),
        ("first_year", "integer", "first year with a report"),
        ("last_year", "integer", "last year with a report"),
        ("n_years", "integer", "years with a report"),
    ],
    "panel": [
        ("agency_id", "string", "the agency (agencies.agency_id)"),
        ("year", "integer", "the year covered"),
        ("report_id", "string", "the chosen document: best status (ok over partial over failed), then most "
                                "cells, then the latest fetched (one that supersedes another wins), then report_id"),
        ("copies", "string", "report_ids of the other documents for the same agency and year, ';'-separated"),
        ("template", "string", "template of the chosen document"),
        ("status", "string", "status of the chosen document"),
    ],
    "coverage": [
        ("agency_id", "string", "the agency (agencies.agency_id)"),
        ("year", "integer", "every year from the agency's first to the last year in the dataset"),
        ("state", "string", "reported, missing (no document for that year), failed (documents, none readable)"),
    ],
    "panel_checks": [
        ("agency_id", "string", "the agency (agencies.agency_id)"),
        ("year", "integer", "the later of the two consecutive years compared"),
        ("check", "string", "carry_over[col], in_force[row], cumulative[row], outlier[indicator]"),
        ("status", "string", "pass, fail, not_assessable, review (outlier: a jump of 10x or more, never a fail)"),
        ("lhs", "number", "left side: the earlier year's figure (in_force and cumulative: plus the later year's flow)"),
        ("rhs", "number", "right side: the later year's figure"),
        ("report_ids", "string", "the two documents compared, earlier;later"),
    ],
}
PANEL_INDICATOR = "indicator {name} of the chosen report ({text}), as in indicators"
