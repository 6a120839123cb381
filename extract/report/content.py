"""What a report says, as one digest: its cells, statements and sections' text, without the page
furniture a web page changes on every visit (data/page-furniture.toml). Two documents with the
same digest say the same thing, whatever their bytes: a fetched page whose visit counter went up
is not a new version of its report."""
from __future__ import annotations

import hashlib
import re
import tomllib
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _furniture() -> re.Pattern:
    raw = tomllib.loads(resources.files("extract").joinpath("data/page-furniture.toml").read_text("utf-8"))
    return re.compile("|".join(f"(?:{p})" for p in raw["patterns"]))


def _plain(text: str) -> str:
    return " ".join(_furniture().sub(" ", text).split())


def content_digest(report) -> str:
    """SHA-256 (hex) of the report's cells (position, value, text), statements and sections."""
    h = hashlib.sha256()
    for c in report.cells:
        h.update(f"c\x1f{c.table}\x1f{c.row}\x1f{c.col}\x1f{c.value!r}\x1f{c.raw}\x1e".encode())
    for s in getattr(report, "statements", ()):
        h.update(f"t\x1f{s.key}\x1f{s.value!r}\x1f{s.unit}\x1f{_plain(s.sentence)}\x1e".encode())
    for s in report.sections:
        text = _plain(s.text)
        if text or s.key != "unknown":
            h.update(f"s\x1f{s.key}\x1f{text}\x1e".encode())
    return h.hexdigest()
