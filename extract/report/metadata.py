"""Report metadata: title, reporting agency, the year covered, and the agency's region.

Agency: from the title ("漳平市教育局2020年政府信息公开工作年度报告"; a title naming only a place,
"三明市2022年…", is that place's government's), else the signature line at the end, else the
publisher the page's metadata grid or field lines name (发布机构：…), else the agency the body
names with its own kind of self-reference (我局 → …局), found with jieba. Field labels of
crawler and CMS text ("标题：", "栏目：") are read as fields, never as part of a name; they and
the place rules are data (`data/agency.toml`). Region and adcode come from the agency name
through cpca's gazetteer, never from a hand-written list.
"""
from __future__ import annotations

import logging
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

from parsers.model import Document, Table

from .gazetteer import lookup, read_address
from .normalize import clean

log = logging.getLogger(__name__)

AGENCY_SUFFIXES = ("人民政府办公厅", "人民政府办公室", "人民政府", "街道办事处", "办事处", "委员会", "管理委员会",
                   "办公厅", "办公室", "局", "委", "厅", "署", "中心", "院", "所", "站", "队", "馆", "会", "政府", "办")
_TITLE = re.compile(r"政府信息公开|政务公开")
_TITLE_END = re.compile(r"(?:年度|年)?(?:工作)?(?:年度)?(?:报告|年报)\s*$")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PERIOD = re.compile(r"统计(?:期限|周期|时限|时间|区间|范围)[^。；]{0,12}?((?:19|20)\d{2})\s*年")
_INTRO = re.compile(r"(?:现予?公布|现将|现发布|特?发布|予以公布|编制了?|形成了?)《?(?P<agency>[\u4e00-\u9fff]{2,30}?)"
                    r"(?:(?:19|20)\d{2}年度?)?(?:的)?(?:政府)?信息公开(?:工作)?(?:年度)?(?:报告|年报|情况|工作)")
_YEAR_ALONE = re.compile(r"^\s*(?:19|20)\d{2}\s*$")
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


@dataclass(frozen=True)
class _Place:
    suffix: str
    government: str
    town: bool


@dataclass(frozen=True)
class _AgencyRules:
    """`data/agency.toml`: field labels of crawler and CMS text, and the places' governments."""

    field_kinds: dict[str, str]  # label → title | publisher | body | other
    publishers: tuple[str, ...]  # publisher labels, most reliable first
    places: tuple[_Place, ...]  # longest suffix first
    field_line: re.Pattern


@lru_cache(maxsize=1)
def _rules() -> _AgencyRules:
    raw = tomllib.loads(resources.files("extract").joinpath("data/agency.toml").read_text("utf-8"))
    kinds = {label: kind for kind, labels in raw["fields"].items() for label in labels}
    labels = "|".join(sorted(map(re.escape, kinds), key=len, reverse=True))
    places = sorted((_Place(p["suffix"], p["government"], bool(p.get("town", False))) for p in raw["places"]),
                    key=lambda p: -len(p.suffix))
    return _AgencyRules(kinds, tuple(raw["fields"]["publisher"]), tuple(places),
                        re.compile(rf"^[\s•·【\[]*({labels})\s*[】\]]?\s*[:：]\s*(.*)$"))


def field_of(line: str) -> tuple[str, str, str] | None:
    """(kind, label, value) of a crawler or CMS field line ("标题：…", "栏目：…"), else None."""
    m = _rules().field_line.match(line)
    if not m:
        return None
    return _rules().field_kinds[m.group(1)], m.group(1), m.group(2).strip()


def _title_lines(paras: list[str]) -> list[str]:
    """The opening lines that can hold the title: field lines give their value, or nothing; a
    year on a line of its own (crawler text: "三明市" / "2022" / "年政府信息公开…") is joined
    to the lines around it."""
    out: list[str] = []
    for p in paras:
        f = field_of(p)
        if f is not None:
            if f[0] not in ("title", "body") or not f[2]:
                continue
            p = f[2]
        if out and (_YEAR_ALONE.match(out[-1]) and p.startswith("年")
                    or _YEAR_ALONE.match(p) and len(out[-1]) <= 30 and "。" not in out[-1]):
            out[-1] += p
        else:
            out.append(p)
    return out


def find_title(doc: Document) -> str:
    """The report's title as printed (field labels such as "标题：" removed)."""
    meta_title = clean(doc.title).strip() if doc.title and _TITLE.search(clean(doc.title)) else ""
    if meta_title and agency_from_title(meta_title):
        return meta_title
    # A title without its agency (a PDF's metadata title, a title whose agency line is above
    # it): the text's own title may name the agency.
    printed = _printed_title(_title_lines(_paragraphs(doc)[:15])[:12])
    if printed and (agency_from_title(printed) or not meta_title):
        return printed
    return meta_title


def _printed_title(paras: list[str]) -> str:
    for i, p in enumerate(paras):
        if len(p) > 70 or "。" in p or ">" in p or "当前位置" in p or "您的位置" in p:
            continue  # prose, or a breadcrumb ("当前位置:首页 > … > 政府信息公开年报")
        joined = p
        if _TITLE.search(p) and not _TITLE_END.search(p) and i + 1 < len(paras) and len(paras[i + 1]) <= 10:
            joined = p + paras[i + 1]  # a title broken over two lines
        if _TITLE.search(joined) and _TITLE_END.search(joined):
            title = re.sub(r"\s+", "", joined) if re.search(r"\d\s+年", joined) else joined
            above = paras[i - 1].replace(" ", "") if i else ""
            if not agency_from_title(title) and _agency_like(above) and len(above) <= 20:
                return above + title  # "淮安市人民政府" on the line above "2024年政府信息公开工作年度报告"
            return title
        if i + 1 < len(paras) and _TITLE.search(paras[i + 1]) and len(p) <= 20 and p.endswith(AGENCY_SUFFIXES):
            nxt = paras[i + 1]
            if _TITLE_END.search(nxt) and len(nxt) <= 40 and ">" not in nxt and "位置" not in nxt:
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
    return government_of_place(agency) if 2 <= len(agency) <= 30 else ""


def government_of_place(name: str) -> str:
    """A name that is only a place stands for its government: '三明市' → '三明市人民政府'."""
    for place in _rules().places:
        if name.endswith(place.suffix):
            return name + place.government if _is_place(name, place) else name
    return name


def _is_place(name: str, place: _Place) -> bool:
    if place.town:
        # Towns and sub-districts are below the gazetteer: a plain name ending with the suffix.
        return bool(re.fullmatch(r"[\u4e00-\u9fff]{1,12}", name[: -len(place.suffix)])) \
            and not name[: -len(place.suffix)].endswith(AGENCY_SUFFIXES)
    province, city, county, _, rest = read_address(name)
    deepest = county or (city if city != "市辖区" else "") or province
    return rest == "" and bool(deepest) and name.endswith(deepest)


def agency_from_intro(paras: list[str]) -> str:
    """The agency the opening sentence names its report after: "现公布三明市人民政府2022年政府信息
    公开工作年度报告", "发布《莆田市城市管理局2023年度…年度报告》", "现将穆寨街道办事处2021年度信息公开
    工作的…报告如下". Lines are joined without spaces first: crawler text breaks them anywhere."""
    opening = re.sub(r"\s+", "", "".join(paras[:30]))[:3000]
    for m in _INTRO.finditer(opening):
        agency = government_of_place(m.group("agency"))
        if _agency_like(agency) and not agency.startswith(("我", "本")):
            return agency
    return ""


def _agency_like(text: str) -> bool:
    return 3 <= len(text) <= 30 and text.endswith(AGENCY_SUFFIXES) and not re.search(r"[，,。；;：:、\d]", text)


def agency_from_signature(paras: list[str]) -> str:
    """The signature line at the end; or the agency and date printed under the title at the top
    ("廣州市人民政府" / "2013年3月")."""
    tail = paras[-6:]
    for i in range(len(tail) - 1, -1, -1):
        p = tail[i].replace(" ", "")
        if _agency_like(p):
            return p
    for p, nxt in zip(paras[:4], paras[1:5]):
        if _agency_like(p.replace(" ", "")) and _DATE_LINE.match(nxt):
            return p.replace(" ", "")
    return ""


def agency_from_publisher(doc: Document, paras: list[str]) -> str:
    """The publisher named by the page's metadata grid or by field lines (发布机构：…)."""
    found: dict[str, str] = {}
    for label, value in doc.meta.items():
        found.setdefault(label, value.strip())
    for p in paras[:15]:
        f = field_of(p)
        if f and f[0] == "publisher" and f[2]:
            found.setdefault(f[1], f[2])
    for label, value in _grid_fields(doc):
        found.setdefault(label, value)
    for label in _rules().publishers:
        value = government_of_place(found.get(label, "").replace(" ", ""))
        if _agency_like(value):
            return value
    return ""


def _grid_fields(doc: Document) -> list[tuple[str, str]]:
    """(label, value) pairs of a metadata grid printed as a table: "发布机构" | "XX局", or "发布机构：XX局"."""
    out = []
    for block in doc.blocks[:12]:
        if not isinstance(block, Table):
            continue
        for row in block.rows():
            texts = [clean(c.text.strip()) for c in row]
            for k, text in enumerate(texts):
                f = field_of(text if re.search(r"[:：]", text) else text + "：")
                if f is None or f[0] != "publisher":
                    continue
                value = f[2] or (texts[k + 1] if k + 1 < len(texts) and field_of(texts[k + 1]) is None else "")
                if value:
                    out.append((f[1], value))
    return out


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
        if not _REGION_WORD.search(w):
            continue
        if len(w) < 2:
            # jieba cuts some places before their suffix ("光明" "区"): join them back.
            if not i or not re.fullmatch(r"[\u4e00-\u9fff]{2,6}", words[i - 1]):
                continue
            w = words[i - 1] + w
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
    agency = (agency_from_title(title) if title else "") or agency_from_intro(paras) \
        or agency_from_signature(paras) or agency_from_publisher(doc, paras) or agency_from_body(paras)
    province, city, county, adcode = region_of(agency)
    return Metadata(title=title, agency=agency, year=find_year(title, paras),
                    province=province, city=city, county=county, adcode=adcode)
