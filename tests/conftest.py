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
