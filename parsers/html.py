"""HTML report pages as agencies publish them: a CMS page with the report somewhere inside.

`read_html(data, name)` turns the page's bytes into the same `Document` the text reader gives:

- Decoding is done here, before any parsing (lxml and BeautifulSoup both guess wrong on real
  pages): a BOM wins; bytes that are valid UTF-8 are UTF-8; otherwise a GB-family declaration
  (gb2312, gbk, gb18030, cp936…) is read as GB18030, any other declaration is tried strictly,
  and what fails falls back to charset-normalizer.
- The report body is found inside the page chrome (TRS WCM ``div.TRS_Editor``, ``#zoom``,
  ``.article-content``, ``div.view``…, else the densest container); navigation, breadcrumbs,
  footers and "打印本页 关闭窗口" links are left out.
- The metadata grid (索引号, 发布机构, 发文日期, 分类…), ``<meta name="ArticleTitle">``,
  PubDate, ContentSource and ``<title>`` go to `Document.meta` / `Document.title`; the grid is
  never a table. A "发布机构:XXX" paragraph is put first, so the agency can be found.
- Headings (h1–h6) become `Heading`; every other line of text a `Paragraph`; each data
  ``<table>`` a `Table` with its row and column spans; layout tables (a table holding the
  report, nested tables, or a single column of prose) are unwrapped.
- A table printed as an image, and a page that only links to a PDF/DOC attachment, give a
  warning (the report is then partial); attachment URLs go to ``meta["attachments"]``. A table
  image whose bytes are at hand (the caller's `images(src)`, a data: URI, a file next to the
  page) is read by OCR instead (parsers/ocr.py); `table_images` names them for the fetcher.

Hostile pages are bounded: the input size, the element count, the table width and length and
the total number of table cells are capped; libxml2 caps the nesting depth at 256.
"""
from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs, urljoin, urlsplit

from .encoding import looks_binary
from .errors import BinaryDocument, DecodeError, EmptyDocument, ParseError
from .model import Block, Cell, Document, Heading, Paragraph, Table

log = logging.getLogger(__name__)

MAX_BYTES = 40 * 1024 * 1024  # larger pages are refused
MAX_ELEMENTS = 200_000  # elements walked; the rest of a bigger page is dropped with a warning
MAX_DEPTH = 300
MAX_COLS = 300  # a table wider than this is not a report table
MAX_ROWS = 1000
MAX_TABLE_CELLS = 50_000  # over the whole document
MAX_SPAN = 1000
MAX_TEXT_CHARS = 3_000_000
MAX_BLOCKS = 20_000  # paragraphs, headings and tables


class TooLarge(ParseError):
    reason = "document too large"


# -- decoding -----------------------------------------------------------------------------------

_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
]
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "ms936", "windows936", "xgbk", "euccn", "xeuccn",
              "csgb2312", "gb231280", "chinese", "isoir58", "hz", "hzgb2312"}
_WESTERN = {"iso88591", "latin1", "windows1252", "cp1252", "ascii", "usascii", "l1", "iso885915"}
_CHARSET_DECL = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.I,
)


def _norm(enc: str) -> str:
    return re.sub(r"[^a-z0-9]", "", enc.lower())


def declared_charset(data: bytes) -> str:
    """The charset the page declares in its first 4 KiB (meta charset, http-equiv, xml decl)."""
    m = _CHARSET_DECL.search(data[:4096])
    if not m:
        return ""
    return (m.group(1) or m.group(2) or b"").decode("ascii", "replace")


def _strict(data: bytes, enc: str) -> str | None:
    """Decode strictly; a multi-byte character cut off at the very end is forgiven."""
    try:
        return data.decode(enc)
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:
            try:
                return data[: exc.start].decode(enc)
            except UnicodeDecodeError:
                return None
        return None
    except LookupError:
        return None


def decode_html(data: bytes, source: str = "") -> tuple[str, str]:
    """Return (text, encoding used) for an HTML page's bytes."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), name
    if looks_binary(data):
        raise BinaryDocument(source=source, position="first 8 KiB")
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"  # GBK text is (practically) never valid UTF-8
    declared = declared_charset(data)
    key = _norm(declared)
    if key in _GB_FAMILY:
        text = _strict(data, "gb18030")
        if text is not None:
            return text, "gb18030"
    elif declared and key not in _WESTERN and key not in ("utf8", "utf16"):
        text = _strict(data, declared)
        if text is not None:
            return text, codecs.lookup(declared).name
    # No declaration, or one that lies: detect.
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    enc = best.encoding if best is not None else ""
    if not enc or _norm(enc) in _GB_FAMILY or _norm(enc) in _WESTERN:
        # Chinese government pages: a Western guess on non-UTF-8 bytes is GB text.
        text = _strict(data, "gb18030")
        if text is not None:
            return text, "gb18030"
        if not enc:
            raise DecodeError(source=source, position="whole document")
        if _norm(enc) in _GB_FAMILY:
            enc = "gb18030"
    return data.decode(enc, errors="replace"), enc


# -- text helpers --------------------------------------------------------------------------------

_CJK = "\u2e80-\u2fff\u3001-\u303f\u3040-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_CHAR = re.compile(f"[{_CJK}]")
# A line break in the source between two CJK characters is not a space (CSS segment breaks).
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])[ \\t\\r\\f]*\\n[\\s]*(?=[{_CJK}])")
_WS = re.compile(r"[\s\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff]+")
BR = "\u2029"  # a <br> (or a block boundary inside a cell) while text is collected

_BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "section", "article", "center",
    "pre", "hr", "form", "header", "footer", "address", "caption", "main", "aside", "nav", "figure",
    "figcaption", "fieldset", "legend", "details", "summary", "tr", "td", "th", "tbody", "thead",
    "tfoot", "h1", "h2", "h3", "h4", "h5", "h6", "table", "body", "html",
}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "title", "meta", "link", "select",
              "option", "button", "input", "textarea", "iframe", "object", "embed", "svg", "map",
              "area", "audio", "video", "canvas"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_IMG_TAG = re.compile(rb"<img\b", re.I)  # the same bytes in every encoding a page is read in but UTF-16
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _lines(raw: str) -> list[str]:
    """Collected raw text → its printed lines (whitespace collapsed, empty lines dropped)."""
    raw = _CJK_BREAK.sub("", raw)
    out = []
    for piece in raw.split(BR):
        s = _WS.sub(" ", piece).strip()
        if s:
            out.append(s)
    return out


def _join_cjk(lines: list[str]) -> str:
    """Lines of one cell joined: no space where either side is CJK, else one space."""
    if not lines:
        return ""
    out = lines[0]
    for s in lines[1:]:
        if _CJK_CHAR.match(out[-1]) or _CJK_CHAR.match(s[0]):
            out += s
        else:
            out += " " + s
    return out


def _tag(el) -> str:
    t = el.tag
    if not isinstance(t, str):
        return ""  # comment, processing instruction, entity
    if "}" in t:
        t = t.rsplit("}", 1)[1]
    return t.lower()


def _hidden(el) -> bool:
    style = el.get("style")
    return bool(style and _HIDDEN.search(style)) or el.get("hidden") is not None


# -- chrome and metadata -------------------------------------------------------------------------

_CHROME_WORDS = {
    "nav", "navbar", "menu", "header", "footer", "foot", "breadcrumb", "breadcrumbs", "crumb",
    "crumbs", "position", "location", "share", "bshare", "print", "toolbar", "copyright", "sidebar",
    "bottom", "topbar", "dqwz", "weizhi", "fenxiang", "fxan", "bdshare", "jiathis", "search",
    "links", "friendlink", "related", "relate", "xgwz", "xgxx", "prev", "next", "pager", "comment",
}
_CHROME_LINE = re.compile(
    r"^[\s【\[(（]*(?:打印本页|打印|关闭窗口|关闭本页|关闭|返回顶部|返回|收藏本页|加入收藏|收藏|分享到|分享|"
    r"字体|字号|大|中|小|默认|扫一扫(?:在手机打开当前页)?|保存|复制链接|纠错|我要纠错|top)"
    r"(?:[\s】\]）)|:：/]+(?:打印本页|打印|关闭窗口|关闭本页|关闭|返回顶部|返回|收藏|分享到|分享|字体|字号|"
    r"大|中|小|默认|扫一扫|保存|纠错|top))*[\s】\]）):：]*$",
    re.I,
)
_CHROME_PREFIX = re.compile(
    r"^[\s【\[]*(?:当前位置|您当前的位置|您的位置|您现在的位置|所在位置|位置|上一篇|下一篇|上一条|下一条|"
    r"浏览次数|阅读次数|访问次数|点击数|点击率|浏览量|责任编辑|编辑|来源|分享到|字体|【字体|网站标识码|"
    r"主办单位|承办单位|版权所有|ICP备|备案号|网站地图|联系我们)\s*[:：】\]]"
)

_GRID_LABELS = (
    "索引号", "发布机构", "发文机关", "发布单位", "发文日期", "成文日期", "发布日期", "生成日期", "公开日期",
    "主题分类", "体裁分类", "组配分类", "分类", "文号", "发文字号", "主题词", "关键词", "信息来源",
    "公开方式", "公开范围", "有效性", "时效", "信息名称", "名称", "标题", "内容概述", "所属机构",
)
_GRID_LABEL = re.compile(
    r"(" + "|".join(sorted(map(re.escape, _GRID_LABELS), key=len, reverse=True)) + r")\s*[:：]\s*"
)
_GRID_MARKERS = ("索引号", "发布机构", "发文机关", "发文日期", "成文日期", "发布日期", "主题分类", "文号",
                 "发文字号", "信息来源", "公开方式", "体裁分类")
_META_NAMES = {"articletitle": "ArticleTitle", "pubdate": "PubDate", "contentsource": "ContentSource",
               "columnname": "ColumnName", "sitename": "SiteName", "keywords": "Keywords",
               "description": "Description", "author": "Author", "firstdate": "FirstDate"}
_TITLE_WORDS = re.compile(r"政府信息公开|政务公开|信息公开")
_REPORT_WORDS = re.compile(r"年度报告|年报|工作报告")
_DATE_LINE = re.compile(
    r"^(?:(?:19|20)\d{2}|[二〇○零一三四五六七八九]{4})\s*年\s*[\d一二三四五六七八九十]{1,3}\s*月"
    r"(?:\s*[\d一二三四五六七八九十]{1,3}\s*日)?$"
)
_ATTACHMENT = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|ofd)(?:$|[?#])", re.I)
_ICON = re.compile(r"icon|print|close|share|qrcode|ewm|erweima|logo|weixin|weibo|wechat|spacer|"
                   r"blank\.gif|dot\.|bullet|arrow|btn|button|jiathis|bdshare|zt_|banner", re.I)

# Section headings whose table may be printed as an image (二, 三, 四 of the format).
_TOP_NUMBERED = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]\s*(.*)$")
_TABLE_SECTIONS = (
    ("active_disclosure", re.compile(r"主动公开")),
    ("applications", re.compile(r"收到和处理|申请情况")),
    ("review_litigation", re.compile(r"行政复议|行政诉讼")),
)


def _class_words(el) -> set[str]:
    words = set()
    for attr in ("class", "id"):
        v = el.get(attr)
        if v:
            words.update(w for w in re.split(r"[\s_\-]+", v.lower()) if w)
    return words


def _is_chrome_element(el) -> bool:
    tag = _tag(el)
    if tag in ("nav", "header", "footer", "aside"):
        return True
    return bool(_class_words(el) & _CHROME_WORDS)


def _chrome_line(line: str) -> bool:
    if len(line) > 80:
        return False
    if _CHROME_LINE.match(line):
        return True
    if _CHROME_PREFIX.match(line) and len(line) <= 60:
        return True
    if "打印本页" in line and "关闭" in line:
        return True
    return False


# -- the walk ------------------------------------------------------------------------------------


class _Walker:
    """Turns a body element into blocks in reading order."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.blocks: list[Block] = []
        self.pieces: list[str] = []
        self.warnings: list[str] = []
        self.elements = 0
        self.truncated = False
        self.table_cells = 0
        self.chars = 0
        self.grid_text: list[str] = []  # text of metadata grids met in the body
        # image tables: section state
        self.section = ""
        self.section_label = ""
        self.section_tables = 0
        self.section_images: list[tuple[str, str]] = []
        self.last_text = ""
        self.loose_images: list[tuple[str, str]] = []
        self.image_warnings: list[str] = []
        self.image_src: dict[str, str] = {}  # shown address → src as written (OCR looks for the file)
        self.image_tables: list[tuple[str, int, str]] = []  # (src, block index after it, warning)
        self.skip: set = set()
        self.orphans: list[list[Cell]] = []

    def warn_once(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def full(self) -> bool:
        if len(self.blocks) >= MAX_BLOCKS or self.chars > MAX_TEXT_CHARS:
            self.truncated = True
            self.warn_once(f"page truncated: more than {MAX_BLOCKS} blocks or {MAX_TEXT_CHARS} characters")
            return True
        return False

    # lines and paragraphs
    def flush(self) -> None:
        if not self.pieces:
            return
        raw = "".join(self.pieces)
        self.pieces = []
        lines = _lines(raw)
        if lines:
            self.close_orphans()
        for line in lines:
            self.add_paragraph(line)

    def add_paragraph(self, line: str, heading_level: int = 0) -> None:
        if _chrome_line(line):
            return
        if self.full():
            return
        self.chars += len(line)
        self.note_text(line)
        self.blocks.append(Heading(line, level=heading_level) if heading_level else Paragraph(line))

    def note_text(self, line: str) -> None:
        m = _TOP_NUMBERED.match(line)
        if m and len(line) <= 60:
            key = ""
            for k, pattern in _TABLE_SECTIONS:
                if pattern.search(m.group(1)):
                    key = k
                    break
            self.end_section()
            self.section, self.section_label = key, line
        self.last_text = line

    def end_section(self) -> None:
        if self.section and self.section_images and not self.section_tables:
            for src, _ in self.section_images[:1]:
                self.image_warnings.append(f"table printed as an image: {src} near '{self.section_label}'")
                self.image_tables.append((self.image_src.get(src, src), len(self.blocks), self.image_warnings[-1]))
        self.section, self.section_label, self.section_tables = "", "", 0
        self.section_images = []

    def add_table(self, table: Table) -> None:
        self.flush()
        self.close_orphans()
        if self.full():
            return
        self.blocks.append(table)
        self.section_tables += 1

    def image(self, el) -> None:
        src = (el.get("src") or el.get("data-src") or el.get("original") or "").strip()
        if not src or src.startswith("data:") and len(src) < 200:
            return
        if _ICON.search(src) or _ICON.search(el.get("class") or ""):
            return
        for attr in ("width", "height"):
            v = re.match(r"\s*(\d+)", el.get(attr) or "")
            if v and int(v.group(1)) < 80:
                return
        shown = src if src.startswith("data:") is False else "data:…"
        if self.base and not src.startswith("data:"):
            shown = urljoin(self.base, src)
        self.image_src[shown] = src
        if self.section:
            self.section_images.append((shown, self.section_label))
        else:
            self.loose_images.append((shown, self.last_text))

    # elements
    def walk(self, el, depth: int = 0) -> None:
        self.elements += 1
        if self.elements > MAX_ELEMENTS or self.truncated:
            if not self.truncated:
                self.truncated = True
                self.warn_once(f"page truncated: more than {MAX_ELEMENTS} elements")
            return
        tag = _tag(el)
        if not tag or tag in _SKIP_TAGS or depth > MAX_DEPTH or _hidden(el) or el in self.skip:
            return
        if tag == "br":
            self.pieces.append(BR)
            return
        if tag == "img":
            self.image(el)
            return
        if tag == "table":
            self.flush()
            self.table(el, depth)
            return
        if tag == "tr":  # a row left outside its table by a stray </table>
            self.flush()
            self.orphan_row(el, depth)
            return
        self.close_orphans()
        if tag in _HEADINGS:
            self.flush()
            lines = _lines(self.collect(el, depth))
            if lines:
                self.add_paragraph(_join_cjk(lines), heading_level=_HEADINGS[tag])
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.flush()
        if el.text:
            self.pieces.append(el.text)
        for child in el:
            self.walk(child, depth + 1)
            if child.tail:
                self.pieces.append(child.tail)
        if block:
            self.flush()

    def collect(self, el, depth: int) -> str:
        """The raw text of an element (cell, heading), <br> and blocks as line breaks."""
        out: list[str] = []

        def rec(e, d: int) -> None:
            self.elements += 1
            tag = _tag(e)
            if not tag or tag in _SKIP_TAGS or d > MAX_DEPTH or _hidden(e) or self.elements > MAX_ELEMENTS:
                return
            if tag == "br":
                out.append(BR)
                return
            if tag == "img":
                self.image(e)
                return
            block = tag in _BLOCK_TAGS
            if block:
                out.append(BR)
            if e.text:
                out.append(e.text)
            for c in e:
                rec(c, d + 1)
                if c.tail:
                    out.append(c.tail)
            if block:
                out.append(BR)

        if el.text:
            out.append(el.text)
        for c in el:
            rec(c, depth + 1)
            if c.tail:
                out.append(c.tail)
        return "".join(out)

    # tables
    @staticmethod
    def rows_of(table) -> list:
        rows = []
        for child in table:
            t = _tag(child)
            if t == "tr":
                rows.append(child)
            elif t in ("tbody", "thead", "tfoot"):
                rows.extend(c for c in child if _tag(c) == "tr")
        return rows

    @staticmethod
    def cells_of(tr) -> list:
        return [c for c in tr if _tag(c) in ("td", "th")]

    def table(self, el, depth: int) -> None:
        for child in el:
            if _tag(child) == "caption":
                self.walk(child, depth + 1)
        rows = self.rows_of(el)
        if len(rows) > MAX_ROWS:
            self.warn_once(f"a table with {len(rows)} rows was skipped (more than {MAX_ROWS})")
            return
        cells = [self.cells_of(tr) for tr in rows]
        n = sum(len(r) for r in cells)
        if self.table_cells + n > MAX_TABLE_CELLS:
            self.warn_once(f"tables beyond {MAX_TABLE_CELLS} cells in all were skipped")
            return
        width = max((sum(_span(c.get("colspan")) for c in r) for r in cells), default=0)
        if width > MAX_COLS:
            self.warn_once(f"a table {width} columns wide was skipped (more than {MAX_COLS})")
            return
        if self.is_layout(el, cells):
            self.unwrap(el, rows, cells, depth)
            return
        text = " ".join(el.itertext())[:2000] if len(rows) <= 12 else ""
        if text and sum(1 for m in _GRID_MARKERS if m in text) >= 2 and "信息内容" not in text:
            self.grid_text.append(self.collect(el, depth))  # the metadata grid: not a report table
            return
        self.emit_table(rows, cells, depth)

    def is_layout(self, el, cells: list[list]) -> bool:
        n_cells = sum(len(r) for r in cells)
        if n_cells == 0:
            return True
        for sub in el.iterdescendants("table"):
            return True  # a table holding tables is page layout
        if max(len(r) for r in cells) == 1:
            return True  # a single column: a frame, or prose set in a table
        for row in cells:
            for c in row:
                if len(c) and any(_tag(x) in _HEADINGS for x in c.iter()):
                    return True
                size = 0
                for t in c.itertext():  # stops at 400 characters: a cell of prose
                    size += len(t)
                    if size > 400:
                        return True
        return False

    def unwrap(self, el, rows, cells, depth: int) -> None:
        if not rows:  # a <table> with no rows: walk whatever it holds
            for child in el:
                if _tag(child) != "caption":
                    self.walk(child, depth + 1)
                    if child.tail:
                        self.pieces.append(child.tail)
            self.flush()
            return
        for row in cells:
            for c in row:
                self.flush()
                self.walk_children(c, depth + 2)
                self.flush()

    def walk_children(self, el, depth: int) -> None:
        if el.text:
            self.pieces.append(el.text)
        for child in el:
            self.walk(child, depth + 1)
            if child.tail:
                self.pieces.append(child.tail)

    def emit_table(self, rows, cells: list[list], depth: int) -> None:
        self.table_cells += sum(len(r) for r in cells)
        out: list[list[Cell]] = []
        n_rows = len(rows)
        for r, row in enumerate(cells):
            line = []
            for c in row:
                rowspan = _span(c.get("rowspan"), zero=n_rows - r)
                rowspan = max(1, min(rowspan, n_rows - r))
                colspan = min(_span(c.get("colspan")), MAX_COLS)
                text = _join_cjk(_lines(self.collect(c, depth + 2)))
                line.append(Cell(text, rowspan=rowspan, colspan=colspan))
            out.append(line)
        if not any(c.text for row in out for c in row):
            return  # an empty grid (spacing, a frame around an image)
        self.add_table(Table.from_rows(out))

    def orphan_row(self, tr, depth: int) -> None:
        """A <tr> after a stray </table>: it belongs to the table just before it."""
        cells = self.cells_of(tr)
        if not cells:
            self.walk_children(tr, depth)
            return
        width = sum(_span(c.get("colspan")) for c in cells)
        if width > MAX_COLS or self.table_cells + len(cells) > MAX_TABLE_CELLS or len(self.orphans) >= MAX_ROWS:
            self.warn_once(f"a table row {width} columns wide was skipped (more than {MAX_COLS})"
                           if width > MAX_COLS else "rows outside any table beyond the limits were skipped")
            return
        self.table_cells += len(cells)
        if not self.orphans and self.blocks and isinstance(self.blocks[-1], Table):
            prev = self.blocks.pop()  # rows continue the table just closed
            self.orphans = [[Cell(x.text, rowspan=x.rowspan, colspan=x.colspan) for x in line] for line in prev.rows()]
        row = []
        for c in cells:
            text = _join_cjk(_lines(self.collect(c, depth + 2)))
            row.append(Cell(text, rowspan=max(1, min(_span(c.get("rowspan")), 50)),
                            colspan=min(_span(c.get("colspan")), MAX_COLS)))
        self.orphans.append(row)

    def close_orphans(self) -> None:
        if self.orphans:
            rows, self.orphans = self.orphans, []
            if any(c.text for row in rows for c in row):
                self.blocks.append(Table.from_rows(rows))
                self.section_tables += 1


def _span(value, zero: int = 1) -> int:
    if not value:
        return 1
    m = re.match(r"\s*(\d+)", value)
    if not m:
        return 1
    n = int(m.group(1)[:6])
    if n == 0:
        return max(1, zero)
    return min(n, MAX_SPAN)


# -- the page ------------------------------------------------------------------------------------

# Known CMS containers of the report body, in order of preference: ("class" or "id", names).
_BODY_SELECTORS = [
    ("class", {"trs_editor"}),  # TRS WCM
    ("class", {"trs_ueditor"}),
    ("id", {"zoom"}),
    ("id", {"ucap-content"}),
    ("class", {"article-content", "article_content", "articlecontent"}),
    ("id", {"article-content", "articlecontent", "art_content", "js_content", "article_content"}),
    ("class", {"view"}),
    ("class", {"pages_content", "pages-content"}),
    ("class", {"zoom", "zoomcon", "bt-content", "news_content", "xxgk_content", "detail-content"}),
    ("id", {"content", "context", "fontzoom", "con", "detail", "text"}),
    ("tag", {"article"}),
    ("class", {"article", "detail", "main-text"}),
    ("class", {"content"}),
]


def _selector_hits(root) -> list[list]:
    """Elements matching each body selector (one pass over the elements with class or id)."""
    hits: list[list] = [[] for _ in _BODY_SELECTORS]
    for n, el in enumerate(root.xpath("//*[@class or @id] | //article")):
        if n > 50_000:
            break
        classes = set((el.get("class") or "").lower().split())
        ident = (el.get("id") or "").lower()
        tag = _tag(el)
        for i, (kind, names) in enumerate(_BODY_SELECTORS):
            if (kind == "class" and classes & names) or (kind == "id" and ident in names) \
                    or (kind == "tag" and tag in names):
                if len(hits[i]) < 200:
                    hits[i].append(el)
    return hits


_STRING_LENGTH = None


def _text_len(el) -> int:
    """Characters of text under an element (computed in C: pages can be huge)."""
    global _STRING_LENGTH
    if _STRING_LENGTH is None:
        from lxml import etree

        _STRING_LENGTH = etree.XPath("string-length(normalize-space(.))")
    return int(_STRING_LENGTH(el))


def _link_text_len(el) -> int:
    n = 0
    for i, a in enumerate(el.iter("a")):
        if i > 5000:
            break
        n += _text_len(a)
    return n


_TABLE_INNER = {"table", "tbody", "thead", "tfoot", "tr"}


def _find_body(root):
    """The element holding the report: a known CMS container, else the densest block."""
    body = root.find("body")
    if body is None:
        body = root
    total = max(1, _text_len(body))
    for matches in _selector_hits(root):
        found = [e for e in matches if _text_len(e) >= 20 or e.find(".//table") is not None
                 or e.find(".//img") is not None or e.find(".//a") is not None]
        # keep the outermost of nested matches, then the one with the most text
        ids = set(found)
        found = [e for e in found if not any(a in ids for a in e.iterancestors())]
        if found:
            best = max(found, key=_text_len)
            if _text_len(best) >= 0.15 * total or best.find(".//table") is not None or total < 400:
                return best
    # No known container: the deepest element that holds most of the page's non-link text.
    def score(e) -> int:
        return _text_len(e) - _link_text_len(e)

    target = score(body)
    node = good = body
    for _ in range(MAX_DEPTH):
        if len(node) > 2000:
            break
        kids = [c for c in node if _tag(c) and _tag(c) not in _SKIP_TAGS and not _is_chrome_element(c)]
        best = max(kids, key=score, default=None)
        if best is None or score(best) < 0.7 * target:
            break
        node = best
        if _tag(node) not in _TABLE_INNER:
            good = node  # never stop inside a table's rows: a data table is not a container
    return good


def _text_lines(el, skip=None) -> list[str]:
    """Every element's text as separate lines (for the metadata grid)."""
    out: list[str] = []
    buf: list[str] = []

    def flush():
        if buf:
            s = _WS.sub(" ", "".join(buf)).strip()
            if s:
                out.append(s)
            buf.clear()

    def rec(e, d):
        tag = _tag(e)
        if not tag or tag in _SKIP_TAGS or d > MAX_DEPTH or e is skip:
            return
        sep = tag in _BLOCK_TAGS or tag in ("span", "br", "label", "em", "strong", "b", "font", "a", "i")
        if sep:
            flush()
        if e.text:
            buf.append(e.text)
        for c in e:
            rec(c, d + 1)
            if c.tail:
                buf.append(c.tail)
        if sep:
            flush()

    rec(el, 0)
    flush()
    return out


def _grid_values(lines: list[str]) -> dict[str, str]:
    """索引号/发布机构/发文日期… from lines like '发布机构：' + 'XX局' or '发布机构：XX局 发文日期：…'."""
    meta: dict[str, str] = {}
    for i, line in enumerate(lines[:3000]):
        if len(line) > 300:
            continue
        ms = list(_GRID_LABEL.finditer(line))
        if not ms or ms[0].start() > 2:
            continue
        for k, m in enumerate(ms):
            end = ms[k + 1].start() if k + 1 < len(ms) else len(line)
            value = line[m.end():end].strip(" 　|")
            label = m.group(1)
            if not value and k + 1 == len(ms) and i + 1 < len(lines):
                nxt = lines[i + 1].strip()
                if nxt and not _GRID_LABEL.match(nxt) and len(nxt) <= 100:
                    value = nxt
            if value and label not in meta:
                meta[label] = value
    return meta


def _best_title(root, meta: dict[str, str], blocks: list[Block]) -> str:
    candidates: list[str] = []
    if meta.get("ArticleTitle"):
        candidates.append(meta["ArticleTitle"])
    for tag in ("h1", "h2", "h3"):
        for h in root.iter(tag):
            s = _join_cjk(_lines("".join(h.itertext())))
            if s and len(s) <= 100:
                candidates.append(s)
    heads = [b.text for b in blocks[:8] if not isinstance(b, Table)]
    for i, t in enumerate(heads):
        if len(t) <= 80 and "。" not in t:
            candidates.append(t)
            if i + 1 < len(heads) and len(t) <= 30 and re.match(r"\s*(?:19|20)\d{2}", heads[i + 1]):
                candidates.append(t + heads[i + 1])  # agency on one line, "2022年…报告" on the next
    title_el = root.find(".//title")
    page_title = _WS.sub(" ", "".join(title_el.itertext())).strip() if title_el is not None else ""
    if page_title:
        parts = [p.strip() for p in re.split(r"\s*(?:_|\||｜|--|—|-\s)\s*", page_title) if p.strip()]
        candidates.extend(parts)
        candidates.append(page_title)
    def named(s: str) -> bool:  # something (the agency) before the year or the title words
        m = _TITLE_WORDS.search(s)
        head = re.sub(r"(?:19|20)\d{2}\s*年度?", "", s[: m.start()]) if m else ""
        return len(head.strip()) >= 2

    for want in (lambda s: _TITLE_WORDS.search(s) and _REPORT_WORDS.search(s) and named(s),
                 lambda s: _TITLE_WORDS.search(s) and _REPORT_WORDS.search(s),
                 lambda s: _TITLE_WORDS.search(s)):
        for c in candidates:
            if want(c):
                return c
    return meta.get("ArticleTitle") or (candidates and page_title and page_title.split("_")[0].strip()) or ""


def _page_meta(root) -> dict[str, str]:
    meta: dict[str, str] = {}
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip()
        key = _META_NAMES.get(name.lower().replace("_", "").replace("-", ""))
        content = _WS.sub(" ", m.get("content") or "").strip()
        if key and content and key not in meta:
            meta[key] = content
    return meta


def _attachments(root, base: str) -> list[tuple[str, str]]:
    """(url, link text) of every attachment the page links to or embeds."""
    found: list[tuple[str, str]] = []
    seen = set()
    for el in root.iter("a", "iframe", "embed", "object"):
        tag = _tag(el)
        href = (el.get("href") if tag == "a" else el.get("src") or el.get("data")) or ""
        href = href.strip()
        text = _WS.sub(" ", "".join(el.itertext())).strip() if tag == "a" else ""
        url = ""
        if href and _ATTACHMENT.search(urlsplit(href).path + "?"):
            url = href
        elif href and "file=" in href:
            q = parse_qs(urlsplit(href).query).get("file", [""])[0]
            if _ATTACHMENT.search(q + "?"):
                url = q
        elif href and text and _ATTACHMENT.search(text + "?") and not href.lower().startswith(("javascript", "#")):
            url = href
        if not url:
            continue
        url = urljoin(base, url) if base else url
        if url not in seen:
            seen.add(url)
            found.append((url, text))
    return found


def _base_url(root, name: str) -> str:
    base = root.find(".//base")
    href = base.get("href", "").strip() if base is not None else ""
    if name.startswith(("http://", "https://")):
        return urljoin(name, href) if href else name
    return href if href.startswith(("http://", "https://")) else ""


@dataclass
class _Page:
    """A page decoded, parsed and walked: what `read_html` builds its Document from."""

    root: object  # the lxml tree
    encoding: str
    warnings: list[str]
    meta: dict[str, str]
    base: str  # the URL relative addresses are resolved against ("" for a local file)
    body: object  # the element holding the report
    walker: "_Walker"


def _walked(data: bytes, name: str) -> _Page:
    """Decode, parse and walk a page (what read_html and table_images both need). Raises a `ParseError`."""
    if not data or not data.strip():
        raise EmptyDocument(source=name)
    if len(data) > MAX_BYTES:
        raise TooLarge(f"page of {len(data)} bytes is larger than {MAX_BYTES}", source=name)
    text, encoding = decode_html(data, source=name)
    if text.count("\ufffd") > max(50, len(text) // 50):
        raise DecodeError("page is not text in any known encoding", source=name)

    from lxml import etree

    text = re.sub(r"^\s*<\?xml[^>]*>", "", text.lstrip("\ufeff")).replace("\u2029", " ").replace("\x00", "")
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True,
                              no_network=True, default_doctype=False)
    try:
        root = etree.fromstring(text.encode("utf-8", "replace"), parser)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"HTML could not be parsed: {exc}", source=name) from exc
    if root is None:
        raise EmptyDocument("page holds no HTML elements", source=name)

    warnings: list[str] = []
    if any("depth" in e.message.lower() for e in list(parser.error_log)[-20:]):
        warnings.append("page nested deeper than 256 levels: the rest of the page was dropped")
    meta = _page_meta(root)
    base = _base_url(root, name)
    body = _find_body(root)

    walker = _Walker(base)
    # chrome inside the body (a share bar, a print link) is not the report
    walker.skip = {el for el in body.xpath(".//*[@class or @id] | .//nav | .//header | .//footer | .//aside")
                   if el is not body and _is_chrome_element(el) and el.find(".//table") is None}
    walker.walk(body)
    walker.flush()
    walker.close_orphans()
    walker.end_section()
    return _Page(root, encoding, warnings, meta, base, body, walker)


def table_images(data: bytes, name: str = "") -> list[str]:
    """The images of a page that stand where a table should be (those `read_html` warns about
    as "table printed as an image" and reads by OCR), their src as written: what the fetcher
    fetches along with the page. [] for a page that cannot be read."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and not _IMG_TAG.search(data):  # no image at all: no need to walk the page
        return []
    try:
        walker = _walked(data, name).walker
    except ParseError:
        return []
    return list(dict.fromkeys(src for src, _, _ in walker.image_tables))


def read_html(data: bytes, name: str = "", images: Callable[[str], bytes | None] | None = None) -> Document:
    """Read an HTML report page's bytes into the document model. Raises a `ParseError`.

    A table printed as an image is read by OCR where its bytes are at hand: `images(src)` (the
    src as the page writes it; a fetched page's images in the fetch store), else a data: URI or
    a file next to the page (`ocr.local_image`). Nothing is ever fetched here."""
    page = _walked(data, name)
    root, encoding, warnings, meta, base, body, walker = (page.root, page.encoding, page.warnings, page.meta,
                                                          page.base, page.body, page.walker)
    # The metadata grid sits outside the body (or in a grid table inside it, handled by the walk).
    outside = _text_lines(root, skip=body) if body is not root else []
    grid = _grid_values([line for line in outside if line] + [ln for g in walker.grid_text for ln in _lines(g)])
    body_grid = _grid_values([b.text for b in walker.blocks[:6] if isinstance(b, Paragraph)])
    for k, v in list(grid.items()) + list(body_grid.items()):
        meta.setdefault(k, v)
    if "发布机构" not in meta and "发文机关" in meta:
        meta["发布机构"] = meta["发文机关"]
    if "发布日期" not in meta:
        for k in ("发文日期", "成文日期", "公开日期", "生成日期", "PubDate"):
            if meta.get(k):
                meta["发布日期"] = meta[k]
                break

    blocks = walker.blocks
    warnings.extend(walker.warnings)
    if not blocks and warnings:
        raise ParseError("; ".join(warnings), source=name)
    tables = [b for b in blocks if isinstance(b, Table)]
    warnings.extend(walker.image_warnings)
    # Where each table image stood: the block after it (None: the end), found again by identity.
    image_tables = [(src, blocks[i] if i < len(blocks) else None, w) for src, i, w in walker.image_tables]
    if not tables and walker.loose_images and not walker.image_warnings:
        src, near = walker.loose_images[0]
        warnings.append(f"table printed as an image: {src} near '{near[:40]}'")

    attachments = _attachments(root, base)
    if attachments:
        meta["attachments"] = "\n".join(u for u, _ in attachments)
        has_report_text = any(
            not isinstance(b, Table) and _TOP_NUMBERED.match(b.text)
            and any(p.search(b.text) for _, p in _TABLE_SECTIONS) for b in blocks
        )
        if not tables and not has_report_text:
            def rank(item):
                url, label = item
                s = url + " " + label
                return (0 if _REPORT_WORDS.search(s) or _TITLE_WORDS.search(s) else 1,
                        0 if url.lower().split("?")[0].endswith(".pdf") else 1)

            url, _ = min(attachments, key=rank)
            warnings.append(f"report published as an attachment: {url}")

    # signature and date at the end of the body
    paras = [b.text for b in blocks if isinstance(b, Paragraph)]
    for p in reversed(paras[-6:]):
        s = p.replace(" ", "")
        if "signature_date" not in meta and _DATE_LINE.match(s):
            meta["signature_date"] = s
        elif "signature" not in meta and 3 <= len(s) <= 30 and not re.search(r"[，,。；;：:、]", s) \
                and re.search(r"(?:局|委|厅|办|政府|办公室|办事处|委员会|中心|院|所|站|队|馆|会|署)$", s):
            meta["signature"] = s

    title = _best_title(root, meta, blocks)
    agency = meta.get("发布机构", "")
    if agency and not any(isinstance(b, Paragraph) and b.text.startswith(("发布机构", "发文机关")) for b in blocks[:15]):
        blocks.insert(0, Paragraph(f"发布机构:{agency}"))
    if not blocks and not warnings:
        raise EmptyDocument("page holds no text", source=name)
    doc = Document(blocks=blocks, format="html", encoding=encoding, title=title, meta=meta, warnings=warnings)
    if image_tables:
        from .ocr import local_image, ocr_table_images

        def data_of(src: str) -> bytes | None:
            return (images(src) if images else None) or local_image(src, name)
        return ocr_table_images(doc, image_tables, name, data_of=data_of)
    return doc


