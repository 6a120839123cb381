"""Arrow tables from plain Python rows without loading pandas.

pyarrow asks of every list it converts whether it is a pandas object, and imports pandas to
find out: 0.2-0.35 s of a short command's critical path, and ~40 MiB in every worker that never
uses pandas. The dataset's rows and the archive's lookup tables are plain lists, so while they
are converted pandas is reported absent (unless it is loaded already); pyarrow then skips its
pandas checks, and imports pandas as usual the next time something really asks for it.
Beside the wings, like `contract`: the dataset and the archive both convert rows.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator


class _PandasAbsent:
    """An import finder that reports pandas missing."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            raise ModuleNotFoundError("not while plain rows are converted to Arrow", name="pandas")
        return None


@contextmanager
def plain_rows() -> Iterator[None]:
    """Inside: converting Python lists and dicts to Arrow does not import pandas."""
    if "pandas" in sys.modules:
        yield
        return
    finder = _PandasAbsent()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
