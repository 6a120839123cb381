"""A PDF's pages through pdfium (pypdfium2): the characters and the drawn shapes of each page,
as the dicts the shared reader in parsers/pdf.py takes (pdfplumber's keys and coordinates).

What pdfminer gives through pdfplumber, here from pdfium's C code, about ten times faster:

- characters from the text page: text, box (x0, x1 from the advance width, bottom from the
  font's descent, top = bottom - size, as pdfminer boxes a glyph), size (the font size in page
  space), font name and weight (of the glyph's text object, looked up once per object);
  whitespace (pdfium's generated spaces and line breaks, and real ones) is left out: the
  reader never uses it;
- lines, rectangles and curves from the page objects (forms followed, their matrices applied),
  split into subpaths and classified as pdfminer does (one segment: a line; four axis-aligned
  sides closed: a rectangle; anything else: a curve with its points), with stroke, fill and
  colours. Objects smaller than any rule the reader keeps (3 points) are skipped unread.

Each page is loaded once. The hot pdfium calls are bound with plain integer arguments
(`_fast`): going through pypdfium2's typed pointers costs more than the C calls themselves.
"""
from __future__ import annotations

import ctypes
import math
import threading
from ctypes import c_float, c_int, c_uint, c_void_p

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from .errors import CorruptDocument, EncryptedDocument
from .pdf_page import PageContent, font_name


MIN_RULE = 3.0  # points: shapes smaller than this draw no rule the reader keeps


def _fast(name: str, restype, *argtypes):
    """pdfium's function `name` called with plain ints (handles as addresses)."""
    address = ctypes.cast(getattr(raw, name), c_void_p).value
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_P = c_void_p
_count_chars = _fast("FPDFText_CountChars", c_int, _P)
_unicode = _fast("FPDFText_GetUnicode", c_uint, _P, c_int)
_loose_box = _fast("FPDFText_GetLooseCharBox", c_int, _P, c_int, _P)
_text_object = _fast("FPDFText_GetTextObject", _P, _P, c_int)
_char_origin = _fast("FPDFText_GetCharOrigin", c_int, _P, c_int, _P, _P)
_map_error = _fast("FPDFText_HasUnicodeMapError", c_int, _P, c_int)
_count_objects = _fast("FPDFPage_CountObjects", c_int, _P)
_page_object = _fast("FPDFPage_GetObject", _P, _P, c_int)
_form_count = _fast("FPDFFormObj_CountObjects", c_int, _P)
_form_object = _fast("FPDFFormObj_GetObject", _P, _P, c_uint)
_obj_type = _fast("FPDFPageObj_GetType", c_int, _P)
_obj_bounds = _fast("FPDFPageObj_GetBounds", c_int, _P, _P, _P, _P, _P)
_obj_matrix = _fast("FPDFPageObj_GetMatrix", c_int, _P, _P)
_stroke_color = _fast("FPDFPageObj_GetStrokeColor", c_int, _P, _P, _P, _P, _P)
_fill_color = _fast("FPDFPageObj_GetFillColor", c_int, _P, _P, _P, _P, _P)
_draw_mode = _fast("FPDFPath_GetDrawMode", c_int, _P, _P, _P)
_count_segments = _fast("FPDFPath_CountSegments", c_int, _P)
_segment = _fast("FPDFPath_GetPathSegment", _P, _P, c_int)
_segment_point = _fast("FPDFPathSegment_GetPoint", c_int, _P, _P, _P)
_segment_type = _fast("FPDFPathSegment_GetType", c_int, _P)
_segment_close = _fast("FPDFPathSegment_GetClose", c_int, _P)
_text_font = _fast("FPDFTextObj_GetFont", _P, _P)
_text_font_size = _fast("FPDFTextObj_GetFontSize", c_int, _P, _P)
_font_name = _fast("FPDFFont_GetBaseFontName", ctypes.c_size_t, _P, _P, ctypes.c_size_t)
_font_weight = _fast("FPDFFont_GetWeight", c_int, _P)

_PATH, _IMAGE, _FORM = raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_FORM
_LINETO, _BEZIERTO, _MOVETO = raw.FPDF_SEGMENT_LINETO, raw.FPDF_SEGMENT_BEZIERTO, raw.FPDF_SEGMENT_MOVETO


def _address(handle) -> int:
    return ctypes.cast(handle, c_void_p).value or 0


def open_document(data: bytes, name: str):
    """The pdfium document, or EncryptedDocument / CorruptDocument."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc)
        if "password" in msg.lower():
            raise EncryptedDocument("encrypted PDF: a password is needed to open it", source=name) from None
        raise CorruptDocument(f"damaged PDF: {msg}", source=name) from None


def metadata(pdoc) -> dict[str, str]:
    """Title, author, creator and producer, where the file gives them."""
    try:
        info = pdoc.get_metadata_dict()
    except Exception:  # noqa: BLE001 - metadata is optional
        return {}
    out = {}
    for key in ("Title", "Author", "Creator", "Producer"):
        value = (info.get(key) or "").strip("\x00 ")
        if value:
            out[key.lower()] = value
    return out


class _Geometry:
    """Page space (pdfium's, y up) → pdfplumber's (y down from the top, the page's /Rotate
    applied as pdfminer's interpreter does, the MediaBox offset as pdfplumber keeps it)."""

    def __init__(self, page) -> None:
        x0, y0, x1, y1 = (round(v, 4) for v in page.get_mediabox())
        x0, x1 = sorted((x0, x1))
        y0, y1 = sorted((y0, y1))
        rotation = page.get_rotation() % 360
        self.ctm = {90: (0, -1, 1, 0, -y0, x1), 180: (-1, 0, 0, -1, x1, y1),
                    270: (0, 1, -1, 0, y1, -x0)}.get(rotation, (1, 0, 0, 1, -x0, -y0))
        nx0, ny0, nx1, ny1 = (y0, x0, y1, x1) if rotation in (90, 270) else (x0, y0, x1, y1)
        self.width, self.height = nx1 - nx0, ny1 - ny0
        self.dx, self.dy = nx0, ny0
        self.plain = self.ctm[:4] == (1, 0, 0, 1)

    def point(self, x: float, y: float) -> tuple[float, float]:
        a, b, c, d, e, f = self.ctm
        u, v = a * x + c * y + e, b * x + d * y + f
        # pdfium computes in float32: 315.2 comes back as 315.20001. Rounded to what float32
        # holds, coordinates are the decimals the file wrote, as pdfminer reads them (a gap
        # of exactly 0.2 em stays one).
        return round(u + self.dx, 4), round(self.height - v - self.dy, 4)

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        """(x0, top, x1, bottom) of a box given in page space."""
        if self.plain:  # no rotation: the common case, two corners
            x0, top = self.point(left, top)
            x1, bottom = self.point(right, bottom)
            return x0, top, x1, bottom
        pts = [self.point(x, y) for x in (left, right) for y in (bottom, top)]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return min(xs), min(ys), max(xs), max(ys)


def _mult(m: tuple, n: tuple) -> tuple:
    """The matrix m then n (PDF row-vector convention, as pdfminer's mult_matrix)."""
    a1, b1, c1, d1, e1, f1 = m
    a0, b0, c0, d0, e0, f0 = n
    return (a1 * a0 + b1 * c0, a1 * b0 + b1 * d0, c1 * a0 + d1 * c0, c1 * b0 + d1 * d0,
            e1 * a0 + f1 * c0 + e0, e1 * b0 + f1 * d0 + f0)


class _Scratch:
    """Out-parameters for the C calls, allocated once."""

    def __init__(self) -> None:
        self.rect = raw.FS_RECTF()
        self.matrix = raw.FS_MATRIX()
        self.floats = (c_float * 4)()
        self.ints = (c_uint * 4)()
        self.size = c_float()
        self.doubles = (ctypes.c_double * 2)()
        self.double_p = [ctypes.addressof(self.doubles) + 8 * k for k in range(2)]
        self.name = ctypes.create_string_buffer(256)
        self.rect_p = ctypes.addressof(self.rect)
        self.matrix_p = ctypes.addressof(self.matrix)
        self.float_p = [ctypes.addressof(self.floats) + 4 * k for k in range(4)]
        self.int_p = [ctypes.addressof(self.ints) + 4 * k for k in range(4)]
        self.size_p = ctypes.addressof(self.size)
        self.name_p = ctypes.addressof(self.name)

    def matrix_of(self, obj: int) -> tuple:
        if not _obj_matrix(obj, self.matrix_p):
            return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        m = self.matrix
        return (m.a, m.b, m.c, m.d, m.e, m.f)

    def color(self, getter, obj: int) -> tuple | None:
        p = self.int_p
        if not getter(obj, p[0], p[1], p[2], p[3]):
            return None
        v = self.ints
        return (v[0] / 255, v[1] / 255, v[2] / 255)


_LOCAL = threading.local()


def _scratch() -> _Scratch:
    """This thread's out-parameters (pdfium itself must not be called from two threads at once:
    the batch engines read one document at a time per process)."""
    s = getattr(_LOCAL, "scratch", None)
    if s is None:
        s = _LOCAL.scratch = _Scratch()
    return s


def _font_of(obj: int, s: _Scratch, geo: _Geometry, names: dict[int, tuple[str, int]]) -> tuple:
    """(font name, weight, size in page space, upright, plain) of a text object: plain when its
    matrix neither rotates nor skews (the size is then the font size times the vertical scale).
    `names`: font handle → (name, weight), filled as fonts are met."""
    font = _text_font(obj) or 0
    known = names.get(font)
    if known is None:
        name, weight = "", 400
        if font:
            if _font_name(font, s.name_p, 256):
                name = font_name(s.name.value.decode("utf-8", "replace"))
            weight = _font_weight(font)
        known = names[font] = (name, weight)
    size = s.size.value if _text_font_size(obj, s.size_p) else 0.0
    a, b, c, d, _, _ = _mult(s.matrix_of(obj), geo.ctm)
    upright = 0 < a * d and b * c <= 0
    plain = b == 0 and c == 0
    size = round(abs(size * d) if plain else size * math.hypot(c, d), 4)
    return known[0], known[1], size, upright, plain


def page_chars(tp: int, geo: _Geometry) -> list[dict]:
    """The characters of a loaded text page (its handle's address), whitespace left out."""
    s = _scratch()
    rect, rect_p = s.rect, s.rect_p
    objects: dict[int, tuple] = {}
    names: dict[int, tuple[str, int]] = {}
    # Unrotated pages (nearly all): page space → pdfplumber's by two offsets.
    plain_page = geo.plain
    ox = geo.ctm[4] + geo.dx
    oy = geo.height - geo.ctm[5] - geo.dy
    out = []
    last = None  # (text object, box) of the glyph appended last
    for i in range(_count_chars(tp)):
        u = _unicode(tp, i)
        if u == 32 or u == 13 or u == 10:
            continue
        if u == 2:
            u = 0x2D  # pdfium's mark for a hyphen that ends a line: the hyphen printed
        text = chr(u)
        if text.isspace():
            continue
        if _map_error(tp, i):
            text = "\ufffd"  # a glyph without a Unicode mapping
        obj = _text_object(tp, i) or 0
        font = objects.get(obj)
        if font is None:
            font = objects[obj] = _font_of(obj, s, geo, names) if obj else ("", 400, 0.0, True, True)
        name, weight, size, upright, plain = font
        _loose_box(tp, i, rect_p)
        left, right, low, high = rect.left, rect.right, rect.bottom, rect.top
        here = (obj, left, right, low, high)
        if here == last and text.isascii() and text.isalpha() and out[-1]["text"].isascii():
            out[-1]["text"] += text  # a ligature (ﬁ, ﬀ): pdfium gives its letters one box each
            continue
        last = here
        if size and (right - left > 3 * size or high - low > 3 * size):
            # pdfium's loose box of a vertical-writing font leaves out the text matrix: box
            # the glyph from its origin as pdfminer does (one em wide, one em above it).
            _char_origin(tp, i, s.double_p[0], s.double_p[1])
            x0, bottom = geo.point(s.doubles[0], s.doubles[1])
            x1, top = x0 + size, bottom - size
        elif plain_page:
            x0, x1 = round(left + ox, 4), round(right + ox, 4)
            top, bottom = round(oy - high, 4), round(oy - low, 4)
        else:
            x0, top, x1, bottom = geo.box(left, low, right, high)
        if plain and size:
            top = bottom - size  # pdfminer's box: the font size tall, from the descent up
        else:
            size = size or (bottom - top)
        out.append({"text": text, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
                    "size": size, "fontname": name, "weight": weight, "upright": upright})
    return out


def page_shapes(page: int, geo: _Geometry) -> tuple[list[dict], list[dict], list[dict], int]:
    """(lines, rects, curves, number of images) of a loaded page (its handle's address)."""
    s = _scratch()
    lines: list[dict] = []
    rects: list[dict] = []
    curves: list[dict] = []
    images = 0
    fb = s.float_p
    floats = s.floats
    todo = [(page, _count_objects(page), _page_object, geo.ctm, True)]
    while todo:
        parent, n, get, ctm, top_level = todo.pop()
        for k in range(n):
            obj = get(parent, k)
            if not obj:
                continue
            kind = _obj_type(obj)
            if kind == _FORM:
                todo.append((obj, _form_count(obj), _form_object, _mult(s.matrix_of(obj), ctm), False))
                continue
            if kind == _IMAGE:
                images += 1
                continue
            if kind != _PATH:
                continue
            if top_level and _obj_bounds(obj, fb[0], fb[1], fb[2], fb[3]):
                if floats[2] - floats[0] < MIN_RULE and floats[3] - floats[1] < MIN_RULE:
                    continue  # too small to draw a rule (a chart's dot, a glyph-like mark)
            _path(obj, s, _mult(s.matrix_of(obj), ctm), geo, lines, rects, curves)
    return lines, rects, curves, images


def _path(obj: int, s: _Scratch, m: tuple, geo: _Geometry, lines, rects, curves) -> None:
    """A path object's subpaths as pdfminer classifies them (converter.paint_path)."""
    p = s.int_p
    if not _draw_mode(obj, p[0], p[1]):
        return
    fill, stroke = s.ints[0] != 0, s.ints[1] != 0
    if not (fill or stroke):
        return
    a, b, c, d, e, f = m
    fb = s.float_p
    floats = s.floats
    subpaths: list[tuple[list[str], list[tuple[float, float]]]] = []
    shape: list[str] = []
    pts: list[tuple[float, float]] = []
    beziers = 0
    for k in range(_count_segments(obj)):
        seg = _segment(obj, k)
        if not seg or not _segment_point(seg, fb[0], fb[1]):
            continue
        x, y = floats[0], floats[1]
        pt = (a * x + c * y + e, b * x + d * y + f)
        kind = _segment_type(seg)
        if kind == _MOVETO:
            shape, pts, beziers = ["m"], [pt], 0
            subpaths.append((shape, pts))
        elif not shape:
            continue  # a path must begin with m (pdfminer drops it otherwise)
        elif kind == _LINETO:
            shape.append("l")
            pts.append(pt)
        elif kind == _BEZIERTO:
            beziers += 1
            if beziers % 3 == 0:  # pdfium gives a curve's two control points and its end
                shape.append("c")
                pts.append(pt)
        if _segment_close(seg) and shape:
            shape.append("h")
            pts.append(pts[0])
    stroking = s.color(_stroke_color, obj)
    non_stroking = s.color(_fill_color, obj)
    for shape_list, sub in subpaths:
        shp = "".join(shape_list)
        sub = list(sub)
        if len(shp) > 3 and shp[-2:] == "lh" and sub[-2] == sub[0]:
            shp = shp[:-2] + "h"
            sub.pop()
        if shp in ("ml", "mlh"):
            (x0, y0), (x1, y1) = sub[0], sub[1]
            box = _box(geo, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
            lines.append(dict(box, stroke=stroke, fill=fill, stroking_color=stroking, non_stroking_color=non_stroking))
            continue
        if shp in ("mlllh", "mllll"):
            (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = sub
            if sub[0] == sub[4] and ((x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0)
                                     or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)):
                box = _box(geo, min(x0, x2), min(y0, y2), max(x0, x2), max(y0, y2))
                rects.append(dict(box, stroke=stroke, fill=fill, stroking_color=stroking,
                                  non_stroking_color=non_stroking))
                continue
        curves.append({"pts": [geo.point(x, y) for x, y in sub], "stroke": stroke, "fill": fill,
                       "stroking_color": stroking, "non_stroking_color": non_stroking})


def _box(geo: _Geometry, left: float, bottom: float, right: float, top: float) -> dict:
    x0, t, x1, btm = geo.box(left, bottom, right, top)
    return {"x0": x0, "top": t, "x1": x1, "bottom": btm}


class PdfiumPages:
    """The pages of one PDF as pdfium reads them: `page(i)` loads page i once and gives its
    PageContent."""

    backend = "pdfium"

    def __init__(self, pdoc, name: str = "") -> None:
        self.pdoc, self.name = pdoc, name

    def __len__(self) -> int:
        return len(self.pdoc)

    def page(self, index: int) -> PageContent:
        page = self.pdoc[index]
        try:
            geo = _Geometry(page)
            tp = page.get_textpage()
            try:
                chars = page_chars(_address(tp.raw), geo)
            finally:
                tp.close()
            lines, rects, curves, images = page_shapes(_address(page.raw), geo)
        finally:
            page.close()
        return PageContent(index, geo.width, geo.height, chars, lines, rects, curves, images)

    def chars(self, index: int) -> list[dict]:
        """Only the characters of page `index` (the other text layer for the pdfplumber path)."""
        page = self.pdoc[index]
        try:
            tp = page.get_textpage()
            try:
                return page_chars(_address(tp.raw), _Geometry(page))
            finally:
                tp.close()
        finally:
            page.close()

    def close(self) -> None:
        """The pdfium document belongs to the caller."""
