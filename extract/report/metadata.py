"""Report metadata: title, reporting agency, the year covered, and the agency's region.

Agency: from the title ("漳平市教育局2020年政府信息公开工作年度报告"), else the signature line at
the end, else a 发布机构/来源 line, else the agency the body names with its own kind of
self-reference (我局 → …局), found with jieba. Region and adcode come from the agency name
through cpca's gazetteer, never from a hand-written list.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from parsers.model import Document, Table

from .gazetteer import lookup
from .normalize import clean

log = logging.getLogger(__name__)

AGENCY_SUFFIXES = ("人民政府办公厅", "人民政府办公室", "人民政府", "街道办事处", "办事处", "委员会", "管理委员会",
                   "办公厅", "办公室", "局", "委", "厅", "署", "中心", "院", "所", "站", "队", "馆", "会", "政府", "办")
_TITLE = re.compile(r"政府信息公开|政务公开")
_TITLE_END = re.compile(r"(?:年度|年)?(?:工作)?(?:年度)?(?:报告|年报)\s*$")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PERIOD = re.compile(r"统计(?:期限|周期|时限|时间|区间|范围)[^。；]{0,12}?((?:19|20)\d{2})\s*年")
_PUBLISHER = re.compile(r"^(?:发布机构|发文机关|信息来源|来源|发布单位)\s*[:：]\s*(\S{3,30})")
_DATE_LINE = re.compile(r"^\s*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?\s*$")
_SELF = {"局": "局", "委": "委", "厅": "厅", "办": "办", "区": "区人民政府", "县": "县人民政府",
         "市": "市人民政府", "镇": "镇人民政府", "乡": "乡人民政府", "街道": "街道办事处", "中心": "中心"}
_REGION_WORD = re.compile(r"(?:省|市|自治区|自治州|地区|盟|县|区|旗|镇|乡|街道)$")


@dataclass
class Metadata:
    title: str = ""
    agency: str = ""
    year: int | None = None
    province: str = ""
    city: str = ""
    county: str = ""
    adcode: str = ""


def _paragraphs(doc: Document) -> list[str]:
    return [clean(b.text.strip()) for b in doc.blocks if not isinstance(b, Table) and b.text.strip()]


def find_title(doc: Document) -> str:
    if doc.title and _TITLE.search(clean(doc.title)):
        return clean(doc.title).strip()
    paras = _paragraphs(doc)[:12]
    for i, p in enumerate(paras):
        if len(p) > 70 or "。" in p or ">" in p or "当前位置" in p or "您的位置" in p:
            continue  # prose, or a breadcrumb ("当前位置:首页 > … > 政府信息公开年报")
        joined = p
        if _TITLE.search(p) and not _TITLE_END.search(p) and i + 1 < len(paras) and len(paras[i + 1]) <= 10:
            joined = p + paras[i + 1]  # a title broken over two lines
        if _TITLE.search(joined) and _TITLE_END.search(joined):
            return re.sub(r"\s+", "", joined) if re.search(r"\d\s+年", joined) else joined
        if i + 1 < len(paras) and _TITLE.search(paras[i + 1]) and len(p) <= 20 and p.endswith(AGENCY_SUFFIXES):
            nxt = paras[i + 1]
            if _TITLE_END.search(nxt) and len(nxt) <= 40:
                return p + nxt  # agency on one line, "2023年政府信息公开工作年度报告" on the next
    return ""


def agency_from_title(title: str) -> str:
    t = re.sub(r"\s+", "", title)
    t = re.sub(r"(?:19|20)\d{2}年度?", "", t)
    m = _TITLE.search(t)
    if not m:
        return ""
    agency = t[: m.start()].strip("关于的-—:： /")
    agency = re.sub(r"^(?:关于)", "", agency)
    return agency if 2 <= len(agency) <= 30 else ""


def _agency_like(text: str) -> bool:
    return 3 <= len(text) <= 30 and text.endswith(AGENCY_SUFFIXES) and not re.search(r"[，,。；;：:、\d]", text)


def agency_from_signature(paras: list[str]) -> str:
    tail = paras[-6:]
    for i in range(len(tail) - 1, -1, -1):
        p = tail[i].replace(" ", "")
        if _agency_like(p):
            return p
    return ""


def agency_from_publisher(paras: list[str]) -> str:
    for p in paras[:15]:
        m = _PUBLISHER.match(p.lstrip("•· "))
        if m and _agency_like(m.group(1)):
            return m.group(1)
    return ""


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def agency_from_body(paras: list[str]) -> str:
    """The agency the body names, whose kind matches how the report refers to itself (我局…)."""
    body = "".join(paras[:40])[:6000]
    selves = Counter(m.group(1) for m in re.finditer(r"[我本](局|委|厅|办|区|县|市|镇|乡|街道|中心)", body))
    if not selves:
        return ""
    suffix = _SELF[selves.most_common(1)[0][0]]
    words = [w for w in _jieba().cut(body) if w.strip()]
    found: Counter[str] = Counter()
    for i, w in enumerate(words):
        if not _REGION_WORD.search(w) or len(w) < 2:
            continue
        name = w
        for nxt in words[i + 1 : i + 6]:
            if re.search(r"[^\u4e00-\u9fff]", nxt):
                break
            name += nxt
        # jieba may glue the suffix to the next word ("局微信"): cut the name at the suffix.
        end = name.find(suffix, len(w))
        if end > 0 and end + len(suffix) <= 20:
            found[name[: end + len(suffix)]] += 1
    return found.most_common(1)[0][0] if found else ""


def find_year(title: str, paras: list[str]) -> int | None:
    this_year = date.today().year
    plausible = [y for y in (int(m.group(1)) for m in _YEAR.finditer(re.sub(r"\s+", "", title))) if 2000 <= y <= this_year]
    if plausible:
        return plausible[0]
    text = "\n".join(paras[:60])
    compact = re.sub(r"[ \t]+", "", text)
    for pattern in (_PERIOD, re.compile(r"((?:19|20)\d{2})年度")):
        for m in pattern.finditer(compact):
            y = int(m.group(1))
            if 2000 <= y <= this_year:
                return y
    years = [int(m.group(1)) for m in _YEAR.finditer(compact) if 2000 <= int(m.group(1)) <= this_year]
    # The year covered is the one the body talks about most; publication dates come later.
    return Counter(years).most_common(1)[0][0] if years else None


@lru_cache(maxsize=4096)
def region_of(agency: str) -> tuple[str, str, str, str]:
    """(province, city, county, adcode) from cpca's gazetteer, '' where not determinable."""
    if not agency:
        return "", "", "", ""
    return lookup(agency)


def extract_metadata(doc: Document) -> Metadata:
    paras = _paragraphs(doc)
    title = find_title(doc)
    agency = (agency_from_title(title) if title else "") or agency_from_signature(paras) \
        or agency_from_publisher(paras) or agency_from_body(paras)
    province, city, county, adcode = region_of(agency)
    return Metadata(title=title, agency=agency, year=find_year(title, paras),
                    province=province, city=city, county=county, adcode=adcode)
