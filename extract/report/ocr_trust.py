"""Which numbers read by OCR to trust, from the identities (勾稽关系) of the tables.

A cell read by OCR is flagged `ocr`, and `ocr_low_confidence` when the recogniser was less sure
than LOW_CONFIDENCE. A number that makes every identity it takes part in hold is trusted. Where
an identity fails in an OCR'd table:

- a common confusion of the recogniser (0/8/6/9, 1/7 in one digit, a lost single-digit cell:
  ink read as nothing, a 1 read as a dash) is corrected when exactly one such change of one cell
  makes every identity that cell takes part in hold (two at least: its row's and its column's),
  breaks none, and no other single change does the same for those checks: the cell gets the
  corrected value, `raw` keeps the OCR text, flag `ocr_corrected`;
- otherwise every OCR'd cell of the failing identity (its row or column) is flagged
  `ocr_suspect`, and the check's note names them.

Failing identities of cells not read by OCR are the report's own arithmetic and stay as printed.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from .checks import CheckResult, run_checks
from .schema import Schema
from .templates import MatchedCell

log = logging.getLogger(__name__)

# Calibrated on the corpus's PDFs made image-only (bench/bench_ocr.py, 14 pages, 584 cells): the
# cells OCR misread (a lost 1, a "1 5" from two rows) came with 0.46 or less, or with 0.93-1.0
# (numbers read cleanly but placed in the wrong cell: only the identities catch those). Below
# 0.7 are 8% of the right cells at 150 dpi (lone zeros mostly), 4% at 100 dpi.
LOW_CONFIDENCE = 0.7
# Digits the recogniser takes for one another in printed tables.
CONFUSIONS = {"0": "869", "8": "069", "6": "089", "9": "068", "1": "7", "7": "1"}
MAX_TRIALS = 4000  # identity evaluations per document at most (a big table full of failures)
_DIGITS = re.compile(r"\d+")


@dataclass
class _Change:
    cell: MatchedCell
    value: float
    fixes: frozenset[str]  # ids of the failing checks it makes hold


def _alternatives(cell: MatchedCell) -> list[float]:
    """The values a confused reading of this cell could stand for."""
    raw = cell.raw.strip()
    if cell.value is None:
        if not raw and "blank" in cell.flags and cell.confidence < LOW_CONFIDENCE:
            # Ink that read as nothing: a lost single digit (0 changes no sum). A cell with no
            # ink at all is surely blank.
            return [float(d) for d in range(1, 10)]
        if "dash" in cell.flags and raw in ("—", "-", "一"):
            return [1.0]  # a 1 read as a stroke
        return []
    if not _DIGITS.fullmatch(raw):
        return []
    out = []
    for i, ch in enumerate(raw):
        for alt in CONFUSIONS.get(ch, ""):
            text = raw[:i] + alt + raw[i + 1:]
            if len(text) > 1 and text[0] == "0":
                continue
            out.append(float(text))
    return out


def _key(c: MatchedCell) -> tuple[str, str, str]:
    return (c.table, c.row, c.col)


def review(cells: list[MatchedCell], checks: list[CheckResult], schema: Schema) -> list[CheckResult]:
    """Flag the OCR'd cells, correct the confusions the identities prove, flag the suspects;
    returns the checks evaluated again after any correction."""
    ocr = [c for c in cells if c.confidence is not None]
    if not ocr:
        return checks
    for c in ocr:
        c.flags.append("ocr")
        if c.confidence < LOW_CONFIDENCE:
            c.flags.append("ocr_low_confidence")
    by_key = {_key(c): c for c in cells}
    corrected: dict[tuple[str, str, str], str] = {}
    trials = 0
    for _ in range(4):  # rounds: a correction can make the next one provable
        failing = {ch.check: ch for ch in checks if ch.status == "fail"}
        if not failing:
            break
        candidates = {t for ch in failing.values() for t in ch.cells
                      if t in by_key and by_key[t].confidence is not None and t not in corrected}
        changes: list[_Change] = []
        for cell in (by_key[t] for t in sorted(candidates)):
            for value in _alternatives(cell):
                trials += 1
                if trials > MAX_TRIALS:
                    break
                after = _with(cell, value, lambda: run_checks(cells, schema))
                status = {ch.check: ch.status for ch in after}
                if any(status.get(k) == "fail" and k not in failing for k in status):
                    continue  # breaks an identity that held
                mine = [ch for ch in after if _key(cell) in ch.cells and ch.status != "not_assessable"]
                if len(mine) < 2 or any(ch.status == "fail" for ch in mine):
                    continue  # proven only by two identities (its row's and its column's) holding
                fixes = frozenset(k for k in failing if status.get(k) == "pass")
                if fixes:
                    changes.append(_Change(cell, value, fixes))
        applied = False
        for ch in changes:
            rivals = [o for o in changes if o is not ch and o.fixes & ch.fixes]
            if rivals:
                continue  # another change would do as well: nothing is proven
            cell = ch.cell
            log.info("OCR correction %s.%s.%s: %r read, %g proven by the identities", *_key(cell), cell.raw, ch.value)
            corrected[_key(cell)] = cell.raw
            cell.value = ch.value
            cell.flags = [f for f in cell.flags if f not in ("blank", "dash")] + ["ocr_corrected"]
            applied = True
        if not applied:
            break
        checks = run_checks(cells, schema)
    for ch in checks:
        touched = [t for t in ch.cells if t in corrected]
        if touched:
            fixed = ", ".join(f"{r}.{c} (OCR read {corrected[(tb, r, c)] or 'blank'!r}, "
                              f"{by_key[(tb, r, c)].value:g} proven)" for tb, r, c in touched)
            ch.note = _join(ch.note, f"OCR corrected: {fixed}")
        if ch.status != "fail":
            continue
        suspects = [by_key[t] for t in ch.cells if t in by_key and by_key[t].confidence is not None]
        for cell in suspects:
            if "ocr_suspect" not in cell.flags:
                cell.flags.append("ocr_suspect")
        if suspects:
            ch.note = _join(ch.note, "ocr_suspect: " + ", ".join(f"{c.row}.{c.col}" for c in suspects))
    return checks


def _with(cell: MatchedCell, value: float, fn):
    """fn() evaluated with the cell holding `value` for a moment."""
    old_value, old_flags = cell.value, cell.flags
    cell.value, cell.flags = value, [f for f in cell.flags if f not in ("blank", "dash")]
    try:
        return fn()
    finally:
        cell.value, cell.flags = old_value, old_flags


def _join(note: str, more: str) -> str:
    return f"{note}; {more}" if note else more
