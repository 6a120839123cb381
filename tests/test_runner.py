"""Finding the documents of a batch: name order, hidden files and non-documents skipped,
symlinked folders followed once, a missing path refused before anything runs."""
from __future__ import annotations

import os

import pytest

from extract.batch.runner import collect_paths, iter_paths


def test_folders_are_walked_in_name_order_skipping_hidden_and_other_files(tmp_path):
    for name in ["b.pdf", "a.txt", "a/x.html", "a.b/y.docx", ".hidden/z.txt", "c/.h.txt", "notes.csv",
                 "r.expected.json", "d/e/f.md"]:
        f = tmp_path / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("x")
    (tmp_path / "d" / "back").symlink_to(tmp_path)  # a loop: followed once, not forever
    got = [os.path.relpath(p, tmp_path) for p in collect_paths([tmp_path])]
    assert got == ["a/x.html", "a.b/y.docx", "a.txt", "b.pdf", "d/e/f.md"]


def test_named_files_come_as_named_and_urls_pass_through(tmp_path):
    (tmp_path / "one.txt").write_text("x")
    assert collect_paths([tmp_path / "one.txt", "s3://bucket/r.pdf"]) == [str(tmp_path / "one.txt"),
                                                                          "s3://bucket/r.pdf"]


def test_a_missing_path_is_refused_before_any_document(tmp_path):
    (tmp_path / "one.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match="no such file or folder: .*missing"):
        iter_paths([tmp_path / "one.txt", tmp_path / "missing"])
