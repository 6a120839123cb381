"""Tables cut off at the page edge (a print where a table is wider than the paper).

LibreOffice and browsers print a table wider than the page as far as the page goes: its last
columns are not printed, or only slivers of them (a few glyphs of a header, a column of digits)
that no rule closes. What is printed of the table is read as usual; the slivers are not table
cells and not prose either, so they are set aside, and the table is marked `clipped` so that
the report side can say which columns are missing instead of misplacing the printed ones.

Geometry only, on plain boxes and glyph dicts (x0, x1, top, bottom): shared by every PDF
backend that finds ruled tables.
"""
from __future__ import annotations

EDGE = 2.0  # points: a table this close to the page's right edge runs off it


def cut_off_glyphs(box: tuple[float, float, float, float], row_tops: list[float], chars: list[dict],
                   page_width: float) -> tuple[bool, list[dict]]:
    """(clipped, slivers) for a ruled table with bounding `box` (x0, top, x1, bottom).

    The table is clipped when it reaches the page's right edge, or when glyphs stand to the
    right of its last rule level with two or more of its rows (the pieces of cut columns);
    those glyphs are returned so that they are not read as text."""
    x0, top, x1, bottom = box
    slivers = []
    rows = set()
    for c in chars:
        cx, cy = (c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2
        if cx > x1 + 1 and top <= cy <= bottom:
            slivers.append(c)
            rows.add(sum(1 for t in row_tops if t <= cy))
    if len(rows) >= 2:
        return True, slivers
    return x1 >= page_width - EDGE, []
