"""Figures stated in the prose (output.md `statements`): "全年共受理政府信息公开申请238件".

Every report's sections are read, whatever its era. The patterns are data
(`data/statements.toml`, its header says how they work): a figure is a number with a unit, and it
belongs to the key whose wording ends where the number starts, in its clause. Percentages,
changes, ordinals, cumulative figures and dates are not statements; a figure for a part of the
agency is kept with flag `scope`; "未收到…申请" states a zero (flag `implied_zero`).

Segmentation (jieba) is not needed here: the counted thing sits right before its count in this
prose, so an anchored pattern on the clause decides what a number belongs to, and the unit
confirms it. That keeps statements to a few regular expressions per figure.
"""
from __future__ import annotations

import bisect
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .normalize import clean
from .sections import FoundSection

_SENTENCE = re.compile(r"[^。！？!?；;]*[。！？!?；;]?")
_CLAUSE_END = re.compile(r"[，,：:；;。！？!?]")
_DROP = dict.fromkeys(map(ord, "“”\"'‘’「」『』《》〈〉 \u3000"), None)
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@dataclass
class Statement:
    key: str
    value: float
    unit: str
    flags: list[str]
    section: str
    sentence: str
    start: int  # offset of the number in the section text


@dataclass
class _Rule:
    key: str
    before: re.Pattern | None
    after: re.Pattern | None
    after_needs: re.Pattern | None
    units: frozenset[str]
    context: tuple[str, ...]
    context_not: tuple[str, ...]
    exclude: tuple[str, ...]


@dataclass
class _Topic:
    words: re.Pattern
    keys: tuple[str, ...]
    only_if_none: bool = False


@dataclass
class Patterns:
    rules: list[_Rule]
    number: re.Pattern
    fillers: re.Pattern  # a run of filler words at the end of the clause
    approximate_before: re.Pattern
    not_before: re.Pattern
    cumulative: re.Pattern
    cumulative_not: re.Pattern | None
    scope_words: tuple[str, ...]
    whole_words: tuple[str, ...]
    part_of_whole: re.Pattern | None
    negation: re.Pattern
    zero_after: re.Pattern | None
    topics: list[_Topic]
    fee_forms: re.Pattern | None = None
    fee_words: tuple[str, ...] = ()
    fee_keys: tuple[str, ...] = ()
    by_unit: dict[str, list[_Rule]] = field(default_factory=dict)  # the rules a unit can fit, in order


def _words(words: list[str]) -> str:
    """An alternation of literal words, longest first."""
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


def _alt(patterns: list[str], anchor: str = "") -> re.Pattern | None:
    if not patterns:
        return None
    body = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(f"(?:{body})$" if anchor == "end" else body)


@lru_cache(maxsize=1)
def load_patterns() -> Patterns:
    raw = tomllib.loads(resources.files("extract").joinpath("data/statements.toml").read_text("utf-8"))
    units = sorted(raw["units"], key=len, reverse=True)
    unit_alt = "|".join(map(re.escape, units))
    post = "|".join(map(re.escape, raw["approximate_after"]))
    # What may follow a number (a unit, 万, 多…): looked at first, so most numbers fail fast.
    follow = "".join(sorted({w[0] for w in (*units, *raw["approximate_after"], "万", "亿", " ", "\u00a0")}))
    number = re.compile(
        r"(?<![\d.,，])(?P<num>\d+(?:[,，]\d{3})*(?:\.\d+)?|[一二两三四五六七八九十]{1,3})"
        rf"(?=[{re.escape(follow)}])"
        # PDF text often puts a space between the number and its unit ("16 件")
        rf"(?P<post1>{post})?[ \u00a0]?(?:(?P<wunit>万元|万人次)|(?P<mult>万|亿)?(?P<post2>{post})?(?P<unit>{unit_alt}))"
        rf"(?P<post3>{post})?"
    )
    rules = [
        _Rule(key=r["key"], before=_alt(r.get("before", []), "end"), after=_alt(r.get("after", [])),
              after_needs=_alt(r.get("after_needs", [])), units=frozenset(r["units"]),
              context=tuple(r.get("context", ())), context_not=tuple(r.get("context_not", ())),
              exclude=tuple(r.get("exclude", ())))
        for r in raw["rule"]
    ]
    neg = raw["negation"]
    topics = [_Topic(re.compile("|".join(t["words"])), tuple(t["keys"]), bool(t.get("only_if_none")))
              for t in neg["topics"]]
    fees = (neg.get("fees") or [{}])[0]
    return Patterns(
        rules=rules, number=number,
        fillers=re.compile("(?:" + _words([f for f in raw["fillers"] if f not in raw["cumulative"]]) + ")+$"),
        approximate_before=re.compile("(?:" + _words(raw["approximate_before"]) + ")$"),
        not_before=re.compile("(?:" + _words(raw["not_before"]) + ")$"),
        cumulative=re.compile(_words(raw["cumulative"])),
        cumulative_not=re.compile(_words(raw["cumulative_not"])) if raw.get("cumulative_not") else None,
        scope_words=tuple(raw["scope_words"]),
        whole_words=tuple(raw["whole_words"]), part_of_whole=_alt(raw.get("part_of_whole", [])),
        negation=re.compile("|".join([*map(re.escape, neg["forms"]), *neg.get("forms_re", [])])),
        zero_after=_alt(neg.get("zero_after", [])), topics=topics,
        fee_forms=re.compile("|".join(map(re.escape, fees["forms"]))) if fees.get("forms") else None,
        fee_words=tuple(fees.get("words", ())), fee_keys=tuple(fees.get("keys", ())),
        by_unit={u: [r for r in rules if u in r.units] for u in raw["units"]},
    )


def _chinese_number(text: str) -> float | None:
    if text.isdigit() or not text:
        return None
    if text == "十":
        return 10.0
    if "十" in text:
        head, _, tail = text.partition("十")
        if len(tail) > 1 or len(head) > 1:
            return None
        return float((_CN_DIGITS.get(head, 1) if head else 1) * 10 + (_CN_DIGITS.get(tail, 0) if tail else 0))
    return float(_CN_DIGITS[text]) if len(text) == 1 and text in _CN_DIGITS else None


def _value(m: re.Match) -> float | None:
    num = m.group("num")
    if num[0].isdigit():
        value = float(num.replace(",", "").replace("，", ""))
    else:
        value = _chinese_number(num)
        if value is None:
            return None
    if m.group("mult") == "万":
        value *= 10_000
    elif m.group("mult") == "亿":
        value *= 100_000_000
    return value


def _normalised(text: str) -> str:
    """The text for matching, character for character the same length as printed."""
    cleaned = clean(text)
    if len(cleaned) == len(text):
        return cleaned
    return "".join(c2 if len(c2 := unicodedata.normalize("NFKC", c)) == 1 else c for c in text)


class _Extractor:
    def __init__(self, patterns: Patterns) -> None:
        self.p = patterns
        self.out: list[Statement] = []

    def section(self, section: FoundSection) -> None:
        offset = 0
        heading = _normalised(section.heading)
        for para in section.paragraphs:
            if "|" not in para:  # a table row flattened with pipes is not prose
                self._paragraph(para, _normalised(para), section.key, offset, heading)
            offset += len(para) + 1

    def _paragraph(self, raw: str, text: str, section: str, offset: int, heading: str) -> None:
        for m in _SENTENCE.finditer(text):
            if m.end() > m.start():
                self._sentence(raw, text, m.start(), m.end(), section, offset, heading)

    def _sentence(self, raw: str, para: str, s0: int, s1: int, section: str, offset: int, heading: str) -> None:
        p = self.p
        sentence = para[s0:s1]
        printed = raw[s0:s1].strip()
        last_end = 0
        bounds: list[int] | None = None
        for m in p.number.finditer(sentence):
            if bounds is None:
                bounds = [0] + [d.end() for d in _CLAUSE_END.finditer(sentence)]
            clause_start = bounds[bisect.bisect_right(bounds, m.start()) - 1]
            begin = max(last_end, clause_start)
            last_end = m.end()
            unit = m.group("wunit") or m.group("unit")
            rules = p.by_unit.get(unit)
            value = _value(m) if rules else None
            if value is None:
                continue
            window = sentence[begin:m.start()].translate(_DROP)
            clause = sentence[clause_start:m.start()]  # the whole clause, for the agency as subject
            flags: list[str] = []
            if approx := p.approximate_before.search(window):
                window, flags = window[: approx.start()], ["approximate"]
            if p.not_before.search(window):
                continue
            if self._cumulative(sentence[:m.start()]):
                continue
            stripped = p.fillers.sub("", window)
            tail = sentence[m.end():]
            for rule in rules:
                hit = self._fits(rule, stripped, tail, sentence, para, heading, window)
                if hit is None:
                    continue
                if m.group("post1") or m.group("post2") or m.group("post3"):
                    flags = ["approximate"]
                if self._is_part(stripped[:hit], clause):
                    flags = flags + ["scope"]
                self.out.append(Statement(rule.key, value, unit, flags, section, printed,
                                          offset + s0 + m.start()))
                break
        self._negations(sentence, printed, section, offset + s0)

    def _is_part(self, subject: str, clause: str) -> bool:
        """Whether the figure's subject is a part of the agency (各乡镇…), not the whole (全市…)."""
        p = self.p
        if p.part_of_whole is not None and p.part_of_whole.search(subject):
            return True
        return any(w in subject for w in p.scope_words) and not any(w in clause for w in p.whole_words)

    def _cumulative(self, before: str) -> bool:
        if self.p.cumulative_not is not None:
            before = self.p.cumulative_not.sub("", before)
        return self.p.cumulative.search(before) is not None

    @staticmethod
    def _fits(rule: _Rule, stripped: str, tail: str, sentence: str, para: str, heading: str,
              window: str) -> int | None:
        """Where the rule's wording starts in the clause, or None when the rule does not fit."""
        at = None
        if rule.before is not None and (hit := rule.before.search(stripped)):
            at = hit.start()
        elif rule.after is not None and rule.after.match(tail) and (
                rule.after_needs is None or rule.after_needs.search(stripped)):
            at = len(stripped)
        if at is None:
            return None
        if rule.exclude and any(w in window for w in rule.exclude):
            return None
        # what the sentence is about: its paragraph, or the heading of its section
        if rule.context and not any(w in para or w in heading for w in rule.context):
            return None
        if rule.context_not and any(w in para for w in rule.context_not):
            return None
        return at

    def _zeros(self, span: str, printed: str, section: str, at: int) -> None:
        """The keys a negated (or zeroed) span names, each stated as 0."""
        keys: list[str] = []
        for t in self.p.topics:
            if t.only_if_none and keys:
                continue
            if t.words.search(span):
                keys.extend(k for k in t.keys if k not in keys)
        for k in keys:
            self.out.append(Statement(k, 0.0, "", ["implied_zero"], section, printed, at))

    def _negations(self, sentence: str, printed: str, section: str, offset: int) -> None:
        p = self.p
        for m in p.negation.finditer(sentence):
            span = _clause_after(sentence, m.end())
            if p.number.search(span):
                continue  # "未收到…，收到3件" says something else
            self._zeros(span, printed, section, offset + m.start())
        if p.zero_after is not None and ("零" in sentence or "0" in sentence):
            for m in p.zero_after.finditer(sentence):
                start = max((d.end() for d in _CLAUSE_END.finditer(sentence, 0, m.start())), default=0)
                span = sentence[start:m.start()]
                if not p.number.search(span):
                    self._zeros(span, printed, section, offset + m.start())
        if p.fee_forms is not None:
            for m in p.fee_forms.finditer(sentence):
                span = _clause_after(sentence, m.end())
                if any(w in span for w in p.fee_words) and not p.number.search(span):
                    for k in p.fee_keys:
                        self.out.append(Statement(k, 0.0, "", ["implied_zero"], section, printed, offset + m.start()))


def _clause_after(sentence: str, start: int) -> str:
    end = _CLAUSE_END.search(sentence, start)
    return sentence[start:end.start() if end else len(sentence)]


def find_statements(sections: list[FoundSection]) -> list[Statement]:
    """Every figure stated in the sections' prose, in reading order."""
    ex = _Extractor(load_patterns())
    for s in sections:
        ex.section(s)
    return ex.out
