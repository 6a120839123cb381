"""Charts of the quality page: matplotlib figures as inline SVG (no request when the page opens).

Chinese labels need a CJK font: the first of CJK_FONTS installed on the machine (Debian's
fonts-wqy-zenhei or fonts-noto-cjk). Without one the charts are still drawn, with their labels
in English only (`cjk_font()` says which), never as boxes of missing glyphs.
"""
from __future__ import annotations

import io
import logging
from functools import lru_cache

log = logging.getLogger(__name__)

CJK_FONTS = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "AR PL UMing CN")
COLORS = ["#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b"]


@lru_cache(maxsize=1)
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    # its "font weight normal not found, using 500" is about the one weight CJK fonts ship: noise
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

    plt.rcParams.update({"svg.fonttype": "path", "axes.spines.top": False, "axes.spines.right": False,
                         "figure.dpi": 100, "font.size": 9})
    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False
        # CJK fonts come in one weight, often "book" (500): ask for it, or matplotlib warns per text
        weight = next(f.weight for f in font_manager.fontManager.ttflist if f.name == font)
        plt.rcParams.update({"font.weight": weight, "axes.titleweight": weight, "figure.titleweight": weight,
                             "axes.labelweight": weight})
    return plt


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """The CJK font the charts use, or "" when the machine has none."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    font = next((f for f in CJK_FONTS if f in installed), "")
    if not font:
        log.warning("no CJK font found (install fonts-wqy-zenhei or fonts-noto-cjk): chart labels in English only")
    return font


def label(zh: str, en: str) -> str:
    """A label in Chinese with its English, or English alone where no CJK font is installed."""
    return f"{zh} {en}" if cjk_font() else en


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    _pyplot().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prologue and DOCTYPE: the page inlines it


def _finish(fig, ax, title: str, ylabel: str, legend: bool) -> str:
    """Title, year axis, grid and legend of a chart over the years; the figure as SVG."""
    ax.set_title(title)
    ax.set_xlabel(label("年度", "year"))
    ax.set_ylabel(ylabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", alpha=0.3)
    if legend:
        ax.legend(frameon=False, fontsize=8)
    return _svg(fig)


def lines(title: str, years: list[int], series: dict[str, list[float | None]], ylabel: str) -> str:
    """One line per series over the years."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for (name, values), color in zip(series.items(), COLORS):
        ax.plot(years, [float("nan") if v is None else v for v in values], marker="o", ms=3, label=name, color=color)
    return _finish(fig, ax, title, ylabel, legend=bool(series))


def stacked_bars(title: str, years: list[int], stacks: dict[str, list[float]], ylabel: str) -> str:
    """Bars per year, stacked by category."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    bottom = [0.0] * len(years)
    for (name, values), color in zip(stacks.items(), COLORS):
        ax.bar(years, values, bottom=bottom, label=name, color=color, width=0.7)
        bottom = [b + v for b, v in zip(bottom, values)]
    return _finish(fig, ax, title, ylabel, legend=bool(stacks))


def small_multiples(title: str, panels: dict[str, tuple[list[int], list[float | None]]], ylabel: str) -> str:
    """One small chart per agency, same axes, up to 12."""
    plt = _pyplot()
    items = [(k, v) for k, v in panels.items() if any(x is not None for x in v[1])][:12]
    cols = 4
    rows = max(1, (len(items) + cols - 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(9, 1.9 * rows), sharex=True, squeeze=False)
    for ax, (name, (years, values)) in zip(axes.flat, items):
        ax.plot(years, [float("nan") if v is None else v for v in values], marker="o", ms=2.5, color=COLORS[0])
        ax.set_title(name if cjk_font() else name.encode("ascii", "ignore").decode() or "agency", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
        ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in list(axes.flat)[len(items):]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.supylabel(ylabel, fontsize=8)
    fig.tight_layout()
    return _svg(fig)
