"""One PDF page as a reading backend gives it to the shared reader (parsers/pdf.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class PageContent:
    """A page's characters and drawn shapes, as pdfplumber's dicts (points, y down from the
    page's top): chars with text, x0, x1, top, bottom, doctop, size, fontname, upright; lines
    and rects with x0, x1, top, bottom, stroke, fill, stroking_color, non_stroking_color;
    curves with pts, stroke, fill and the colours. `images`: how many images it draws."""

    index: int
    width: float
    height: float
    chars: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    rects: list[dict] = field(default_factory=list)
    curves: list[dict] = field(default_factory=list)
    images: int = 0


_SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")


def font_name(name: str) -> str:
    """A font's name without its subset tag ("ABCDEF+SimSun" → "SimSun"): pdfium drops the tag
    of some fonts, and two subsets of one font are one font to the reader."""
    return _SUBSET_TAG.sub("", name)
