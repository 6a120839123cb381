"""Compatibility re-export: the batch runner lives in `extract.batch.runner`.

`extract.runner.run` and `RunSettings` were the public way to run a batch before the wings; they
keep working. New code imports from `extract.batch.runner`."""
from .batch.runner import (Interrupted, RunSettings, RunSummary, collect_paths, iter_paths,  # noqa: F401
                           parse_documents, run)

__all__ = ["Interrupted", "RunSettings", "RunSummary", "collect_paths", "iter_paths", "parse_documents", "run"]
