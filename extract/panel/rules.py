"""The data the agency identity works from: the project's rules (data/agencies-rules.toml) and
the user's own knowledge (agencies.toml: names of one agency the rules cannot see, such as a
department renamed in a reorganisation)."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class AgencyRules:
    not_an_agency: tuple[str, ...]
    label_prefix: re.Pattern
    drop: tuple[re.Pattern, ...]
    rewrite: tuple[tuple[re.Pattern, str], ...]
    place_government: str
    place_endings: tuple[tuple[str, str], ...]
    ocr_confusions: tuple[tuple[str, str], ...]
    placeholder_places: frozenset[str]
    street_heads: tuple[str, ...]
    municipalities: frozenset[str]
    township: re.Pattern
    national: re.Pattern
    government: tuple[str, ...]
    department: tuple[str, ...]


@lru_cache(maxsize=1)
def load_rules() -> AgencyRules:
    """The rules file shipped with the package, read once."""
    text = resources.files("extract").joinpath("data/agencies-rules.toml").read_text("utf-8")
    d = tomllib.loads(text)
    labels = "|".join(map(re.escape, sorted(d["label_prefixes"], key=len, reverse=True)))
    g = d["gazetteer"]
    return AgencyRules(
        not_an_agency=tuple(d["not_an_agency"]),
        label_prefix=re.compile(rf"^(?:{labels})\s*[:：]\s*"),
        drop=tuple(re.compile(p) for p in d["drop"]),
        rewrite=tuple((re.compile(r["pattern"]), r["replace"]) for r in d["rewrite"]),
        place_government=d["place_only"]["government"],
        place_endings=tuple((e, s) for e, s in d["place_only"]["endings"]),
        ocr_confusions=tuple((a, b) for a, b in g["ocr_confusions"]),
        placeholder_places=frozenset(g["placeholder_places"]),
        street_heads=tuple(g["street_heads"]),
        municipalities=frozenset(g["municipalities"]),
        township=re.compile(d["level"]["township"]),
        national=re.compile(d["level"]["national"]),
        government=tuple(d["kind"]["government"]),
        department=tuple(d["kind"]["department"]),
    )


class AgenciesFileError(ValueError):
    """agencies.toml cannot be read or says something the archive cannot use."""


@dataclass(frozen=True)
class UserAgency:
    """One agency as the user knows it: the name to report under, and its other names."""

    name: str
    aliases: tuple[str, ...] = ()        # spellings the rules do not merge
    predecessors: tuple[str, ...] = ()   # earlier agencies this one continues (reorganisations)
    adcode: str = ""                     # where the name alone does not say (a bare 城关镇人民政府)

    @property
    def other_names(self) -> tuple[str, ...]:
        return self.aliases + self.predecessors


@dataclass(frozen=True)
class UserAgencies:
    agencies: tuple[UserAgency, ...] = field(default_factory=tuple)


_KEYS = {"name", "aliases", "predecessors", "adcode"}


def load_user_agencies(path: Path | None) -> UserAgencies:
    """Read agencies.toml (README: "The archive"); no file, no user knowledge. Unknown keys and
    a name claimed by two agencies are errors, not ignored."""
    if path is None or not Path(path).is_file():
        return UserAgencies()
    try:
        d = tomllib.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AgenciesFileError(f"{path}: {exc}") from None
    unknown = set(d) - {"agency"}
    if unknown:
        raise AgenciesFileError(f"{path}: unknown key(s) {', '.join(sorted(unknown))} (expected [[agency]] tables)")
    out, claimed = [], {}
    for i, entry in enumerate(d.get("agency", []), start=1):
        where = f"{path}: [[agency]] #{i}"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
            raise AgenciesFileError(f"{where}: needs name = \"…\"")
        bad = set(entry) - _KEYS
        if bad:
            raise AgenciesFileError(f"{where}: unknown key(s) {', '.join(sorted(bad))}")
        lists = {}
        for key in ("aliases", "predecessors"):
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise AgenciesFileError(f"{where}: {key} must be a list of names")
            lists[key] = tuple(v.strip() for v in value)
        adcode = str(entry.get("adcode", ""))
        if adcode and not re.fullmatch(r"\d{6}", adcode):
            raise AgenciesFileError(f"{where}: adcode must be 6 digits")
        agency = UserAgency(entry["name"].strip(), lists["aliases"], lists["predecessors"], adcode)
        for n in agency.other_names:
            if n in claimed and claimed[n] != agency.name:
                raise AgenciesFileError(f"{where}: {n} is already a name of {claimed[n]}")
            claimed[n] = agency.name
        out.append(agency)
    return UserAgencies(tuple(out))
