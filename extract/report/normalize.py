"""Text normalisation for matching labels and reading metadata (formats.md §1).

`clean` gives readable text: NFKC (full-width digits and brackets become half-width),
traditional → simplified, inline pinyin of mirror sites removed, quotes unified.
`label_key` goes further, for comparing a printed label with the schema: leading numbering
("一、", "(三)", "1.") and everything that is not a letter or digit are dropped.
`mirror_key` is the label key of a mirror site's rendering: pages converted to Taiwan usage
print phrases of their own (規範性檔案 for 规范性文件, 資訊 for 信息), which OpenCC's tw2sp
turns back; used only where the plain key matches nothing, since it would also turn a real
档案 into 文件.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,8}\)")
_QUOTES = dict.fromkeys(map(ord, "“”‘’\"'「」『』〝〞"), None)
_NUMBERING = re.compile(
    r"^\s*(?:[(（]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]|[一二三四五六七八九十]{1,3}\s*[、.．,，]"
    r"|\d{1,2}\s*[、.．)）](?!\d)|第[一二三四五六七八九十]{1,3}部分)\s*"
)
_NON_WORD = re.compile(r"[^\w]|_", re.UNICODE)
_NOTE = re.compile(r"\([^()]*\)")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _tw2sp():
    import opencc

    return opencc.OpenCC("tw2sp")


_HAS_CJK = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=65536)
def clean(text: str) -> str:
    """NFKC, traditional → simplified, pinyin annotations and quote marks removed."""
    text = unicodedata.normalize("NFKC", text)
    if _HAS_CJK.search(text):
        text = _t2s().convert(text)
    text = _PINYIN.sub("", text)
    return text.translate(_QUOTES)


def strip_numbering(text: str) -> tuple[str, str]:
    """Remove leading numbering (repeatedly: "三、(一)" and doubled numbering both occur).

    Returns (numbering as printed, rest)."""
    number = ""
    rest = text
    while True:
        m = _NUMBERING.match(rest)
        if not m or m.end() == len(rest):
            return number, rest
        number = number or m.group(0).strip()
        rest = rest[m.end():]


@lru_cache(maxsize=65536)
def label_key(text: str, drop_notes: bool = False) -> str:
    """The comparable form of a label: cleaned, unnumbered, no spaces or punctuation."""
    text = clean(text)
    _, text = strip_numbering(text)
    if drop_notes:
        text = _NOTE.sub("", text)
    return _NON_WORD.sub("", text)


@lru_cache(maxsize=65536)
def mirror_key(text: str, drop_notes: bool = False) -> str:
    """The label key of `text` read as a Taiwan-usage rendering (tw2sp), or '' when that changes nothing."""
    text = unicodedata.normalize("NFKC", text)
    if not _HAS_CJK.search(text):
        return ""
    converted = _tw2sp().convert(text)
    key = label_key(converted, drop_notes)
    return key if key != label_key(text, drop_notes) else ""


def numeral_of(number: str) -> int | None:
    """The value of a printed top-level numeral: "三、" → 3; None for "(三)" or "1."."""
    m = re.match(r"^([一二三四五六七八九十]{1,3})\s*[、.．,，]$", number)
    if not m:
        return None
    digits = {c: i for i, c in enumerate("一二三四五六七八九", start=1)}
    s = m.group(1)
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + digits.get(s[1], 0)
    if "十" in s:
        head, _, tail = s.partition("十")
        return digits.get(head, 0) * 10 + (digits.get(tail, 0) if tail else 0)
    return digits.get(s)
