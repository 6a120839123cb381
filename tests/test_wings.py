"""The house's import directions (shared/DESIGN.md), read from every module's import statements.

A change that makes a wing reach into one it must not know fails here with the offending line."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# module prefix → prefixes it must never import (nested imports inside functions count too)
FORBIDDEN = {
    "parsers": ["extract"],
    "extract.report": ["extract.batch", "extract.dataset", "extract.panel", "extract.fetch", "extract.cli",
                       "extract.runner"],
    "extract.dataset": ["extract.batch", "extract.panel", "extract.fetch", "extract.cli", "extract.runner"],
    "extract.batch": ["extract.panel", "extract.fetch", "extract.cli", "extract.runner"],
    "extract.panel": ["extract.batch", "extract.fetch", "extract.cli", "extract.runner"],
    # The engines form no circle: jobs knows none of them, the engines do not know the runner.
    "extract.batch.jobs": ["extract.batch.local", "extract.batch.dask", "extract.batch.runner"],
    "extract.batch.local": ["extract.batch.dask", "extract.batch.runner"],
    "extract.batch.dask": ["extract.batch.runner"],
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str, str]]:
    """(line, imported module, the statement as written) for every import in the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    source = path.read_text("utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # `from . import report` imports the module extract.report
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            found.append((node.lineno, target, lines[node.lineno - 1].strip()))
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def modules() -> list[Path]:
    return sorted(p for folder in ("extract", "parsers") for p in (ROOT / folder).rglob("*.py"))


def violations(path: Path) -> list[str]:
    name = module_name(path)
    out = []
    for source_prefix, forbidden in FORBIDDEN.items():
        if not _within(name, source_prefix):
            continue
        for line, target, text in imports_of(path):
            for bad in forbidden:
                if _within(target, bad):
                    out.append(f"{path.relative_to(ROOT)}:{line}: {name} must not import {bad}: {text}")
    return sorted(set(out))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_one_way(path):
    assert violations(path) == []


def test_the_check_sees_nested_and_relative_imports(tmp_path, monkeypatch):
    # The rule itself must be able to fail: a report module with a lazy relative import of batch.
    fake = ROOT / "extract" / "report" / "_wings_probe.py"
    fake.write_text("def f():\n    from ..batch.runner import run\n", "utf-8")
    try:
        assert violations(fake) == [
            "extract/report/_wings_probe.py:2: extract.report._wings_probe must not import extract.batch: "
            "from ..batch.runner import run"]
    finally:
        fake.unlink()


def test_every_wing_says_what_it_is_for():
    for wing in ("report", "dataset", "batch", "panel", "fetch"):
        doc = ast.get_docstring(ast.parse((ROOT / "extract" / wing / "__init__.py").read_text("utf-8")))
        assert doc and len(doc.split()) >= 8, wing
