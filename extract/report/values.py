"""Reading a printed cell as a number (formats.md §1, output.md "Numbers")."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

DASHES = {"-", "—", "–", "−", "－", "/", "\\", "无", "——", "--", "---", "空", "×", "x", "X", "*", "／"}
UNITS = ("万元", "人次", "元", "件", "条", "个", "项", "次", "人", "篇", "份", "家", "%")
_NUMBER = re.compile(
    r"^(?P<sign>[+-])?\s*(?P<int>\d{1,3}(?:[,，]\d{3})+|\d+)(?P<frac>\.\d+)?\s*(?P<unit>"
    + "|".join(map(re.escape, UNITS)) + r")?$"
)
_SIGNED_TEXT = re.compile(r"^(?P<word>增加|新增|增|减少|减)\s*(?P<rest>.+)$")


@dataclass
class Value:
    value: float | None
    unit: str = ""
    flags: list[str] = field(default_factory=list)


def parse_value(raw: str) -> Value:
    """'12件' → 12 (unit 件), '+3' → 3, '减少2' → -2, '1,234' → 1234, '—' → null (dash)."""
    value, unit, flags = _parse(raw)
    return Value(value, unit, list(flags))


@lru_cache(maxsize=16384)
def _parse(raw: str) -> tuple[float | None, str, tuple[str, ...]]:
    # Cached: every cell is classified (value or label?) and then read, and most cells are "0".
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    if not text:
        return None, "", ("blank",)
    if text in DASHES or set(text) <= {"-", "—", "–"}:
        return None, "", ("dash",)
    flags: list[str] = []
    sign = 1.0
    m = _SIGNED_TEXT.match(text)
    if m:
        sign = -1.0 if m.group("word").startswith("减") else 1.0
        text = m.group("rest")
        flags.append("signed_text")
    m = _NUMBER.match(text)
    if not m:
        return None, "", ("not_a_number",)
    number = float(m.group("int").replace(",", "").replace("，", "") + (m.group("frac") or ""))
    if m.group("sign") == "-":
        number = -number
    unit = m.group("unit") or ""
    if unit:
        flags.append("unit_in_cell")
    return sign * number, unit, tuple(flags)


def is_value_text(raw: str) -> bool:
    """Whether a printed cell is a value (number, dash or blank) rather than a label."""
    return "not_a_number" not in _parse(raw)[2]
