"""Tables from drawn rules: pdfplumber's explicit-lines table finder (TableFinder with both
strategies "explicit"), the same steps on the same edge dicts giving the same cells, without
its per-call costs (the typing annotations its nested functions evaluate on every call, the
edge sets built again for every pair of points, the scans of every later point).

Steps, as pdfplumber.table does them: snap edges of one orientation lying within `snap` of each
other to their mean position; join collinear edges whose ends are within `join`; drop edges
shorter than `min_length`; intersect verticals with horizontals (within `tolerance`); the
smallest rectangle of connected intersections from each corner is a cell; cells sharing a corner
are one table (tables of one cell dropped), tables in reading order.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass
class FoundTable:
    cells: list[Box]

    @property
    def bbox(self) -> Box:
        c = self.cells
        return (min(b[0] for b in c), min(b[1] for b in c), max(b[2] for b in c), max(b[3] for b in c))


def cluster_objects(objs: list[dict], attr: str, tolerance: float) -> list[list[dict]]:
    """pdfplumber's cluster_objects(objs, itemgetter(attr), tolerance): distinct values chained
    while each is within `tolerance` of the one before; groups in value order, objects in
    their order within a group."""
    ids: dict[float, int] = {}
    n, last = -1, None
    for v in sorted({o[attr] for o in objs}):
        if last is None or not v <= last + tolerance:
            n += 1
        ids[v] = n
        last = v
    groups: dict[int, list[dict]] = {}
    for o in objs:
        groups.setdefault(ids[o[attr]], []).append(o)
    return [groups[k] for k in sorted(groups)]


def _snap(objs: list[dict], attr: str, tolerance: float) -> list[dict]:
    """pdfplumber's snap_objects: each cluster moved to its mean (as move_object adds it)."""
    out = []
    move = ("x0", "x1") if attr == "x0" else ("top", "bottom")
    for cluster in cluster_objects(objs, attr, tolerance):
        avg = sum(o[attr] for o in cluster) / len(cluster)
        for o in cluster:
            d = avg - o[attr]
            moved = dict(o)
            for k in move:
                moved[k] = o[k] + d
            out.append(moved)
    return out


def _join(edges: list[dict], orientation: str, tolerance: float) -> list[dict]:
    """pdfplumber's join_edge_group: collinear edges within `tolerance` end to end are one."""
    lo, hi, size = ("x0", "x1", "width") if orientation == "h" else ("top", "bottom", "height")
    ordered = sorted(edges, key=itemgetter(lo))
    joined = [ordered[0]]
    for e in ordered[1:]:
        last = joined[-1]
        if e[lo] <= last[hi] + tolerance:
            if e[hi] > last[hi]:
                grown = dict(last)
                grown[hi] = e[hi]
                grown[size] = e[hi] - last[lo] if orientation == "h" else last[size] + (e[hi] - last[hi])
                joined[-1] = grown
        else:
            joined.append(e)
    return joined


def merged_edges(h: list[dict], v: list[dict], snap: float, join: float, min_length: float) -> list[dict]:
    """The edges TableFinder.get_edges gives for explicit lines `v` and `h`."""
    vs = [e for e in v if e["orientation"] == "v"]
    hs = [e for e in h if e["orientation"] == "h"]
    edges = _snap(vs, "x0", snap) + _snap(hs, "top", snap) if snap > 0 else vs + hs
    group = lambda e: ("h", e["top"]) if e["orientation"] == "h" else ("v", e["x0"])  # noqa: E731
    out = []
    for (orientation, _), items in groupby(sorted(edges, key=group), key=group):
        out.extend(_join(list(items), orientation, join))
    return [e for e in out if e["height" if e["orientation"] == "v" else "width"] >= min_length]


def _intersections(edges: list[dict], tolerance: float) -> dict[tuple[float, float], tuple[set, set]]:
    """Each point where a vertical meets a horizontal: the boxes of the verticals and of the
    horizontals through it."""
    vs = sorted((e for e in edges if e["orientation"] == "v"), key=itemgetter("x0", "top"))
    hs = sorted((e for e in edges if e["orientation"] == "h"), key=itemgetter("top", "x0"))
    tops = [h["top"] for h in hs]
    points: dict[tuple[float, float], tuple[set, set]] = {}
    for v in vs:
        x = v["x0"]
        vbox = (v["x0"], v["top"], v["x1"], v["bottom"])
        for h in hs[bisect_left(tops, v["top"] - tolerance): bisect_right(tops, v["bottom"] + tolerance)]:
            if v["top"] <= h["top"] + tolerance and v["bottom"] >= h["top"] - tolerance \
                    and h["x0"] - tolerance <= x <= h["x1"] + tolerance:
                sets = points.get((x, h["top"]))
                if sets is None:
                    sets = points[(x, h["top"])] = (set(), set())
                sets[0].add(vbox)
                sets[1].add((h["x0"], h["top"], h["x1"], h["bottom"]))
    return points


def _cells(points: dict[tuple[float, float], tuple[set, set]]) -> list[Box]:
    """pdfplumber's intersections_to_cells: from each point, the first point below and the
    first to the right it is joined to by a rule whose corner closes the box."""
    def joined(p, q) -> bool:
        if p[0] == q[0] and not points[p][0].isdisjoint(points[q][0]):
            return True
        return p[1] == q[1] and not points[p][1].isdisjoint(points[q][1])

    ordered = sorted(points)
    by_x: dict[float, list] = {}
    by_y: dict[float, list] = {}
    for p in ordered:  # by x then y: each column's points top down, each row's left to right
        by_x.setdefault(p[0], []).append(p)
        by_y.setdefault(p[1], []).append(p)
    cells = []
    for pt in ordered[:-1]:
        below = [q for q in by_x[pt[0]] if q[1] > pt[1]]
        right = [q for q in by_y[pt[1]] if q[0] > pt[0]]
        found = None
        for b in below:
            if not joined(pt, b):
                continue
            for r in right:
                if not joined(pt, r):
                    continue
                corner = (r[0], b[1])
                if corner in points and joined(corner, r) and joined(corner, b):
                    found = (pt[0], pt[1], corner[0], corner[1])
                    break
            if found:
                break
        if found:
            cells.append(found)
    return cells


def _tables(cells: list[Box]) -> list[list[Box]]:
    """pdfplumber's cells_to_tables: cells sharing a corner, grown table by table."""
    remaining = list(cells)
    corners: set = set()
    current: list[Box] = []
    tables = []
    while remaining:
        before = len(current)
        for cell in list(remaining):
            x0, top, x1, bottom = cell
            mine = ((x0, top), (x0, bottom), (x1, top), (x1, bottom))
            if not current or any(c in corners for c in mine):
                corners.update(mine)
                current.append(cell)
                remaining.remove(cell)
        if len(current) == before:
            tables.append(list(current))
            corners.clear()
            current.clear()
    if current:
        tables.append(list(current))
    tables.sort(key=lambda t: min((c[1], c[0]) for c in t))
    return [t for t in tables if len(t) > 1]


def find_tables(h: list[dict], v: list[dict], snap: float = 3, join: float = 3, tolerance: float = 3,
                min_length: float = 3) -> list[FoundTable]:
    """The tables that the horizontal rules `h` and vertical rules `v` draw (pdfplumber edge
    dicts: orientation, x0, x1, top, bottom, width, height)."""
    edges = merged_edges(h, v, snap, join, min_length)
    return [FoundTable(cells) for cells in _tables(_cells(_intersections(edges, tolerance)))]
