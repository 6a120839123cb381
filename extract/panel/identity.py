"""One agency, whatever the spelling: a raw agency string of a report → canonical name, region
(cpca's gazetteer, the one report/metadata.py uses), level and kind.

The id is the adcode and the canonical name. The canonical name is built, not voted: the
gazetteer's own place names (杭州西湖区 → 杭州市西湖区) followed by the rest of the name after the
rules (rules.py, data/agencies-rules.toml), so the id of an agency does not change when more of
its reports arrive. A name without a place the gazetteer knows (城关镇人民政府, 团结乡人民政府) takes
its county from the report's own words where they name it right before the name (固始县城关镇),
which keeps the 城关镇 of two counties apart; where nothing names it, the adcode stays empty.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache

from ..report.gazetteer import cpca_module, read_row
from ..report.metadata import agency_from_title
from ..report.normalize import clean
from .rules import AgencyRules, load_rules

NATIONAL_ADCODE = "100000"  # the country's own code in GB/T 2260-based gazetteers (DataV)


@dataclass(frozen=True)
class Place:
    province: str = ""
    city: str = ""
    county: str = ""
    adcode: str = ""
    prefix: str = ""  # the place as the gazetteer names it, as it starts a canonical name


@dataclass(frozen=True)
class Identity:
    name: str
    province: str = ""
    city: str = ""
    county: str = ""
    adcode: str = ""
    level: str = "unknown"
    kind: str = "other"
    own: str = ""  # the name after its place: what level and kind are read from
    placed: bool = False  # the gazetteer placed the name (else the report's context may)

    @property
    def agency_id(self) -> str:
        return f"{self.adcode}:{self.name}"


def _s(v) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) else str(v)


_LOCATED: dict[str, tuple[Place, str, bool] | None] = {}


def read_places(texts) -> dict[str, tuple[Place, str, bool] | None]:
    """Many strings through the gazetteer (its single-address path: ~30 µs a string, no pandas)."""
    return {text: _reading(text, read_row(text, positions=True)) for text in {t for t in texts if t}}


def prime(names) -> None:
    """Read agency names through the gazetteer in bulk, kept for locate() (one entry per distinct name)."""
    _LOCATED.update(read_places(n for n in names if n not in _LOCATED))


def locate(text: str) -> tuple[Place, str, bool] | None:
    """The gazetteer's reading of a name: (place, the rest of the name, place starts the name),
    or None when no trustworthy place is in it."""
    if text not in _LOCATED:
        prime([text])
    return _LOCATED.get(text)


def _reading(text: str, row: dict) -> tuple[Place, str, bool] | None:
    rules = load_rules()
    province, city, county, adcode = (_s(row.get(k)) for k in ("省", "市", "区", "adcode"))
    if not adcode:
        return None
    names = [(n, int(row.get(f"{k}_pos", -1))) for n, k in ((province, "省"), (city, "市"), (county, "区"))]
    found = [(n, p) for n, p in names if n and p >= 0]
    if not found or any(n in rules.placeholder_places for n, _ in found):
        return None  # cpca matched a placeholder (沐阳县 → 重庆市 "县"): not a place of the name
    rest = _s(row.get("地址"))
    end = len(text) - len(rest)
    deepest = max(found, key=lambda np: np[1])[0]
    if not text[:end].endswith(deepest) and rest.startswith(rules.street_heads):
        return None  # 中山街道办事处 is not 中山市's, 南京路街道 not 南京市's
    start = min(p for _, p in found)
    return _place(province, city, county, adcode[:6]), rest, start == 0


def _place(province: str, city: str, county: str, adcode: str) -> Place:
    rules = load_rules()
    if city in rules.placeholder_places:
        city = ""
    if county and county.endswith("区") and (city or province in rules.municipalities):
        prefix = (city or province) + county  # districts are named with their city (杭州市西湖区)
    else:
        prefix = county or city or province
    return Place(province, city, county, adcode, prefix)


def place_of_adcode(adcode: str) -> Place:
    """The place of a 6-digit adcode in the gazetteer (agencies.toml's `adcode`)."""
    cpca = cpca_module()

    def name(code: str) -> str:
        info = cpca.ad_2_addr_dict.get(code + "000000")
        return info.name if info is not None else ""

    province = name(adcode[:2] + "0000")
    city = name(adcode[:4] + "00") if adcode[2:] != "0000" else ""
    county = name(adcode) if adcode[4:] != "00" else ""
    if not (province or city or county):
        raise ValueError(f"adcode {adcode} is not in the gazetteer")
    return _place(province, city, county, adcode)


def stripped(raw: str) -> str | None:
    """The raw string cleaned and rewritten by the rules (1–6 of agencies-rules.toml), before the
    gazetteer: None when it is not an agency name."""
    rules = load_rules()
    s = clean(raw or "").strip()
    if not s or any(m in s for m in rules.not_an_agency):
        return None
    while (m := rules.label_prefix.match(s)):
        s = s[m.end():]
    if "政府信息公开" in s or "政务公开" in s:
        s = agency_from_title(s)  # a title in place of a name
    for p in rules.drop:
        s = p.sub("", s)
    for p, repl in rules.rewrite:
        s, n = p.subn(repl, s, count=1)
        if n:
            break
    return s or None


def _repair(s: str, rules: AgencyRules) -> str:
    """A damaged place character swapped back where that makes the name a gazetteer place."""
    if (hit := locate(s)) is not None and hit[2]:
        return s
    for bad, good in rules.ocr_confusions:
        if bad in s and (hit := locate(s.replace(bad, good))) is not None and hit[2]:
            return s.replace(bad, good)
    return s


def _place_only(s: str, rest: str | None, rules: AgencyRules) -> str:
    if rest == "":
        return s + rules.place_government  # the whole name is a gazetteer place
    for ending, suffix in rules.place_endings:
        if s.endswith(ending):
            return s + suffix
    return s


def classify(own: str, name: str, adcode: str, county: str, city: str, province: str,
             rules: AgencyRules) -> tuple[str, str]:
    """(level, kind) of a canonical name whose own part (after its place) is `own`."""
    kind = next((k for k, ends in (("government", rules.government), ("department", rules.department))
                 if name.endswith(ends)), "other")
    if rules.township.search(own):
        level = "township"
    elif county:
        level = "county"
    elif city:
        level = "city"
    elif province:
        level = "province"
    elif adcode == NATIONAL_ADCODE or rules.national.search(name):
        level = "national"
    else:
        level = "unknown"
    return level, kind


@lru_cache(maxsize=65536)
def identify(raw: str) -> Identity | None:
    """The identity a raw agency string names by itself; None when it is not an agency name."""
    rules = load_rules()
    s = stripped(raw)
    if s is None:
        return None
    s = _repair(s, rules)
    hit = locate(s)
    if hit is not None and hit[2]:
        place, rest, _ = hit
        end = len(s) - len(rest)  # where the place ends
        own = _place_only(s, rest, rules)[end:]
        name = place.prefix + own
    else:
        place = hit[0] if hit is not None else None  # a place inside the name (国家税务总局杭州市…)
        name = own = _place_only(s, None, rules)
    if len(name) < 2:
        return None
    p = place or Place()
    adcode = p.adcode
    level, kind = classify(own, name, adcode, p.county, p.city, p.province, rules)
    if level == "national":
        adcode = NATIONAL_ADCODE
    return Identity(name, p.province, p.city, p.county, adcode, level, kind, own, placed=place is not None)


_HAN = re.compile(r"[\u4e00-\u9fff]{1,12}$")


def core_of(identity: Identity, rules: AgencyRules | None = None) -> str:
    """The part of an unplaced name a report's text would print after its county: 城关镇 of
    城关镇人民政府, 驼峰路街道 of 驼峰路街道办事处."""
    rules = rules or load_rules()
    name = identity.name
    for suffix in sorted({s for _, s in rules.place_endings} | {rules.place_government}, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def context_snippets(identity: Identity, texts: list[str]) -> list[str]:
    """What the report prints right before the name's core (城关镇 of 城关镇人民政府), up to 12
    characters each: where its county would be named."""
    core = core_of(identity)
    if len(core) < 2:
        return []
    out = []
    for text in texts:
        text = clean(text or "")
        for m in re.finditer(re.escape(core), text):
            before = _HAN.search(text[max(0, m.start() - 12): m.start()])
            if before:
                out.append(before.group(0))
    return out


def place_in_context(snippets: list[str], located: dict | None = None) -> Place | None:
    """The place the snippets end with (固始县 of "2020年，固始县"), the one most often printed;
    None when they end with none. `located`: read_places() of the snippets, when there are many."""
    located = located if located is not None else read_places(snippets)
    seen: Counter[Place] = Counter()
    for snippet in snippets:
        hit = located.get(snippet)
        if hit is not None and hit[1] == "":
            seen[hit[0]] += 1
    return seen.most_common(1)[0][0] if seen else None


def placed_by_context(identity: Identity, place: Place) -> Identity:
    """An unplaced identity given the place its report names."""
    rules = load_rules()
    name = place.prefix + identity.name
    level, kind = classify(identity.own, name, place.adcode, place.county, place.city, place.province, rules)
    return replace(identity, name=name, province=place.province, city=place.city, county=place.county,
                   adcode=place.adcode, level=level, kind=kind, placed=True)
