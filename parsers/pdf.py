"""PDF reports (printed from Word or WPS, or from a web page) into the document model.

What a text-based PDF gives is glyphs with positions and vector graphics. A backend reads
them, page by page, each page once, into a `PageContent` (parsers/pdf_page.py): pdfium by
default (parsers/pdf_pdfium.py, about ten times faster than pdfminer), pdfplumber with
`GIOAR_PDF_BACKEND=pdfplumber` or `read_pdf(..., backend="pdfplumber")` (parsers/pdf_plumber.py),
which also reads a file whose pages pdfium fails on. Everything below is the same code for both:

- finds ruled tables from the drawn rules only (pdfplumber's explicit-lines strategy, ported in
  parsers/pdf_rules.py, with the page's lines, stroked rectangles and hairline filled
  rectangles; filled shading boxes are not rules), turns each table's cells into a grid with row and column spans, and reads each cell's
  text itself (labels broken over lines, vertical headers one character a line, joined back);
- closes a table whose top or bottom rule is missing at a page break (verticals that run past
  the last drawn rule get an added rule there: browsers drop the top rule of a continued row),
  and stitches a table that continues on the next page into one `Table`: a cell that is open at
  the bottom of one page and at the top of the next is one cell split by the page break (Word
  and WPS split a row's label that way); a repeated header is dropped; columns are the union
  of both pages' rules, so a continuation without its label block still lines up;
- reads text outside tables as lines, drops running headers, footers and page numbers, joins
  lines into paragraphs (first-line indent, short last line), marks headings (larger or
  heading-font numbered lines) and keeps the signature block as separate paragraphs; lines
  whose words stand in columns with numbers (a table without rules) become table rows;
- fixes Chinese text quirks: CJK radical code points (⼯ ⺠) mapped with Unicode's
  EquivalentUnifiedIdeograph.txt (parsers/data/), fake-bold doubled glyphs removed
  (pdfplumber's dedupe_chars), "(cid:NNN)" glyphs from fonts without a ToUnicode map re-read
  from pypdfium2's text layer, else reported;
- hands the pages without a text layer (scanned) to OCR (parsers/ocr.py, the [ocr] extra);
  without it they are reported as partial with "scanned: no text layer" and how to enable OCR;
  pages without characters are decided in one place, `_Reader._without_text`;
  raises `EncryptedDocument` and `CorruptDocument` for what cannot be opened;
- has a per-document time limit (`TIME_LIMIT` seconds, env `GIOAR_PDF_TIME_LIMIT`): a SIGALRM
  timer interrupts the reader wherever it is when it runs in a process's main thread
  (the batch workers do), and a deadline is checked between pages everywhere. What was read
  before the limit is kept and the report is partial; nothing read raises `DocumentTimeout`.

Every block and cell carries its 1-based page number.
"""
from __future__ import annotations

import logging
import os
import re
import signal
import threading
import time
from bisect import bisect_left
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources

from .clipping import cut_off_glyphs
from .errors import CorruptDocument, DocumentTimeout, EncryptedDocument
from .model import Block, Cell, Document, Heading, Paragraph, Table
from .pdf_page import PageContent
from .pdf_rules import cluster_objects, find_tables

log = logging.getLogger(__name__)

TIME_LIMIT = 60.0  # seconds per document; the environment's GIOAR_PDF_TIME_LIMIT overrides it
SCANNED = "scanned: no text layer"
SNAP = 3.0  # points: rules closer than this are one rule

# -- text normalisation ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def radical_table() -> dict[int, str]:
    """Kangxi radicals and CJK radicals supplement → unified ideograph (Unicode's
    EquivalentUnifiedIdeograph.txt, shipped in parsers/data/)."""
    text = resources.files("parsers").joinpath("data/EquivalentUnifiedIdeograph.txt").read_text("utf-8")
    table: dict[int, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        cps, target = (p.strip() for p in line.split(";"))
        lo, _, hi = cps.partition("..")
        for cp in range(int(lo, 16), int(hi or lo, 16) + 1):
            if 0x2E80 <= cp <= 0x2FDF:
                table[cp] = chr(int(target, 16))
    return table


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def fix_text(text: str) -> str:
    """Radical code points to ideographs, invisible characters out, odd spaces to spaces."""
    return text.translate(radical_table()).translate(_INVISIBLE).replace("\u00a0", " ").replace("\u3000", " ")


def _fixed_chars(chars: list[dict]) -> list[dict]:
    """The chars with fix_text applied to their text: a char whose text changes is copied, the
    others are kept as they are (nothing changes a char dict afterwards)."""
    out = []
    fixed: dict[str, str] = {}
    for c in chars:
        text = c["text"]
        new = fixed.get(text)
        if new is None:
            new = fixed[text] = fix_text(text)
        out.append(c if new == text else dict(c, text=new))
    return out


_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u2018-\u201f\u2026\u2014]")


def _wide(ch: str) -> bool:
    return bool(ch) and bool(_WIDE.match(ch))


def join_pieces(a: str, b: str) -> str:
    """Join two pieces of one text broken over lines: no space between CJK, one between words."""
    if not a:
        return b
    if not b:
        return a
    if _wide(a[-1]) or _wide(b[0]) or a[-1] in "-/(（" or b[0] in ")）,.;:%":
        return a + b
    return a + " " + b


_CJK_SPACE = re.compile(r"(?<=[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef\u2018-\u201f])\s+(?=[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef\u2018-\u201f])")


def tidy(text: str) -> str:
    """Collapse runs of spaces; drop spaces between CJK characters (justified text)."""
    text = re.sub(r"[ \t]+", " ", fix_text(text)).strip()
    return _CJK_SPACE.sub("", text)


# -- lines of text ------------------------------------------------------------------------------


@dataclass
class Line:
    chars: list[dict]
    page: int
    x0: float = 0.0
    x1: float = 0.0
    top: float = 0.0
    bottom: float = 0.0
    size: float = 0.0
    font: str = ""
    segments: list[tuple[float, float, str]] = field(default_factory=list)

    @cached_property
    def text(self) -> str:  # segments are not changed once the line is made
        return tidy(" ".join(s for _, _, s in self.segments))


def _char_size(c: dict) -> float:
    return float(c.get("size") or (c["bottom"] - c["top"]) or 10.0)


def make_lines(chars: list[dict], page: int, split_gap: float = 1.2) -> list[Line]:
    """Group characters into lines (by vertical centre), each split into segments at gaps wider
    than `split_gap` times the font size (columns of a table without rules)."""
    chars = [c for c in chars if c.get("text") and c["text"].strip()]
    if not chars:
        return []
    chars.sort(key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"]))
    groups: list[list[dict]] = []
    sized: dict[int, float] = {}  # each char's size, computed once
    mid = None
    size = 0.0
    for c in chars:
        m = (c["top"] + c["bottom"]) / 2
        s = sized[id(c)] = _char_size(c)
        big = size if size >= s else s  # max(size, s), without the call: once per glyph
        if groups and mid is not None and abs(m - mid) <= 0.45 * big:
            groups[-1].append(c)
            n = len(groups[-1])
            mid = mid + (m - mid) / n
            size = big
        else:
            groups.append([c])
            mid, size = m, s
    lines = []
    for g in groups:
        g.sort(key=lambda c: c["x0"])
        sizes = sorted([sized[id(c)] for c in g])
        half = len(sizes) // 2  # the median, as statistics.median computes it
        size = sizes[half] if len(sizes) % 2 else (sizes[half - 1] + sizes[half]) / 2
        segs: list[tuple[float, float, str]] = []
        x0, x1, text = g[0]["x0"], g[0]["x1"], g[0]["text"]
        for prev, c in zip(g, g[1:]):
            gap = c["x0"] - prev["x1"]
            if gap > split_gap * size:
                segs.append((x0, x1, text))
                x0, x1, text = c["x0"], c["x1"], c["text"]
                continue
            if c["x0"] < prev["x0"] + 0.3 * sized[id(prev)] and c["text"] == prev["text"]:
                continue  # a doubled glyph that dedupe_chars left (offset fake bold)
            if gap > 0.2 * size and not (_wide(prev["text"][-1]) and _wide(c["text"][0])):
                text += " "
            text += c["text"]
            x1 = max(x1, c["x1"])
        segs.append((x0, x1, text))
        fonts = Counter(c.get("fontname", "") for c in g)
        lines.append(Line(g, page, g[0]["x0"], max(c["x1"] for c in g), min(c["top"] for c in g),
                          max(c["bottom"] for c in g), size, fonts.most_common(1)[0][0], segs))
    return lines


def text_of(chars: list[dict]) -> str:
    """The text of a table cell: its lines joined (no space inside CJK)."""
    out = ""
    for line in make_lines(chars, 0, split_gap=1e9):
        out = join_pieces(out, line.text)
    return out


# -- rules and ruled tables --------------------------------------------------------------------


def _white(color) -> bool:
    if color is None:
        return False
    if isinstance(color, (int, float)):
        color = (color,)
    try:
        vals = [float(v) for v in color]
    except (TypeError, ValueError):
        return False
    if len(vals) == 1:
        return vals[0] >= 0.95
    if len(vals) == 3:
        return min(vals) >= 0.95
    if len(vals) == 4:
        return max(vals) <= 0.05
    return False


def _edge(x0: float, top: float, x1: float, bottom: float, orientation: str, real: bool = True) -> dict:
    if orientation == "h":
        y = (top + bottom) / 2
        top = bottom = y
    else:
        x = (x0 + x1) / 2
        x0 = x1 = x
    return {"object_type": "line_edge", "orientation": orientation, "x0": x0, "x1": x1, "top": top,
            "bottom": bottom, "width": x1 - x0, "height": bottom - top, "real": real}


def page_edges(page: PageContent) -> list[dict]:
    """Drawn rules: stroked lines, stroked rectangles' sides, hairline filled rectangles and the
    straight pieces of polylines. Shading (filled boxes) is not a rule."""
    edges = []
    for ln in page.lines:
        if _white(ln.get("stroking_color")):
            continue
        if abs(ln["top"] - ln["bottom"]) <= 1.5:
            edges.append(_edge(ln["x0"], ln["top"], ln["x1"], ln["bottom"], "h"))
        elif abs(ln["x0"] - ln["x1"]) <= 1.5:
            edges.append(_edge(ln["x0"], ln["top"], ln["x1"], ln["bottom"], "v"))
    for r in page.rects:
        x0, top, x1, bottom = r["x0"], r["top"], r["x1"], r["bottom"]
        w, h = x1 - x0, bottom - top
        if r.get("stroke") and not _white(r.get("stroking_color")) and w > 1 and h > 1:
            edges += [_edge(x0, top, x1, top, "h"), _edge(x0, bottom, x1, bottom, "h"),
                      _edge(x0, top, x0, bottom, "v"), _edge(x1, top, x1, bottom, "v")]
        elif (r.get("fill") and not _white(r.get("non_stroking_color"))) or (r.get("stroke") and not _white(r.get("stroking_color"))):
            if h <= 3 and w > h:
                edges.append(_edge(x0, top, x1, bottom, "h"))
            elif w <= 3 and h > w:
                edges.append(_edge(x0, top, x1, bottom, "v"))
    for cv in page.curves:
        if not cv.get("stroke") and not (cv.get("fill") and not _white(cv.get("non_stroking_color"))):
            continue
        pts = cv.get("pts") or []
        for (ax, ay), (bx, by) in zip(pts, pts[1:]):
            if abs(ay - by) <= 1 and abs(ax - bx) > 2:
                edges.append(_edge(min(ax, bx), ay, max(ax, bx), by, "h"))
            elif abs(ax - bx) <= 1 and abs(ay - by) > 2:
                edges.append(_edge(ax, min(ay, by), bx, max(ay, by), "v"))
    return [e for e in edges if max(e["width"], e["height"]) >= 3]


@dataclass
class RawCell:
    x0: float
    top: float
    x1: float
    bottom: float
    text: str
    page: int
    top_real: bool = True
    bottom_real: bool = True


@dataclass
class PageTable:
    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    cells: list[RawCell]
    clipped: bool = False  # runs off the page's right edge (parsers/clipping.py)


def _covered(edges: list[dict], y: float, x0: float, x1: float, share: float = 0.6) -> bool:
    """Is the span x0..x1 at height y drawn by real horizontal rules (mostly)?"""
    width = x1 - x0
    if width <= 0:
        return True
    spans = sorted((max(e["x0"], x0), min(e["x1"], x1)) for e in edges
                   if e["real"] and abs(e["top"] - y) <= SNAP and e["x1"] > x0 and e["x0"] < x1)
    covered, end = 0.0, x0
    for a, b in spans:
        a = max(a, end)
        if b > a:
            covered += b - a
            end = b
    return covered >= share * width


def ruled_tables(page: PageContent, page_no: int, chars: list[dict]) -> list[PageTable]:
    edges = page_edges(page)
    h = [e for e in edges if e["orientation"] == "h"]
    v = [e for e in edges if e["orientation"] == "v"]
    if len(h) < 2 or len(v) < 2:
        return []
    found = find_tables(h, v)
    # Close tables whose verticals run past the first or last drawn rule (a page break).
    added = []
    for t in found:
        bx0, btop, bx1, bbottom = t.bbox
        vs = [e for e in v if bx0 - SNAP <= e["x0"] <= bx1 + SNAP and e["bottom"] >= btop - 1 and e["top"] <= bbottom + 1]
        if not vs:
            continue
        top, bottom = min([e["top"] for e in vs] + [btop]), max([e["bottom"] for e in vs] + [bbottom])
        if not _covered(h, top, bx0, bx1, share=0.97):
            added.append(_edge(bx0, top, bx1, top, "h", real=False))
        if not _covered(h, bottom, bx0, bx1, share=0.97):
            added.append(_edge(bx0, bottom, bx1, bottom, "h", real=False))
    if added:
        h = h + added
        found = find_tables(h, v)
    out = []
    centres = None
    real_h = [e for e in h if e["real"]]
    for t in found:
        boxes = [c for c in t.cells if c[2] - c[0] > 1 and c[3] - c[1] > 1]
        if len(boxes) < 2:
            continue
        if centres is None:  # each char's centre, computed once for all cells
            centres = [((c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2, c) for c in chars]
        band: dict[tuple[float, float], list] = {}  # the chars of a row of cells (same top, bottom)
        near: dict[float, list[dict]] = {}  # the real rules near a height
        cells = []
        for x0, top, x1, bottom in boxes:
            row = band.get((top, bottom))
            if row is None:
                row = band[top, bottom] = [cc for cc in centres if top <= cc[1] <= bottom]
            inside = [c for cx, _, c in row if x0 <= cx <= x1]
            for y in (top, bottom):
                if y not in near:
                    near[y] = [e for e in real_h if abs(e["top"] - y) <= SNAP]
            cells.append(RawCell(x0, top, x1, bottom, text_of(inside), page_no,
                                 _covered(near[top], top, x0, x1), _covered(near[bottom], bottom, x0, x1)))
        bx0, btop, bx1, bbottom = t.bbox
        out.append(PageTable(page_no, bx0, btop, bx1, bbottom, cells))
    return out


def _cluster(values: list[float], tol: float = SNAP) -> list[float]:
    out: list[float] = []
    for x in sorted(values):
        if out and x - out[-1] <= tol:
            continue
        out.append(x)
    return out


def _index(points: list[float], x: float) -> int:
    """The index of the point nearest x (the first of equally near ones); points ascending."""
    i = bisect_left(points, x)
    if i == len(points) or (i and abs(points[i - 1] - x) <= abs(points[i] - x)):
        i -= 1
    while i > 0 and abs(points[i - 1] - x) == abs(points[i] - x):
        i -= 1
    return i


def _row_texts(cells: list[RawCell], top: float) -> list[str]:
    return [c.text for c in sorted(cells, key=lambda c: c.x0) if abs(c.top - top) <= SNAP]


def _trim_frame(cells: list[RawCell]) -> list[RawCell]:
    """Drop an empty last row closed only by the added rule: the table's frame running on to the
    page end (a browser draws it while the next row moved to the next page)."""
    tops = _cluster([c.top for c in cells])
    if len(tops) < 2:
        return cells
    last = [c for c in cells if abs(c.top - tops[-1]) <= SNAP]
    if all(not c.text.strip() and not c.bottom_real for c in last):
        cut = tops[-1]
        keep = [c for c in cells if c not in last]
        for c in keep:
            if not c.bottom_real and c.bottom > cut + SNAP:
                c.bottom = cut
        return keep
    return cells


def stitch(parts: list[PageTable]) -> Table:
    """One table from its pieces on consecutive pages (already known to belong together)."""
    cells: list[RawCell] = []
    offset = 0.0
    first_rows: list[list[str]] = []
    for n, part in enumerate(parts):
        shift = offset - part.top
        moved = [RawCell(c.x0, c.top + shift, c.x1, c.bottom + shift, c.text, c.page, c.top_real, c.bottom_real)
                 for c in _trim_frame(part.cells)]
        if n == 0:
            tops = _cluster([c.top for c in moved])
            first_rows = [_row_texts(moved, t) for t in tops[:4]]
        else:
            # A header repeated on the continuation: drop it.
            tops = _cluster([c.top for c in moved])
            k = 0
            while k < min(len(first_rows), len(tops) - 1) and _row_texts(moved, tops[k]) == first_rows[k] \
                    and any(re.search(r"[^\d\s.,-]", t) for t in first_rows[k]):
                k += 1
            if k:
                cut = tops[k]
                moved = [c for c in moved if c.top >= cut - SNAP]
                delta = cut - offset
                for c in moved:
                    c.top -= delta
                    c.bottom -= delta
            moved = _join_at_break(cells, moved, offset)
        cells.extend(moved)
        offset = max([c.bottom for c in cells] + [offset])
    table = grid_table(cells)
    table.clipped = any(part.clipped for part in parts)
    return table


_NEW_LABEL = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[(（]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]|\d{1,2}\s*[.、．])")


def _spans_rows(c: RawCell, tops: list[float]) -> bool:
    return any(c.top + SNAP < t < c.bottom - SNAP for t in tops)


def _join_at_break(above: list[RawCell], cont: list[RawCell], y: float) -> list[RawCell]:
    """Join the cells split by a page break (at height y) to the cells they continue.

    A cell at the top of the continuation continues the cell above it (same column edges) when
    - neither the page's bottom rule nor the next page's top rule is drawn there (Word and WPS
      split a row's label across pages that way);
    - the first row of the continuation is the empty tail of a row split by the break (its
      one-row cells are all empty: LibreOffice closes both pieces with rules);
    - it spans several rows and is empty, or does not start a new numbered label: the rest of
      a group label ("（四）" / "无法提供") or of a merged cell that goes on."""
    last = [p for p in above if abs(p.bottom - y) <= SNAP]
    first = [c for c in cont if abs(c.top - y) <= SNAP]
    tops_cont = _cluster([c.top for c in cont])
    tops_above = _cluster([p.top for p in above])
    one_row = [c for c in first if not _spans_rows(c, tops_cont)]
    tail = bool(one_row) and all(not c.text.strip() for c in one_row) and len(tops_cont) > 1
    out = []
    for c in cont:
        if c in first:
            match = [p for p in last if abs(p.x0 - c.x0) <= SNAP and abs(p.x1 - c.x1) <= SNAP]
            if match:
                p = match[0]
                multi = _spans_rows(c, tops_cont)
                join = ((not c.top_real and not p.bottom_real) or tail
                        or (multi and not c.text.strip())
                        or (multi and _spans_rows(p, tops_above) and not _NEW_LABEL.match(c.text)))
                if join:
                    p.bottom, p.bottom_real = c.bottom, c.bottom_real
                    p.text = join_pieces(p.text, c.text)
                    last.remove(p)
                    continue
        out.append(c)
    return out


def grid_table(raw: list[RawCell]) -> Table:
    xs = _cluster([v for c in raw for v in (c.x0, c.x1)], tol=4.5)
    ys = _cluster([v for c in raw for v in (c.top, c.bottom)], tol=4.5)
    placed: dict[tuple[int, int], list] = {}
    spans = []
    for c in raw:
        r0, r1 = _index(ys, c.top), _index(ys, c.bottom)
        c0, c1 = _index(xs, c.x0), _index(xs, c.x1)
        if r1 <= r0 or c1 <= c0:
            continue
        if any((r, cc) in placed for r in range(r0, r1) for cc in range(c0, c1)):
            continue  # overlapping boxes: keep the first
        entry = [r0, c0, r1 - r0, c1 - c0, c]
        spans.append(entry)
        for r in range(r0, r1):
            for cc in range(c0, c1):
                placed[(r, cc)] = entry
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    # Holes (no rule drew a cell there): the cell above grows down over a hole of its width,
    # else the hole is one empty merged cell.
    for r in range(n_rows):
        c = 0
        while c < n_cols:
            if (r, c) in placed:
                c += 1
                continue
            end = c
            while end < n_cols and (r, end) not in placed:
                end += 1
            above = placed.get((r - 1, c)) if r else None
            if above and above[1] == c and above[1] + above[3] <= end and above[0] + above[2] == r:
                above[2] += 1
                for cc in range(c, c + above[3]):
                    placed[(r, cc)] = above
                c += above[3]
                continue
            entry = [r, c, 1, end - c, RawCell(xs[c], ys[r], xs[end], ys[r + 1], "", (above or [0, 0, 0, 0, None])[4].page if above else 0)]
            spans.append(entry)
            for cc in range(c, end):
                placed[(r, cc)] = entry
            c = end
    rows: list[list[Cell]] = [[] for _ in range(n_rows)]
    page_of_row: dict[int, int] = {}
    for r0, c0, rs, cs, c in spans:
        if c.page:
            page_of_row.setdefault(r0, c.page)
    for r0, c0, rs, cs, c in sorted(spans, key=lambda e: (e[0], e[1])):
        page = c.page or page_of_row.get(r0) or next((p for rr, p in sorted(page_of_row.items()) if rr >= r0), None)
        rows[r0].append(Cell(tidy(c.text), rowspan=rs, colspan=cs, page=page))
    first_page = min((c.page for c in raw if c.page), default=None)
    return Table.from_rows(rows, page=first_page)


# -- tables without rules ----------------------------------------------------------------------

_VALUE = re.compile(r"[-+]?\d[\d,，]*(?:\.\d+)?\s*[%件条个项次人元万]*|[-—–/\\／]+|无")


def _row_like(line: Line) -> bool:
    segs = [tidy(s) for _, _, s in line.segments]
    if len(segs) < 2:
        return False
    values = sum(1 for s in segs if _VALUE.fullmatch(s))
    if values >= 1 and len(segs[0]) <= 40 and values >= len(segs) - 2:
        return True
    return len(segs) >= 3 and all(len(s) <= 20 for s in segs)


# -- the reader ----------------------------------------------------------------------------------


class _TimeUp(BaseException):
    """The time limit was reached (a BaseException so that no library swallows it)."""


@contextmanager
def _alarm(limit: float | None):
    use = (limit is not None and limit > 0 and hasattr(signal, "setitimer")
           and threading.current_thread() is threading.main_thread())
    if not use:
        yield
        return

    def ring(signum, frame):
        raise _TimeUp()

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


_PAGE_NUMBER = re.compile(
    r"^[-—–_\s]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[-—–_\s]*$"
    r"|^(?:page\s*)?\d{1,4}\s*(?:of|/)\s*\d{1,4}$", re.I)
_NUMBERED = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[(（]\s*[一二三四五六七八九十]{1,3}\s*[)）])")
_HEADING_FONT = re.compile(r"bold|hei|黑|black|heavy|xbs|标宋|semibold|medium|,bd|-bd", re.I)
_SENTENCE_END = re.compile(r"[。；;！!？?：:]$")


def dedupe_chars(chars: list[dict], tolerance: float = 1) -> list[dict]:
    """What pdfplumber's `page.dedupe_chars(tolerance=...).chars` gives (the same char dicts, in
    the same order: same upright, text, fontname and size, doctop then x0 within `tolerance`,
    the first at the smallest (doctop, x0) kept), without its quadratic `sorted(key=list.index)`
    and without deriving a filtered page."""
    groups: dict[tuple, list[dict]] = {}
    for c in chars:
        groups.setdefault((c["upright"], c["text"], c["fontname"], c["size"]), []).append(c)
    keep: set[int] = set()
    for group in groups.values():
        if len(group) == 1:
            keep.add(id(group[0]))
            continue
        tops = sorted(c["doctop"] for c in group)
        if all(b > a + tolerance for a, b in zip(tops, tops[1:])):
            keep.update(map(id, group))  # each on its own line: nothing doubled (the usual case)
            continue
        for row in cluster_objects(group, "doctop", tolerance):
            for same in (cluster_objects(row, "x0", tolerance) if len(row) > 1 else (row,)):
                keep.add(id(min(same, key=lambda c: (c["doctop"], c["x0"]))))
    if len(keep) == len(chars):
        return list(chars)
    out = []
    for c in chars:  # in the chars' order; a dict listed twice is kept once, where it comes first
        if id(c) in keep:
            keep.discard(id(c))
            out.append(c)
    return out


def _unreadable(chars: list[dict]) -> float:
    """Share of characters that are not text (unmapped glyphs)."""
    if not chars:
        return 0.0
    bad = sum(1 for c in chars if c["text"].startswith("(cid:") or c["text"] == "\ufffd"
              or any(0xE000 <= ord(ch) <= 0xF8FF or (ord(ch) < 32) for ch in c["text"]))
    return bad / len(chars)


def _cjk_share(chars: list[dict]) -> float:
    """Share of ideographs: a Chinese report's page is mostly ideographs, a wrong glyph
    mapping gives Latin letters and symbols."""
    if not chars:
        return 0.0
    return sum(1 for c in chars if "\u4e00" <= c["text"][:1] <= "\u9fff") / len(chars)


BACKENDS = ("pdfium", "pdfplumber")


def read_pdf(data: bytes, name: str = "", time_limit: float | None = None, backend: str | None = None) -> Document:
    """Read a PDF's bytes. Raises EncryptedDocument, CorruptDocument or DocumentTimeout.

    `backend` (default: env GIOAR_PDF_BACKEND, else "pdfium") is what reads the pages'
    characters and rules: "pdfium" (fast), or "pdfplumber" (pdfminer), which is also used when
    pdfium fails on a file it opened. Everything after that is the same code."""
    if not data.lstrip()[:5] == b"%PDF-":
        head = data.lstrip()[:200].decode("latin-1", "replace").lower()
        what = "an HTML page" if ("<html" in head or "<!doctype" in head) else "something else"
        raise CorruptDocument(f"not a PDF: the file is {what}", source=name)
    backend = backend or os.environ.get("GIOAR_PDF_BACKEND") or "pdfium"
    if backend not in BACKENDS:
        raise ValueError(f"unknown PDF backend {backend!r}: one of {', '.join(BACKENDS)}")
    limit = time_limit if time_limit is not None else float(os.environ.get("GIOAR_PDF_TIME_LIMIT") or TIME_LIMIT)
    start = time.monotonic()
    from .pdf_pdfium import open_document

    pdoc = open_document(data, name)  # encrypted and damaged files are told apart here
    try:
        if len(pdoc) == 0:
            raise CorruptDocument("PDF without pages", source=name)
        if backend == "pdfium":
            try:
                return _read(_Reader(data, name, pdoc, "pdfium", limit, start), limit)
            except _BackendFailed as exc:
                log.warning("%s: pdfium could not read the pages (%s); reading them with pdfplumber", name, exc)
        return _read(_Reader(data, name, pdoc, "pdfplumber", limit, start), limit)
    finally:
        pdoc.close()


class _BackendFailed(Exception):
    """The backend failed on a page of a file it opened (the other one is tried)."""


def _read(reader: "_Reader", limit: float) -> Document:
    with _alarm(limit):
        try:
            reader.run()
        except _TimeUp:
            pass
    return reader.document()
def _ocr_scanned(doc: Document, pdoc, pages: list[int]) -> Document:
    """The hook for pages without a text layer: OCR reads them where it is installed and on."""
    if not pages:
        return doc
    from .ocr import ocr_pdf_pages

    return ocr_pdf_pages(doc, pdoc, pages, SCANNED)


class _Reader:
    def __init__(self, data: bytes, name: str, pdoc, backend: str, limit: float, start: float) -> None:
        self.data, self.name, self.pdoc, self.backend = data, name, pdoc, backend
        self.limit, self.start = limit, start
        self.n_pages = len(pdoc)
        self.pages: list[dict] = []  # per page read: {"no", "height", "width", "items"}
        self.warnings: list[str] = []
        self.meta: dict[str, str] = {"pages": str(self.n_pages)}
        self.timed_out = False
        self.scanned: list[int] = []
        self.unreadable: list[int] = []
        self._sources: dict[str, object] = {}

    def source(self, backend: str):
        """The pages as `backend` reads them (opened once, on first use)."""
        if backend not in self._sources:
            if backend == "pdfium":
                from .pdf_pdfium import PdfiumPages

                self._sources[backend] = PdfiumPages(self.pdoc, self.name)
            else:
                from .pdf_plumber import PlumberPages

                self._sources[backend] = PlumberPages(self.data, self.name)
        return self._sources[backend]

    def run(self) -> None:
        from .pdf_pdfium import metadata

        try:
            self.meta.update(metadata(self.pdoc))
            pages = self.source(self.backend)
            for i in range(self.n_pages):
                if self.limit and time.monotonic() - self.start > self.limit:
                    raise _TimeUp()
                try:
                    content = pages.page(i)
                except (_TimeUp, CorruptDocument, EncryptedDocument):
                    raise
                except Exception as exc:  # noqa: BLE001 - a library failing on a page it opened
                    if self.backend == "pdfium":
                        raise _BackendFailed(f"page {i + 1}: {type(exc).__name__}: {exc}") from exc
                    raise CorruptDocument(f"damaged PDF: page {i + 1}: {type(exc).__name__}: {exc}",
                                          source=self.name) from None
                self.pages.append(self._page(content))
        except _TimeUp:
            self.timed_out = True
        finally:
            for src in self._sources.values():
                src.close()

    def _page(self, content: PageContent) -> dict:
        no = content.index + 1
        info = {"no": no, "height": content.height, "width": content.width, "items": []}
        if not content.chars:
            return self._without_text(content, info)
        chars = dedupe_chars(content.chars, tolerance=1)
        if _unreadable(chars) > 0.05:
            other = self._other_chars(content.index)
            if other and _unreadable(other) < 0.05 and _cjk_share(other) >= 0.3:
                chars = other
            else:
                self.unreadable.append(no)
                chars = [c for c in chars if not _unreadable([c])]
        chars = _fixed_chars(chars)
        tables = ruled_tables(content, no, chars)
        slivers: set[int] = set()
        for t in tables:  # pieces of columns cut off at the page edge are neither cells nor text
            t.clipped, cut = cut_off_glyphs((t.x0, t.top, t.x1, t.bottom), _cluster([c.top for c in t.cells]),
                                            chars, info["width"])
            slivers.update(map(id, cut))

        def in_table(c):
            cx, cy = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
            return id(c) in slivers or any(t.x0 - 1 <= cx <= t.x1 + 1 and t.top - 1 <= cy <= t.bottom + 1
                                           for t in tables)

        lines = make_lines([c for c in chars if not in_table(c)], no)
        items = [(t.top, "table", t) for t in tables] + [(ln.top, "line", ln) for ln in lines]
        items.sort(key=lambda it: it[0])
        info["items"] = items
        return info

    def _without_text(self, content: PageContent, info: dict) -> dict:
        """A page without a text layer (a scan, or only drawings): the one place that decides
        it and what becomes of it. It is noted as scanned; its items stay empty."""
        self.scanned.append(info["no"])
        return info

    def _other_chars(self, index: int) -> list[dict]:
        """The page's characters from pdfium's text layer when pdfplumber's glyphs are (cid:)
        ones (pdfium maps glyphs through the font's own tables too), deduplicated; [] where it
        fails. pdfium's unmapped glyphs have no better reading in pdfminer, which only knows
        the ToUnicode and CID maps pdfium reads too: the pdfium path asks nothing else."""
        if self.backend == "pdfium":
            return []
        other = "pdfium"
        try:
            return dedupe_chars(self.source(other).chars(index), tolerance=1)
        except (CorruptDocument, EncryptedDocument):
            return []
        except Exception:  # noqa: BLE001 - a second opinion only
            log.debug("%s: the %s text layer of page %d could not be read", self.name, other, index + 1)
            return []

    # -- assembly --------------------------------------------------------------------------
    def _drop_running(self) -> None:
        """Running headers, footers and page numbers: lines in the top or bottom margin that
        are page numbers or repeat (digits aside) on other pages."""
        seen: Counter = Counter()
        margin_lines = []
        for p in self.pages:
            h = p["height"]
            for top, kind, obj in p["items"]:
                if kind == "line" and (obj.bottom < 0.1 * h or obj.top > 0.9 * h):
                    key = re.sub(r"\d+", "#", obj.text)
                    margin_lines.append((p, obj, key))
        for _, _, key in margin_lines:
            seen[key] += 1
        drop = set()
        for p, obj, key in margin_lines:
            text = obj.text
            if _PAGE_NUMBER.match(text) or (seen[key] >= 2 and len(self.pages) >= 2):
                drop.add(id(obj))
        for p in self.pages:
            p["items"] = [it for it in p["items"] if id(it[2]) not in drop]

    def document(self) -> Document:
        if self.timed_out:
            msg = f"time limit: read {len(self.pages)} of {self.n_pages} pages in {self.limit:g} s"
            if not any(p["items"] for p in self.pages):
                raise DocumentTimeout(msg, source=self.name)
            self.warnings.append(msg)
        self._drop_running()
        blocks = self._blocks()
        if self.scanned:
            if len(self.scanned) == len(self.pages):
                self.warnings.insert(0, SCANNED)
            else:
                self.warnings.append(f"{SCANNED} on pages " + ", ".join(map(str, self.scanned)))
        if self.unreadable:
            self.warnings.append("unreadable text (font without a ToUnicode map, (cid:) glyphs) on pages "
                                 + ", ".join(map(str, self.unreadable)))
        title = self.meta.get("title", "")
        # The file's own title (a browser prints the page's <title>) when it names a report.
        if not re.search(r"(?:政府信息公开|政务公开).*(?:报告|年报)", title):
            title = ""
        doc = Document(blocks=blocks, format="pdf", title=tidy(title), meta=self.meta, warnings=self.warnings)
        return _ocr_scanned(doc, self.pdoc, self.scanned)

    def _body_style(self) -> tuple[str, float, float, float]:
        fonts: Counter = Counter()
        sizes: Counter = Counter()
        x0s: Counter = Counter()
        x1s = []
        for p in self.pages:
            for _, kind, obj in p["items"]:
                if kind == "line":
                    n = len(obj.chars)
                    fonts[obj.font] += n
                    sizes[round(obj.size)] += n
                    if len(obj.chars) >= 10:
                        x0s[round(obj.x0)] += 1
                        x1s.append(obj.x1)
        font = fonts.most_common(1)[0][0] if fonts else ""
        size = float(sizes.most_common(1)[0][0]) if sizes else 12.0
        left = float(min(x0s.most_common(3))[0]) if x0s else 0.0
        right = max(x1s) if x1s else 0.0
        if x1s:
            right = sorted(x1s)[int(0.9 * (len(x1s) - 1))]
        return font, size, left, right

    def _blocks(self) -> list[Block]:
        font, size, left, right = self._body_style()
        blocks: list[Block] = []
        # Table pieces that continue on the next page are stitched first.
        pending: list[PageTable] = []

        def flush_table():
            if pending:
                blocks.append(stitch(list(pending)))
                pending.clear()

        para: list[Line] = []

        def flush_para():
            if not para:
                return
            text = ""
            for ln in para:
                text = join_pieces(text, ln.text)
            first = para[0]
            if len(para) == 1 and self._is_heading(first, font, size):
                level = 1 if first.size >= size + 2 else 2
                blocks.append(Heading(text, level=level, page=first.page))
            else:
                blocks.append(Paragraph(text, page=first.page))
            para.clear()

        rows: list[Line] = []

        def flush_rows():
            if not rows:
                return
            values = sum(1 for ln in rows for _, _, s in ln.segments if _VALUE.fullmatch(tidy(s)))
            if len(rows) >= 2 or values >= 3:
                table_rows = [[Cell(tidy(s), page=ln.page) for _, _, s in ln.segments] for ln in rows]
                blocks.append(Table.from_rows(table_rows, page=rows[0].page))
            else:
                for ln in rows:
                    blocks.append(Paragraph(ln.text, page=ln.page))
            rows.clear()

        prev: Line | None = None
        for pi, p in enumerate(self.pages):
            items = p["items"]
            for k, (top, kind, obj) in enumerate(items):
                if kind == "table":
                    flush_para()
                    flush_rows()
                    if pending and not (k == 0 and self._continues(pending[-1], obj)):
                        flush_table()
                    pending.append(obj)
                    last = k == len(items) - 1
                    nxt = self.pages[pi + 1]["items"] if pi + 1 < len(self.pages) else []
                    if not (last and nxt and nxt[0][1] == "table" and self._continues(obj, nxt[0][2])):
                        flush_table()
                    prev = None
                    continue
                flush_table()
                ln: Line = obj
                if _row_like(ln):
                    flush_para()
                    rows.append(ln)
                    prev = None
                    continue
                flush_rows()
                if para and not self._continues_para(prev, ln, font, size, left, right):
                    flush_para()
                para.append(ln)
                prev = ln
        flush_para()
        flush_rows()
        flush_table()
        return blocks

    @staticmethod
    def _continues(a: PageTable, b: PageTable) -> bool:
        """Does table piece b (top of the next page) continue a (bottom of the page before)?"""
        if b.page != a.page + 1 or abs(a.x1 - b.x1) > 6 or b.x0 < a.x0 - 6:
            return False
        xa = _cluster([v for c in a.cells for v in (c.x0, c.x1)])
        xb = _cluster([v for c in b.cells for v in (c.x0, c.x1)])
        match = sum(1 for x in xb if any(abs(x - y) <= SNAP for y in xa))
        return match >= 0.7 * len(xb)

    @staticmethod
    def _is_heading(ln: Line, font: str, size: float) -> bool:
        text = ln.text
        if len(text) > 40 or text.endswith("。") or not text:
            return False
        if ln.size >= size + 2:
            return True
        if ln.font == font or not _HEADING_FONT.search(ln.font) or not _NUMBERED.match(text):
            return False
        return sum(1 for c in ln.chars if c.get("fontname") == ln.font) >= 0.8 * len(ln.chars)

    def _continues_para(self, prev: Line | None, ln: Line, font, size, left, right) -> bool:
        if prev is None:
            return False
        unit = prev.size or size
        if self._is_heading(prev, font, size) or self._is_heading(ln, font, size):
            return False
        if prev.x1 < right - 1.5 * unit:  # the previous line ended short
            return False
        if ln.x0 > left + 0.8 * unit:  # indented: a new paragraph
            return False
        if abs(ln.size - prev.size) > 1.5:
            return False
        if ln.page == prev.page and ln.top - prev.bottom > 1.6 * unit:
            return False
        if prev.x0 > left + 3 * unit and prev.x1 < right - unit:
            return False  # centred or right-aligned
        return True
