"""Government information-disclosure annual reports (政府信息公开工作年度报告) → canonical dataset.

    >>> import extract
    >>> report = extract.parse_file("corpus/000_3c2b94a00d1a4e64.txt")
    >>> report.agency, report.year, report.template
    ('漳平市教育局', 2020, 'gioar-2019')
    >>> frames = report.to_frames()   # reports, cells, sections, checks as pandas DataFrames
"""
from __future__ import annotations

import logging

__version__ = "0.1.0"

__all__ = ["parse_file", "parse_bytes", "Report", "__version__"]


def __getattr__(name: str):
    # Imported on first use: `extract parse` starts its worker server before it loads the pipeline.
    if name in ("Report", "parse_bytes", "parse_file"):
        from . import report

        return getattr(report, name)
    raise AttributeError(f"module 'extract' has no attribute {name!r}")

logging.getLogger(__name__).addHandler(logging.NullHandler())
