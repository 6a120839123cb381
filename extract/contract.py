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
        ("template", "string", "gioar-2019, gioar-2021, hybrid, legacy, unknown (decided from marker labels)"),
        ("status", "string", "ok (all expected tables found), partial, failed"),
        ("error", "string", "why the document failed or is partial; empty when ok"),
        ("n_cells", "integer", "cells written to cells"),
        ("n_checks_failed", "integer", "identities in checks that fail"),
        ("parser_version", "string", "version of the tool that produced the row"),
        ("supersedes", "string", "report_id of the earlier version of the same URL that this document replaces "
                                 "(fetched runs), else empty"),
        ("ocr_pages", "integer", "pages (or table images) of the document read by OCR; 0 when it has a text layer"),
    ],
    "cells": [
        ("report_id", "string", "SHA-256 of the document bytes"),
        ("table", "string", "active_disclosure, applications, review_litigation (gioar-schema.toml)"),
        ("row", "string", "canonical row key, e.g. new_requests; extra_N for a row the template does not know"),
        ("col", "string", "canonical column key, e.g. natural_person"),
        ("value", "number", "the number; null when the cell is blank or not a number"),
        ("raw", "string", "the cell text exactly as printed (after whitespace trim)"),
        ("row_label", "string", "the row label as printed in the document"),
        ("col_label", "string", "the column label as printed"),
        ("unit", "string", "unit printed in the header or the cell (万元, 元, 件…), else empty"),
        ("flags", "string", "comma-separated: blank, dash, signed_text, unit_in_cell, unplaced, unmatched_row, not_a_number; "
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
}

METRICS_FIXED = [
    ("report_id", "string", "SHA-256 of the document bytes"),
    ("agency", "string", "reporting agency"),
    ("year", "integer", "the year the report covers"),
    ("template", "string", "template of the report"),
]
METRICS_CELL = "value of cell {name} (table.row.col, keys from gioar-schema.toml)"

PANDAS_DTYPES = {"string": "string", "integer": "Int64", "number": "float64"}
