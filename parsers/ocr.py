"""OCR of page images (scanned PDF pages, tables pasted as pictures) into the document model.

RapidOCR on ONNX Runtime (the optional extra `pip install 'gioar-extract[ocr]'`; its wheel ships
the PP-OCR models, nothing is downloaded) gives text boxes with coordinates and a confidence.
From them this module rebuilds what a text reader would have given, so that the same template
matching runs unchanged:

- ruling lines are found in the image itself (long thin runs of pixels darker than the paper
  around them, numpy only): where printed, they give the table's grid, its merged cells (a
  border that is not drawn) and which box belongs to which cell; a detected box that a rule
  runs through is cut there (neighbouring "0 0" read as "oo"); a table without rules becomes
  rows of boxes standing in columns;
- a grid cell where nothing was detected but ink is printed is recognised again on its own;
- the boxes outside tables become lines, paragraphs (a line running to the margin continued by
  the next one); page numbers and running headers in the margins are dropped;
- every cell and paragraph keeps the OCR confidence (the lowest of its boxes; an empty cell 1
  without ink, 0 with ink that reads as nothing; 0 for numbers on two lines of one cell), which
  the report wing turns into the flags `ocr` and `ocr_low_confidence`;
- a page turned by 90°, 180° or 270° is turned back (text boxes standing upright, or the line
  classifier reading most lines upside down).

Bounded: `OcrSettings.page_seconds` per page (checked between recognition batches; detection
of one page is bounded by the image size), `max_pages` per document and `doc_seconds` in all, so
that a long scan ends partial with the reason instead of being killed by the batch's limit. The
engine is loaded once per process (`engine()`; `warm_up` for Dask workers).

Settings come from the environment (the CLI sets them; local workers get them when they start,
Dask workers through `warm_up`):
GIOAR_OCR=0 turns OCR off, GIOAR_OCR_DPI, GIOAR_OCR_PAGE_SECONDS, GIOAR_OCR_MAX_PAGES,
GIOAR_OCR_DOC_SECONDS, GIOAR_OCR_THREADS (ONNX Runtime threads; 0: its default).
"""
from __future__ import annotations

import io
import logging
import os
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from .model import Block, Cell, Document, Paragraph, Table
from .pdf import _PAGE_NUMBER, join_pieces, tidy

if TYPE_CHECKING:  # numpy comes with the extra's dependencies (and pdfplumber's)
    import numpy as np

log = logging.getLogger(__name__)

ENABLE_HINT = "OCR is not installed: pip install 'gioar-extract[ocr]' to read scanned pages and table images"
MIN_SCORE = 0.3  # boxes read with less confidence are noise (RapidOCR's own default drops < 0.5)
REC_BATCH = 24  # crops recognised between two looks at the clock
DARK = 150  # grey level below which a pixel is ink (white paper, black or grey print)


@dataclass(frozen=True)
class OcrSettings:
    enabled: bool = True
    dpi: int = 150
    page_seconds: float = 40.0
    max_pages: int = 12
    doc_seconds: float = 100.0  # under the batch's default --doc-timeout of 120 s
    threads: int = 0

    @classmethod
    def from_env(cls) -> "OcrSettings":
        env = os.environ
        d = cls()
        return cls(enabled=env.get("GIOAR_OCR", "1") not in ("0", "false", "no", "off"),
                   dpi=int(env.get("GIOAR_OCR_DPI") or d.dpi),
                   page_seconds=float(env.get("GIOAR_OCR_PAGE_SECONDS") or d.page_seconds),
                   max_pages=int(env.get("GIOAR_OCR_MAX_PAGES") or d.max_pages),
                   doc_seconds=float(env.get("GIOAR_OCR_DOC_SECONDS") or d.doc_seconds),
                   threads=int(env.get("GIOAR_OCR_THREADS") or d.threads))


def environment() -> dict[str, str]:
    """The GIOAR_OCR* variables of this process (handed to Dask workers)."""
    return {k: v for k, v in os.environ.items() if k.startswith("GIOAR_OCR")}


@lru_cache(maxsize=1)
def available() -> bool:
    try:
        import rapidocr_onnxruntime  # noqa: F401  (only whether it is there)
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def engine():
    """The RapidOCR engine of this process, loaded on first use (about 0.2 s) and kept."""
    from rapidocr_onnxruntime import RapidOCR

    threads = OcrSettings.from_env().threads or -1
    return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=threads if threads > 0 else -1,
                    text_score=MIN_SCORE, print_verbose=False)


def use_environment(env: dict[str, str]) -> None:
    """Take these GIOAR_OCR* settings (a worker process, from the run that started it: a fork
    server keeps the environment it was started with)."""
    for key in [k for k in os.environ if k.startswith("GIOAR_OCR") and k not in env]:
        del os.environ[key]
    os.environ.update(env)


def warm_up(env: dict[str, str] | None = None) -> None:
    """Take the caller's OCR settings and load the engine once (Dask workers, before any document)."""
    if env is not None:
        use_environment(env)
    if OcrSettings.from_env().enabled and available():
        engine()


class OcrTimeUp(Exception):
    """The page's or the document's OCR time limit was reached."""


# -- text boxes ----------------------------------------------------------------------------------


@dataclass
class TextBox:
    x0: float
    top: float
    x1: float
    bottom: float
    text: str
    score: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _detect(img: "np.ndarray"):
    """Text regions (quadrilaterals, in the scaled image) and the scaled image, its ratios."""
    eng = engine()
    scaled, ratio_h, ratio_w = eng.preprocess(img)
    boxes, _ = eng.auto_text_det(scaled)
    return (boxes if boxes is not None else []), scaled, ratio_h, ratio_w


def _recognise(crops: list, deadline: float) -> list[tuple[str, float]]:
    eng = engine()
    out: list[tuple[str, float]] = []
    for i in range(0, len(crops), REC_BATCH):
        if time.monotonic() > deadline:
            raise OcrTimeUp()
        res, _ = eng.text_rec(crops[i:i + REC_BATCH])
        out.extend((r[0], float(r[1])) for r in res)
    return out


def _upside_down(crops: list) -> bool:
    """Do most text lines read upside down (a page scanned the wrong way round)?"""
    sample = sorted(crops, key=lambda c: -c.shape[1])[:12]
    if len(sample) < 3:
        return False
    _, res, _ = engine().text_cls(sample)
    flipped = sum(1 for label, score in res if label == "180" and score > 0.9)
    return flipped > len(sample) / 2


def _upright(img: "np.ndarray", deadline: float):
    """The image turned upright, the turn (degrees counter-clockwise) and its detection."""
    import numpy as np

    turn = 0
    det = _detect(img)
    quads = det[0]
    # Lines of text are long: among the clearly elongated boxes (not lone digits), most stand
    # upright when the page lies on its side.
    sides = [(max(p[0] for p in q) - min(p[0] for p in q), max(p[1] for p in q) - min(p[1] for p in q)) for q in quads]
    long = [(w, h) for w, h in sides if max(w, h) > 2.5 * max(1.0, min(w, h))]
    tall = sum(1 for w, h in long if h > w)
    if len(long) >= 3 and tall > 0.6 * len(long):
        # Text boxes standing upright: the page lies on its side. Which side: the turn whose
        # widest lines read with more confidence.
        best = None
        for k in (1, 3):
            cand = np.ascontiguousarray(np.rot90(img, k))
            d2 = _detect(cand)
            crops = engine().get_crop_img_list(d2[1], d2[0])
            widest = sorted(crops, key=lambda c: -c.shape[1])[:8]
            score = sum(s for _, s in _recognise(widest, deadline)) if widest else 0.0
            if best is None or score > best[0]:
                best = (score, k, cand, d2)
        turn, img, det = 90 * best[1], best[2], best[3]
    if time.monotonic() > deadline:
        raise OcrTimeUp()
    if _upside_down(engine().get_crop_img_list(det[1], det[0])):
        turn = (turn + 180) % 360
        img = np.ascontiguousarray(np.rot90(img, 2))
        det = _detect(img)
    return img, turn, det


def _split_at_rules(quads, v: list[Rule], rw: float, rh: float, unit: float) -> list["np.ndarray"]:
    """Detected regions cut where a drawn vertical rule runs through them (the detector joins
    the numbers of neighbouring cells across a thin rule: "0 0" read as "oo")."""
    import numpy as np

    out = []
    for q in quads:
        x0, x1 = min(p[0] for p in q) * rw, max(p[0] for p in q) * rw
        y0, y1 = min(p[1] for p in q) * rh, max(p[1] for p in q) * rh
        cuts = sorted(r.at for r in v if x0 + unit / 2 < r.at < x1 - unit / 2
                      and r.lo <= y0 + (y1 - y0) * 0.3 and r.hi >= y1 - (y1 - y0) * 0.3)
        if not cuts:
            out.append(q)
            continue
        edges = [x0] + cuts + [x1]
        for a, b in zip(edges, edges[1:]):
            a, b = a + (2 if a in cuts else 0), b - (2 if b in cuts else 0)
            if b - a >= unit / 3:
                out.append(np.array([[a / rw, y0 / rh], [b / rw, y0 / rh], [b / rw, y1 / rh], [a / rw, y1 / rh]],
                                    dtype=np.float32))
    return out


def _to_boxes(quads, texts, rw: float, rh: float) -> list[TextBox]:
    boxes = []
    for q, (text, score) in zip(quads, texts):
        text = _digit_like(tidy(text))
        if not text or score < MIN_SCORE:
            continue
        xs, ys = [p[0] * rw for p in q], [p[1] * rh for p in q]
        boxes.append(TextBox(min(xs), min(ys), max(xs), max(ys), text, score))
    return boxes


_DIGITISH = re.compile(r"[\dOoDlI|,，.。○〇]+")
_AS_DIGIT = str.maketrans({"O": "0", "o": "0", "D": "0", "。": "0", "○": "0", "〇": "0", "l": "1", "I": "1", "|": "1"})


def _digit_like(text: str) -> str:
    """A number read with letters for digits ("O", "l") is the number: in these tables a lone
    letter O is never meant. A lone 一 is a stroke: a dash (or a 1, which the identities decide)."""
    if text == "一":
        return "—"
    if _DIGITISH.fullmatch(text) and (any(ch.isdigit() for ch in text) or set(text) <= set("Oo。○〇")):
        return text.translate(_AS_DIGIT)
    return text


# -- ruling lines --------------------------------------------------------------------------------


@dataclass
class Rule:
    """A drawn line: horizontal (at y `at`, from `lo` to `hi` in x) or vertical (at x, lo..hi in y)."""

    at: float
    lo: float
    hi: float
    thick: float = 1.0


def _runs(mask: "np.ndarray", min_len: int) -> list[tuple[int, int, int]]:
    """(row, start, end) of the runs of True at least `min_len` long, row by row."""
    import numpy as np

    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    sr, sc = np.nonzero(d == 1)
    _, ec = np.nonzero(d == -1)  # the same rows, in the same order
    keep = (ec - sc) >= min_len
    return list(zip(sr[keep].tolist(), sc[keep].tolist(), ec[keep].tolist()))


def _merge_runs(runs: list[tuple[int, int, int]], gap: int, max_thick: int) -> list[Rule]:
    """Runs on neighbouring rows that overlap are one line; a line thicker than `max_thick` is
    a filled area (shading, a photo), not a rule. Pieces of one line broken by a small gap join."""
    rules: list[list[float]] = []  # [first row, last row, lo, hi]
    open_: list[list[float]] = []
    for row, lo, hi in sorted(runs):
        still = []
        hit = None
        for r in open_:
            if row - r[1] > 1:
                continue
            still.append(r)
            if hit is None and lo < r[3] and hi > r[2]:
                hit = r
        open_ = still
        if hit is not None:
            hit[1] = row
            hit[2], hit[3] = min(hit[2], lo), max(hit[3], hi)
        else:
            r = [row, row, lo, hi]
            rules.append(r)
            open_.append(r)
    lines = [Rule((r[0] + r[1]) / 2, r[2], r[3], r[1] - r[0] + 1) for r in rules if r[1] - r[0] + 1 <= max_thick]
    lines.sort(key=lambda ln: ln.at)
    bands: list[list[Rule]] = []  # lines within 3 px of each other's position
    for ln in lines:
        if bands and ln.at - bands[-1][-1].at <= 3:
            bands[-1].append(ln)
        else:
            bands.append([ln])
    out: list[Rule] = []
    for band in bands:
        band.sort(key=lambda ln: ln.lo)
        merged = [band[0]]
        for ln in band[1:]:
            prev = merged[-1]
            if ln.lo - prev.hi <= gap:
                prev.hi = max(prev.hi, ln.hi)
            else:
                merged.append(ln)
        out.extend(merged)
    return out


def _rule_ink(gray: "np.ndarray", k: int) -> "np.ndarray":
    """Pixels of horizontal rules: solid ink, or a thin line darker than the paper `k` pixels
    above and below it (a light grey hairline; not the inside of a shaded box, which is as dark
    as its neighbours). Gaps of up to two pixels (where rules cross) are closed."""
    import numpy as np

    g = gray.astype(np.int16)
    pad = np.pad(g, ((k, k), (0, 0)), constant_values=255)
    around = np.minimum(pad[:-2 * k], pad[2 * k:])
    m = (g < DARK) | ((g < 235) & (g < around - 25))
    left1, right1 = np.zeros_like(m), np.zeros_like(m)
    left1[:, 1:], right1[:, :-1] = m[:, :-1], m[:, 1:]
    left2, right2 = np.zeros_like(m), np.zeros_like(m)
    left2[:, 2:], right2[:, :-2] = m[:, :-2], m[:, 2:]
    return m | (left1 & right1) | (left1 & right2) | (left2 & right1)


def find_rules(gray: "np.ndarray", unit: float) -> tuple[list[Rule], list[Rule]]:
    """Horizontal and vertical rules of a page image; `unit` is the text height in pixels
    (a rule is longer than a few characters, and at most a third of one thick)."""
    k = max(3, int(unit / 4))
    thick = max(3, int(unit / 3))
    gap = max(2, int(unit / 4))
    # Horizontal rules run under whole rows (bold strokes of a heading are shorter); a vertical
    # rule may close a single row, about 2.5 characters high.
    h = _merge_runs(_runs(_rule_ink(gray, k), max(12, int(3.5 * unit))), gap=gap, max_thick=thick)
    v = _merge_runs(_runs(_rule_ink(gray.T, k), max(12, int(2.5 * unit))), gap=gap, max_thick=thick)
    return h, v


# -- tables from rules ---------------------------------------------------------------------------


def _cluster(values: list[float], tol: float) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def _drawn(rules: list[Rule], at: float, lo: float, hi: float, tol: float) -> bool:
    """Is the stretch lo..hi at `at` drawn (mostly) by these rules?"""
    covered = 0.0
    for r in rules:
        if abs(r.at - at) <= tol:
            covered += max(0.0, min(hi, r.hi) - max(lo, r.lo))
    return covered >= 0.6 * (hi - lo)


@dataclass
class _Grid:
    xs: list[float]
    ys: list[float]
    h: list[Rule]
    v: list[Rule]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


def _grids(h: list[Rule], v: list[Rule], unit: float) -> list[_Grid]:
    """Tables: groups of horizontal and vertical rules that cross or touch each other."""
    tol = max(3.0, unit / 3)
    rules = [("h", r) for r in h] + [("v", r) for r in v]
    parent = list(range(len(rules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (ki, a) in enumerate(rules):
        if ki != "h":
            continue
        for j, (kj, b) in enumerate(rules):
            if kj == "v" and a.lo - tol <= b.at <= a.hi + tol and b.lo - tol <= a.at <= b.hi + tol:
                parent[find(i)] = find(j)
    groups: dict[int, list[tuple[str, Rule]]] = {}
    for i, item in enumerate(rules):
        groups.setdefault(find(i), []).append(item)
    out = []
    for items in groups.values():
        gh = [r for k, r in items if k == "h"]
        gv = [r for k, r in items if k == "v"]
        if len(gv) < 2 or not gh:
            continue
        xs = _cluster([r.at for r in gv], tol)
        top, bottom = min(r.lo for r in gv), max(r.hi for r in gv)
        ys = _cluster([r.at for r in gh] + [top, bottom], tol)
        ys = [y for y in ys if top - tol <= y <= bottom + tol]
        if len(xs) < 2 or len(ys) < 2:
            continue
        out.append(_Grid(xs, ys, gh, gv))
    return out


def _runs_off(grid: _Grid, boxes: list[TextBox], unit: float) -> tuple[bool, list[TextBox]]:
    """(clipped, slivers): was the table cut off by the print (parsers/clipping.py)? Its row
    rules go on past its last column rule, on most rows, and end with no rule closing them: the
    rest of its columns lay beyond the printable area. What stands there are slivers of the cut
    columns, ending where the rules end; an open-sided table's last column holds whole values
    instead, standing clear of that end, and is no cut."""
    right, top, bottom = grid.xs[-1], grid.ys[0], grid.ys[-1]
    longer = [r for r in grid.h if r.hi > right + unit]
    if len(longer) < max(2, len(grid.h) // 2):
        return False, []
    end = max(r.hi for r in longer)
    strip = [b for b in boxes if right < b.cx < end + unit / 2 and top <= b.cy <= bottom]
    if any(b.x1 < end - unit / 2 for b in strip):
        return False, []
    return True, strip


def _cell_text(boxes: list[TextBox]) -> tuple[str, float | None]:
    """A cell's boxes as text (lines top to bottom, boxes left to right) and their lowest score."""
    if not boxes:
        return "", None
    text = ""
    lines = _lines(boxes)
    for line in lines:
        for b in line:
            text = join_pieces(text, b.text)
    score = min(b.score for b in boxes)
    if sum(1 for line in lines if all(_VALUE.fullmatch(b.text) for b in line)) >= 2:
        score = 0.0  # numbers on two lines of one cell: a rule between rows was not seen
    return tidy(text), round(score, 4)


def _grid_table(grid: _Grid, boxes: list[TextBox], page: int | None, unit: float,
                images: tuple | None = None, deadline: float = float("inf")) -> Table:
    """The grid's cells (merged where a border is not drawn) with the boxes whose centre is inside."""
    xs, ys = grid.xs, grid.ys
    nr, nc = len(ys) - 1, len(xs) - 1
    tol = max(3.0, unit / 3)
    parent = {(r, c): (r, c) for r in range(nr) for c in range(nc)}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not _drawn(grid.v, xs[c + 1], ys[r], ys[r + 1], tol):
                parent[find((r, c + 1))] = find((r, c))
            if r + 1 < nr and not _drawn(grid.h, ys[r + 1], xs[c], xs[c + 1], tol):
                parent[find((r + 1, c))] = find((r, c))
    groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for k in parent:
        groups.setdefault(find(k), []).append(k)
    spans: list[tuple[int, int, int, int]] = []  # r0, c0, r1, c1 (exclusive)
    for members in groups.values():
        r0, r1 = min(m[0] for m in members), max(m[0] for m in members) + 1
        c0, c1 = min(m[1] for m in members), max(m[1] for m in members) + 1
        if len(members) == (r1 - r0) * (c1 - c0):
            spans.append((r0, c0, r1, c1))
        else:  # not a rectangle (a border partly drawn): each grid box on its own
            spans.extend((r, c, r + 1, c + 1) for r, c in members)
    inside: dict[tuple[int, int, int, int], list[TextBox]] = {s: [] for s in spans}
    from bisect import bisect_right

    for b in boxes:
        r = bisect_right(ys, b.cy) - 1
        c = bisect_right(xs, b.cx) - 1
        if 0 <= r < nr and 0 <= c < nc:
            for s in spans:
                if s[0] <= r < s[2] and s[1] <= c < s[3]:
                    inside[s].append(b)
                    break
    rows: list[list[Cell]] = [[] for _ in range(nr)]
    for s in sorted(spans):
        if not inside[s] and images is not None:
            found = _reread_blank(*images, (xs[s[1]], ys[s[0]], xs[s[3]], ys[s[2]]), unit, deadline)
            if found is not None:
                inside[s].append(found)
        text, score = _cell_text(inside[s])
        rows[s[0]].append(Cell(text, rowspan=s[2] - s[0], colspan=s[3] - s[1], page=page, confidence=score))
    return Table.from_rows(rows, page=page)


# -- lines and paragraphs outside tables ---------------------------------------------------------


def _lines(boxes: list[TextBox]) -> list[list[TextBox]]:
    """Boxes grouped into lines (vertical centres within half a box height), each left to right."""
    lines: list[list[TextBox]] = []
    for b in sorted(boxes, key=lambda b: b.cy):
        if lines:
            last = lines[-1]
            mid = sum(x.cy for x in last) / len(last)
            if abs(b.cy - mid) <= 0.5 * max(b.height, max(x.height for x in last)):
                last.append(b)
                continue
        lines.append([b])
    return [sorted(line, key=lambda b: b.x0) for line in lines]


_VALUE = re.compile(r"[-+]?\d[\d,，]*(?:\.\d+)?\s*[%件条个项次人元万]*|[-—–/\\／]+|无")


def _text_blocks(boxes: list[TextBox], page: int | None, width: float, height: float,
                 unit: float, margin: list[Paragraph] | None = None) -> list[tuple[float, Block]]:
    """(top, block) for the text outside tables: lines whose boxes stand apart in columns with
    numbers become table rows; other lines paragraphs, a line that runs to the right margin
    continued by the next one."""
    out: list[tuple[float, Block]] = []
    lines = _lines(boxes)
    right = max((line[-1].x1 for line in lines), default=width)
    rows: list[list[TextBox]] = []
    para: list[list[TextBox]] = []

    def flush_rows() -> None:
        if rows:
            cells = [[Cell(b.text, page=page, confidence=b.score) for b in line] for line in rows]
            out.append((rows[0][0].top, Table.from_rows(cells, page=page)))
            rows.clear()

    def flush_para() -> None:
        if para:
            text = ""
            for line in para:
                for b in line:
                    text = join_pieces(text, b.text)
            score = min(b.score for line in para for b in line)
            out.append((para[0][0].top, Paragraph(tidy(text), page=page, confidence=score)))
            para.clear()

    for line in lines:
        top, bottom = min(b.top for b in line), max(b.bottom for b in line)
        text = tidy(" ".join(b.text for b in line))
        if bottom < 0.08 * height or top > 0.92 * height:
            if _PAGE_NUMBER.match(text):
                continue
            if margin is not None:  # a running header or footer if it repeats on other pages
                flush_rows()
                flush_para()
                para.append(line)
                flush_para()
                margin.append(out[-1][1])
                continue
        pieces = _pieces(line, unit)
        values = sum(1 for p in pieces if _VALUE.fullmatch(p.text))
        if len(pieces) >= 2 and values >= 1 and values >= len(pieces) - 2:
            flush_para()
            rows.append(pieces)
            continue
        flush_rows()
        if para:
            prev = para[-1]
            indented = line[0].x0 > min(b.x0 for ln in para for b in ln[:1]) + 1.5 * unit
            if prev[-1].x1 < right - 2 * unit or indented or top - max(b.bottom for b in prev) > 1.2 * unit:
                flush_para()
        para.append(line)
    flush_para()
    flush_rows()
    return out


def _pieces(line: list[TextBox], unit: float) -> list[TextBox]:
    """A line's boxes with the ones closer than two characters joined (one phrase)."""
    out = [line[0]]
    for b in line[1:]:
        a = out[-1]
        if b.x0 - a.x1 <= 2 * unit:
            out[-1] = TextBox(a.x0, min(a.top, b.top), b.x1, max(a.bottom, b.bottom),
                              join_pieces(a.text, b.text), min(a.score, b.score))
        else:
            out.append(b)
    return out


# -- a page image into blocks --------------------------------------------------------------------


@dataclass
class PageRead:
    blocks: list[Block] = field(default_factory=list)
    turn: int = 0  # degrees the image was turned to read it
    boxes: int = 0
    margin: list[Paragraph] = field(default_factory=list)  # lines in the top or bottom margin


def image_blocks(img: "np.ndarray", page: int | None, deadline: float) -> PageRead:
    """An RGB page image (numpy array) read into blocks in reading order."""
    import numpy as np

    img, turn, (quads, scaled, rh, rw) = _upright(img, deadline)
    if not len(quads):
        return PageRead([], turn, 0)
    heights = sorted((max(p[1] for p in q) - min(p[1] for p in q)) * rh for q in quads)
    unit = max(8.0, heights[len(heights) // 2])
    gray = np.asarray(img.mean(axis=2) if img.ndim == 3 else img)
    h, v = find_rules(gray, unit)
    quads = _split_at_rules(quads, v, rw, rh, unit)
    boxes = _to_boxes(quads, _recognise(engine().get_crop_img_list(scaled, quads), deadline), rw, rh)
    items: list[tuple[float, Block]] = []
    rest = list(boxes)
    for g in _grids(h, v, unit):
        x0, top, x1, bottom = g.bbox
        mine = [b for b in rest if x0 <= b.cx <= x1 and top <= b.cy <= bottom]
        if not mine:
            continue
        ids = {id(b) for b in mine}
        rest = [b for b in rest if id(b) not in ids]
        table = _grid_table(g, mine, page, unit, (img, gray), deadline)
        table.clipped, slivers = _runs_off(g, rest, unit)
        if slivers:  # pieces of the cut columns: neither cells nor prose
            cut = {id(b) for b in slivers}
            rest = [b for b in rest if id(b) not in cut]
        items.append((top, table))
    margin: list[Paragraph] = []
    items.extend(_text_blocks(rest, page, img.shape[1], img.shape[0], unit, margin))
    items.sort(key=lambda it: it[0])
    return PageRead([b for _, b in items], turn, len(boxes), margin)


def _reread_blank(img: "np.ndarray", gray: "np.ndarray", box: tuple[float, float, float, float],
                  unit: float, deadline: float) -> TextBox | None:
    """A cell where detection found nothing. Where ink is printed (a lone small digit is easily
    missed) its inside, rules left out, is recognised as one line; an empty box says how sure
    the cell is blank (1: no ink, 0: ink that reads as nothing)."""
    import numpy as np

    x0, top, x1, bottom = (int(round(v)) for v in box)
    m = max(2, int(unit / 5))
    inner = gray[top + m:bottom - m, x0 + m:x1 - m]
    if inner.size == 0:
        return None
    ink = inner < DARK
    if ink.sum() < max(6, unit * unit / 40):
        return TextBox(x0, top, x1, bottom, "", 1.0)  # nothing printed: a blank cell, surely
    ys, xs = np.nonzero(ink)
    pad = max(2, int(unit / 4))
    a, b = top + m + ys.min(), top + m + ys.max() + 1
    c, d = x0 + m + xs.min(), x0 + m + xs.max() + 1
    unread = TextBox(x0, top, x1, bottom, "", 0.0)  # ink that reads as nothing: not to be trusted
    if b - a > 2.5 * unit:
        return unread  # several lines of something: not a lost number
    crop = np.ascontiguousarray(img[max(0, a - pad):b + pad, max(0, c - pad):d + pad])
    (text, score), = _recognise([crop], deadline)
    text = _digit_like(tidy(text))
    if not text or score < MIN_SCORE:
        return unread
    return TextBox(float(c), float(a), float(d), float(b), text, score)


# -- the readers' hooks --------------------------------------------------------------------------


@dataclass
class OcrOutcome:
    """What OCR added to a document: blocks by page, and what it could not do."""

    pages: list[int] = field(default_factory=list)  # pages (or images) read
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def _cannot(doc: Document, settings: OcrSettings, say_off: bool) -> bool:
    """OCR is off or not installed: the document says so (how to enable it) and stays as read."""
    if not settings.enabled:
        if say_off:
            doc.warnings.append("OCR turned off (--no-ocr)")
        return True
    if not available():
        doc.warnings.append(ENABLE_HINT)
        return True
    return False


def _note(doc: Document, outcome: OcrOutcome) -> Document:
    if outcome.pages:
        doc.meta["ocr_pages"] = str(len(outcome.pages))
        doc.meta["ocr_seconds"] = f"{outcome.seconds:.2f}"
    doc.warnings.extend(outcome.problems)
    return doc


def ocr_pdf_pages(doc: Document, pdoc, pages: list[int], scanned_warning: str) -> Document:
    """Read the PDF pages without a text layer (1-based numbers) by OCR and put their blocks
    in page order among the document's; the "no text layer" warnings of pages read are dropped.
    Without the extra, or with OCR off, the document is returned with the reason added."""
    settings = OcrSettings.from_env()
    if not pages or _cannot(doc, settings, say_off=True):
        return doc
    start = time.monotonic()
    outcome = OcrOutcome()
    by_page: dict[int, list[Block]] = {}
    empty: list[int] = []
    margins: list[Paragraph] = []
    todo = pages[:settings.max_pages]
    for no in todo:
        now = time.monotonic()
        if now - start > settings.doc_seconds:
            outcome.problems.append(f"OCR time limit of {settings.doc_seconds:g}s reached: "
                                    f"pages {_ranges([p for p in todo if p >= no])} not read")
            break
        deadline = min(now + settings.page_seconds, start + settings.doc_seconds)
        try:
            img = _render(pdoc, no - 1, settings.dpi)
            read = image_blocks(img, no, deadline)
        except OcrTimeUp:
            outcome.problems.append(f"OCR of page {no} stopped at the time limit of {settings.page_seconds:g}s")
            continue
        outcome.pages.append(no)
        if read.turn:
            log.info("page %d read turned by %d°", no, read.turn)
        if not read.blocks:
            empty.append(no)
        by_page[no] = read.blocks
        margins.extend(read.margin)
    outcome.seconds = time.monotonic() - start
    if len(pages) > settings.max_pages:
        outcome.problems.append(f"OCR page limit: pages {_ranges(pages[settings.max_pages:])} not read "
                                f"(at most {settings.max_pages} pages a document)")
    if empty and len(empty) == len(outcome.pages):
        outcome.problems.append(f"{scanned_warning}, and OCR found no text on it")
    elif empty:
        log.info("blank scanned pages: %s", _ranges(empty))
    _drop_running(by_page, margins)
    read_pages = set(outcome.pages) - set(empty)
    if read_pages:
        doc.warnings[:] = [w for w in doc.warnings if not w.startswith(scanned_warning)]
        unread = [p for p in pages if p not in outcome.pages]
        if unread:
            doc.warnings.append(f"{scanned_warning} on pages {_ranges(unread)}")
    doc.blocks[:] = _merge_by_page(doc.blocks, by_page)
    return _note(doc, outcome)


def _drop_running(by_page: dict[int, list[Block]], margins: list[Paragraph]) -> None:
    """Running headers and footers: margin lines that repeat (digits aside) on another page."""
    def key(p: Paragraph) -> str:
        return re.sub(r"\d+", "#", p.text)

    pages_of: dict[str, set] = {}
    for p in margins:
        pages_of.setdefault(key(p), set()).add(p.page)
    drop = {id(p) for p in margins if len(pages_of[key(p)]) >= 2}
    for no, blocks in by_page.items():
        by_page[no] = [b for b in blocks if id(b) not in drop]


def _merge_by_page(blocks: list[Block], by_page: dict[int, list[Block]]) -> list[Block]:
    out: list[Block] = []
    pending = sorted(by_page.items())
    for b in blocks:
        while pending and b.page is not None and pending[0][0] < b.page:
            out.extend(pending.pop(0)[1])
        out.append(b)
    for _, bs in pending:
        out.extend(bs)
    return out


def _render(pdoc, index: int, dpi: int) -> "np.ndarray":
    import numpy as np

    page = pdoc[index]
    try:
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        img = bitmap.to_pil().convert("RGB")
    finally:
        page.close()
    return np.asarray(img)


def ocr_image(data: bytes, deadline_seconds: float | None = None) -> list[Block]:
    """The blocks of an image file's bytes (PNG, JPEG, GIF…): a table pasted as a picture."""
    import numpy as np
    from PIL import Image

    settings = OcrSettings.from_env()
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        if im.width * im.height > 40_000_000:
            raise ValueError(f"image too large for OCR ({im.width}×{im.height})")
        rgb = im.convert("RGB")
    arr = np.asarray(rgb)
    return image_blocks(arr, None, time.monotonic() + (deadline_seconds or settings.page_seconds)).blocks


def _ranges(pages: list[int]) -> str:
    """1, 2, 3, 5 → '1-3, 5'."""
    out: list[str] = []
    for p in sorted(pages):
        if out and p == int(out[-1].split("-")[-1]) + 1:
            out[-1] = f"{out[-1].split('-')[0]}-{p}"
        else:
            out.append(str(p))
    return ", ".join(out)


# -- tables printed as images (HTML, DOCX) -------------------------------------------------------

MAX_IMAGE_BYTES = 20 * 1024 * 1024


def local_image(src: str, document: str) -> bytes | None:
    """The bytes of an image a document shows, where they are at hand without fetching: a data:
    URI, or a file next to the document (the address as written, relative to the document's
    folder, or its file name there: a page saved with its images)."""
    import base64
    from urllib.parse import unquote, urlsplit

    if src.startswith("data:"):
        head, _, body = src.partition(",")
        try:
            return base64.b64decode(body) if head.endswith(";base64") else unquote(body).encode("latin-1")
        except (ValueError, UnicodeEncodeError):
            return None
    if not document or "://" in document or not os.path.isfile(document):
        return None
    folder = os.path.dirname(os.path.abspath(document))
    path = unquote(urlsplit(src).path)
    for candidate in (os.path.join(folder, path.lstrip("/")), os.path.join(folder, os.path.basename(path))):
        real = os.path.realpath(candidate)
        if real.startswith(folder + os.sep) and os.path.isfile(real) and os.path.getsize(real) <= MAX_IMAGE_BYTES:
            with open(real, "rb") as fh:
                return fh.read()
    return None


def ocr_table_images(doc: Document, images: list[tuple[str, Block | None, str]], name: str,
                     data_of=None) -> Document:
    """Tables printed as images: each (src, the block it stood before or None for the end, the
    reader's warning about it) whose bytes are at hand (`data_of(src)`, else `local_image`) is
    read by OCR; its blocks go where the image stood and its warning is dropped."""
    settings = OcrSettings.from_env()
    if _cannot(doc, settings, say_off=False):  # the image's own warning says what is missing
        return doc
    start = time.monotonic()
    outcome = OcrOutcome()
    for n, (src, before, warning) in enumerate(images[:settings.max_pages], 1):
        data = data_of(src) if data_of else local_image(src, name)
        if data is None:
            log.info("%s: table image %s not available locally", name, src[:80])
            continue
        try:
            blocks = ocr_image(data)
        except OcrTimeUp:
            outcome.problems.append(f"OCR of the table image {src[:80]} stopped at the time limit")
            continue
        except (OSError, ValueError) as exc:  # not an image Pillow can open, or too big
            outcome.problems.append(f"table image {src[:80]} could not be read: {exc}")
            continue
        outcome.pages.append(n)
        if not any(isinstance(b, Table) for b in blocks):
            continue
        at = next((i for i, b in enumerate(doc.blocks) if b is before), len(doc.blocks))
        doc.blocks[at:at] = blocks
        if warning in doc.warnings:
            doc.warnings.remove(warning)
    outcome.seconds = time.monotonic() - start
    return _note(doc, outcome)


def docx_table_images(doc: Document, images: list[tuple[str, int]], part, name: str) -> Document:
    """Pictures of a DOCX (relationship id, index of the block after it) that stand in a table
    section (二, 三, 四 of the format) where no table is printed: warned about as the HTML reader
    does, and read by OCR from the package's own bytes."""
    from .html import _TABLE_SECTIONS, _TOP_NUMBERED

    found = []
    for rid, at in images:
        section = None
        for b in reversed(doc.blocks[:at]):
            if isinstance(b, Table):
                break
            m = _TOP_NUMBERED.match(b.text)
            if m and len(b.text) <= 60:
                if any(p.search(m.group(1)) for _, p in _TABLE_SECTIONS):
                    section = b.text
                break
        target = part.rels.get(rid)
        if section is None or target is None or target.is_external:
            continue
        if any(s == section for _, _, w, s in found):
            continue  # one table image per section is warned about, as in HTML
        warning = f"table printed as an image: {target.target_ref} near '{section}'"
        doc.warnings.append(warning)
        found.append((rid, doc.blocks[at] if at < len(doc.blocks) else None, warning, section))
    if not found:
        return doc
    blobs = {rid: part.related_parts[rid].blob for rid, *_ in found}
    return ocr_table_images(doc, [(rid, before, w) for rid, before, w, _ in found], name, data_of=blobs.get)
