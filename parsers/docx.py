"""Word reports (DOCX) into the document model.

The body is walked in order from the XML (python-docx opens the package and gives the
styles): paragraphs become `Paragraph`s, or `Heading`s when their style is a heading style
("Heading 1", "标题 1", "Title") or carries an outline level; automatic numbering
("一、", "（一）", "1.") is rendered from numbering.xml, because Word does not store it in the
text. Tables come from the grid itself: `w:gridSpan` gives the column span and `w:vMerge`
the row span (a "continue" cell grows the cell above it); `w:gridBefore`/`w:gridAfter` become
empty merged cells. A DOCX has no pages, so blocks and cells carry no page number.
"""
from __future__ import annotations

import io
import logging
import re
import zipfile

from .errors import CorruptDocument, DocumentTooLarge, EncryptedDocument
from .model import Block, Cell, Document, Heading, Paragraph, Table
from .pdf import fix_text, join_pieces

log = logging.getLogger(__name__)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    if n < 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n % 10] if n % 10 else "")
    if n < 100:
        return _CN[n // 10] + "十" + (_CN[n % 10] if n % 10 else "")
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for v, s in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                 (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= v:
            out += s
            n -= v
    return out


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional", "japaneseCounting",
               "chineseLegalSimplified", "ideographDigital", "taiwaneseCounting", "taiwaneseCountingThousand"):
        return _chinese(n)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt == "none":
        return ""
    return str(n)


class _Numbering:
    """Renders Word's automatic list numbers ("%1、") paragraph by paragraph."""

    def __init__(self, doc) -> None:
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, ilvl) → (fmt, text, start)
        self.counters: dict[str, list[int]] = {}
        self.abstract_of: dict[str, str] = {}
        try:
            part = doc.part.numbering_part
        except (NotImplementedError, KeyError, AttributeError):
            return
        root = part.element
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for an in root.iter(W + "abstractNum"):
            aid = an.get(W + "abstractNumId")
            lv = {}
            for lvl in an.iter(W + "lvl"):
                ilvl = int(lvl.get(W + "ilvl", "0"))
                fmt = lvl.find(W + "numFmt")
                text = lvl.find(W + "lvlText")
                start = lvl.find(W + "start")
                lv[ilvl] = (fmt.get(W + "val") if fmt is not None else "decimal",
                            text.get(W + "val") if text is not None else "",
                            int(start.get(W + "val")) if start is not None else 1)
            abstract[aid] = lv
        for num in root.iter(W + "num"):
            nid = num.get(W + "numId")
            ref = num.find(W + "abstractNumId")
            if ref is None:
                continue
            aid = ref.get(W + "val")
            self.abstract_of[nid] = aid
            for ilvl, spec in abstract.get(aid, {}).items():
                self.levels[(nid, ilvl)] = spec

    def label(self, num_id: str, ilvl: int) -> tuple[str, str]:
        """(rendered number, numFmt) for the next paragraph of list num_id at level ilvl."""
        if (num_id, ilvl) not in self.levels or num_id == "0":
            return "", ""
        key = self.abstract_of.get(num_id, num_id)
        counts = self.counters.setdefault(key, [0] * 9)
        fmt, text, start = self.levels[(num_id, ilvl)]
        if counts[ilvl] == 0:
            counts[ilvl] = start - 1
        counts[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0

        def level_value(m):
            k = int(m.group(1)) - 1
            spec = self.levels.get((num_id, k), (fmt, "", 1))
            return _format_number(counts[k] or spec[2], spec[0])

        return re.sub(r"%(\d)", level_value, text), fmt


def _paragraph_text(p) -> str:
    out = []
    for el in p.iter(W + "t", W + "tab", W + "br", W + "cr", W + "sym"):  # only these: not run properties
        tag = el.tag
        if tag == W + "t":
            out.append(el.text or "")
        elif tag in (W + "tab",):
            out.append(" ")
        elif tag in (W + "br", W + "cr"):
            out.append("\n")
        elif tag == W + "sym":
            out.append("")
    text = fix_text("".join(out))
    pieces = [re.sub(r"[ \t]+", " ", s).strip() for s in text.split("\n")]
    joined = ""
    for s in pieces:
        joined = join_pieces(joined, s)
    return joined


class _Reader:
    def __init__(self, doc) -> None:
        self.doc = doc
        self.numbering = _Numbering(doc)
        self.images: list[tuple[str, int]] = []  # (relationship id, index of the block after it)
        self.styles: dict[str, tuple[str, int | None]] = {}
        try:
            for st in doc.styles.element.iter(W + "style"):
                sid = st.get(W + "styleId")
                name_el = st.find(W + "name")
                name = name_el.get(W + "val") if name_el is not None else ""
                lvl_el = st.find(f"{W}pPr/{W}outlineLvl")
                lvl = int(lvl_el.get(W + "val")) if lvl_el is not None else None
                num_el = st.find(f"{W}pPr/{W}numPr/{W}numId")
                self.styles[sid] = (name or "", lvl)
                if num_el is not None:
                    self.style_num = getattr(self, "style_num", {})
                    ilvl_el = st.find(f"{W}pPr/{W}numPr/{W}ilvl")
                    self.style_num[sid] = (num_el.get(W + "val"), int(ilvl_el.get(W + "val")) if ilvl_el is not None else 0)
        except (AttributeError, ValueError):
            pass

    def heading_level(self, p) -> int | None:
        ppr = p.find(W + "pPr")
        sid = ""
        if ppr is not None:
            lvl = ppr.find(W + "outlineLvl")
            if lvl is not None and lvl.get(W + "val", "9").isdigit() and int(lvl.get(W + "val")) < 9:
                return int(lvl.get(W + "val")) + 1
            ps = ppr.find(W + "pStyle")
            if ps is not None:
                sid = ps.get(W + "val", "")
        if not sid:
            return None
        name, lvl = self.styles.get(sid, (sid, None))
        low = name.lower()
        m = re.match(r"(?:heading|标题)\s*(\d)", low)
        if m:
            return int(m.group(1))
        if low in ("title", "标题"):
            return 1
        if lvl is not None and lvl < 9:
            return lvl + 1
        return None

    def number_of(self, p) -> tuple[str, str]:
        ppr = p.find(W + "pPr")
        if ppr is None:
            return "", ""
        num = ppr.find(f"{W}numPr/{W}numId")
        ilvl = ppr.find(f"{W}numPr/{W}ilvl")
        if num is None:
            ps = ppr.find(W + "pStyle")
            sn = getattr(self, "style_num", {}).get(ps.get(W + "val")) if ps is not None else None
            if not sn:
                return "", ""
            return self.numbering.label(*sn)
        return self.numbering.label(num.get(W + "val", "0"), int(ilvl.get(W + "val", "0")) if ilvl is not None else 0)

    def paragraph(self, p) -> Block | None:
        text = _paragraph_text(p)
        number, fmt = self.number_of(p)
        if number and text:
            text = number + text
        if not text.strip():
            return None
        level = self.heading_level(p)
        if level is None and number and fmt.startswith(("chinese", "ideograph", "japanese", "taiwanese")) \
                and len(text) <= 40 and "。" not in text:
            level = 2
        if level is not None and len(text) <= 60:
            return Heading(text, level=level)
        return Paragraph(text)

    def table(self, tbl) -> Table | None:
        rows: list[list[Cell]] = []
        # grid column → the origin cell open there (for vMerge), per row as we go
        open_cells: dict[int, Cell] = {}
        for tr in tbl.findall(W + "tr"):
            row: list[Cell] = []
            col = 0
            trpr = tr.find(W + "trPr")
            before = after = 0
            if trpr is not None:
                gb, ga = trpr.find(W + "gridBefore"), trpr.find(W + "gridAfter")
                before = int(gb.get(W + "val", "0")) if gb is not None else 0
                after = int(ga.get(W + "val", "0")) if ga is not None else 0
            if before:
                row.append(Cell("", colspan=before) if before > 1 else Cell("", colspan=1))
                col += before
            for tc in tr.findall(W + "tc"):
                tcpr = tc.find(W + "tcPr")
                span = 1
                vmerge = None
                if tcpr is not None:
                    gs = tcpr.find(W + "gridSpan")
                    if gs is not None and gs.get(W + "val", "1").isdigit():
                        span = max(1, int(gs.get(W + "val")))
                    vm = tcpr.find(W + "vMerge")
                    if vm is not None:
                        vmerge = vm.get(W + "val", "continue")
                text = self.cell_text(tc)
                if vmerge == "continue" and col in open_cells:
                    origin = open_cells[col]
                    origin.rowspan += 1
                    if text:
                        origin.text = join_pieces(origin.text, text)
                    col += span
                    continue
                cell = Cell(text, colspan=span)
                row.append(cell)
                for c in range(col, col + span):
                    open_cells.pop(c, None)
                open_cells[col] = cell
                col += span
            if after:
                row.append(Cell("", colspan=after))
            rows.append(row)
        if not rows:
            return None
        return Table.from_rows(rows)

    def cell_text(self, tc) -> str:
        text = ""
        for el in tc:
            if el.tag == W + "p":
                text = join_pieces(text, _paragraph_text(el))
            elif el.tag == W + "tbl":
                for p in el.iter(W + "p"):
                    text = join_pieces(text, _paragraph_text(p))
            elif el.tag == W + "sdt":
                for p in el.iter(W + "p"):
                    text = join_pieces(text, _paragraph_text(p))
        return text

    def blocks(self, body) -> list[Block]:
        out: list[Block] = []
        for el in body:
            if el.tag == W + "p":
                b = self.paragraph(el)
                if b is not None:
                    out.append(b)
                else:  # a picture on a line of its own: perhaps a table pasted as an image
                    self.images.extend((rid, len(out)) for rid in _picture_ids(el))
            elif el.tag == W + "tbl":
                if el.find(f"{W}tr/{W}tc/{W}tbl") is not None:
                    # A layout table (a web page's frame saved as Word): its cells hold the
                    # report's own paragraphs and tables; read them in order.
                    for tc in el.iterfind(f"{W}tr/{W}tc"):
                        out.extend(self.blocks(tc))
                    continue
                t = self.table(el)
                if t is not None:
                    out.append(t)
            elif el.tag in (W + "sdt", W + "customXml"):
                content = el.find(W + "sdtContent") if el.tag == W + "sdt" else el
                if content is not None:
                    out.extend(self.blocks(content))
        return out


MAX_PART_MB = 200  # a part's XML, expanded; parsed as a tree it takes several times that


def _refuse_large_parts(z: zipfile.ZipFile, name: str) -> None:
    """Refuse a package whose XML part would expand past MAX_PART_MB, by the size its zip
    directory declares, before anything is read (zipfile never gives more than the declared size)."""
    for info in z.infolist():
        if info.filename.endswith(".xml") and info.file_size > MAX_PART_MB << 20:
            raise DocumentTooLarge(f"{info.filename} expands to {info.file_size / 2**20:,.0f} MiB, over the "
                                   f"{MAX_PART_MB} MiB a DOCX part may take", source=name)


def read_docx(data: bytes, name: str = "") -> Document:
    """Read a DOCX's bytes. Raises CorruptDocument (or EncryptedDocument) when it cannot be opened."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise EncryptedDocument("encrypted Word document (or an old .doc named .docx)", source=name)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if "word/document.xml" not in z.namelist():
                raise CorruptDocument("not a Word document: the package has no word/document.xml", source=name)
            _refuse_large_parts(z, name)
        document = docx.Document(io.BytesIO(data))
    except (CorruptDocument, DocumentTooLarge):
        raise
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise CorruptDocument(f"damaged DOCX: {type(exc).__name__}: {exc}", source=name) from None
    except Exception as exc:  # lxml syntax errors and the like
        raise CorruptDocument(f"damaged DOCX: {type(exc).__name__}: {exc}", source=name) from None
    reader = _Reader(document)
    blocks = reader.blocks(document.element.body)
    meta = {}
    try:
        props = document.core_properties
        for key in ("title", "author"):
            value = getattr(props, key, "") or ""
            if value:
                meta[key] = value
    except Exception:  # noqa: BLE001 - metadata is optional
        pass
    doc = Document(blocks=blocks, format="docx", meta=meta)
    if reader.images:
        from .ocr import docx_table_images

        return docx_table_images(doc, reader.images, document.part, name)
    return doc


_PIC = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _picture_ids(p) -> list[str]:
    """Relationship ids of the pictures in a paragraph (DrawingML blips, VML image data)."""
    ids = [b.get(_REL + "embed") for b in p.iter(_PIC)]
    ids += [v.get(_REL + "id") for v in p.iter("{urn:schemas-microsoft-com:vml}imagedata")]
    return [i for i in ids if i]
