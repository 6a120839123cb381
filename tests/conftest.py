from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "corpus" / "docs"
EXPECTED = ROOT / "corpus" / "expected"
BAD = ROOT / "corpus" / "bad"  # documents that must fail: not part of the sample run
sys.path.insert(0, str(Path(__file__).resolve().parent))


def expected_files() -> list[Path]:
    return sorted(p for p in EXPECTED.glob("*.expected.json")
                  if (DOCS / json.loads(p.read_text("utf-8"))["source"]).exists())


@pytest.fixture(scope="session")
def seed_report():
    import extract

    return extract.parse_file(DOCS / "000_3c2b94a00d1a4e64.txt")


@pytest.fixture(scope="session")
def corpus_dataset(tmp_path_factory):
    """(folder holding output/: the bundled corpus parsed by the CLI, archive included; its stderr)."""
    import subprocess

    root = tmp_path_factory.mktemp("corpus-dataset")
    done = subprocess.run([sys.executable, "-m", "extract", "parse", str(DOCS), "--out", str(root / "output"),
                           "--workers", "1", "--quiet"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return root, done.stderr
