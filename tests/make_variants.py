"""Make variants of the corpus's text reports with other values, plus bad documents.

Every standalone number printed in a table cell is replaced by a random one; the variant's
expected values are the numbers written, in reading order. Used by the batch tests and by
`bench/bench_text.py`.

    python tests/make_variants.py OUT_DIR [N]
"""
from __future__ import annotations

import random
import re
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "docs"
# Text reports in different flattening styles (see the spec, formats.md §11).
SOURCES = [
    "000_3c2b94a00d1a4e64.txt",  # one cell per line, rows closed by pipes
    "real-001.txt",  # whole rows on one line
    "real-013.txt",  # one cell per line, each followed by a lone pipe
    "real-023.txt",  # a lone pipe opens each row
    "real-029.txt",  # no pipes, cells separated by blank lines
]
# A number standing alone in a cell: "0 |", "| 0 |", "0" on its own line.
_CELL_NUMBER = re.compile(r"(?:(?<=^)|(?<=\| )|(?<=^ )|(?<=^  ))(\d+(?:\.\d+)?)(?=\s*\||\s*$)")
_NARRATIVE = re.compile(r"[\u4e00-\u9fff].*[\u4e00-\u9fff]")


def variant(text: str, rng: random.Random) -> tuple[str, list[int]]:
    """The text with every table number replaced; returns the numbers written, in order."""
    written: list[int] = []
    out = []
    for line in text.split("\n"):
        if _NARRATIVE.search(line) and "|" not in line:
            out.append(line)  # prose and labels keep their numbers
            continue
        if re.search(r"[\u4e00-\u9fff]", line) and "|" in line:
            label, sep, rest = line.partition("|")
            if re.fullmatch(r"\s*\d+\s*", label):
                label, sep, rest = "", "", line
        else:
            label, sep, rest = "", "", line

        def repl(m: re.Match) -> str:
            n = rng.randint(0, 999)
            written.append(n)
            return str(n)

        out.append(label + sep + _CELL_NUMBER.sub(repl, rest))
    return "\n".join(out), written


def make(out: Path, n: int = 200, seed: int = 1) -> dict[str, list[int]]:
    """Write n distinct variants into `out`; return {file name: numbers written}."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    sources = [(name, (CORPUS / name).read_text("utf-8")) for name in SOURCES]
    made: dict[str, list[int]] = {}
    for i in range(n):
        name, text = sources[i % len(sources)]
        body, numbers = variant(text, rng)
        target = out / f"variant-{i:04d}-{Path(name).stem}.txt"
        target.write_text(body, encoding="utf-8")
        made[target.name] = numbers
    return made


def make_bad(out: Path) -> dict[str, str]:
    """The bad documents of a batch: {file name: what it is}."""
    out.mkdir(parents=True, exist_ok=True)
    seed_text = (CORPUS / SOURCES[0]).read_text("utf-8")
    (out / "empty.txt").write_bytes(b"")
    (out / "random.bin.txt").write_bytes(random.Random(7).randbytes(4096))
    cut = seed_text.index("(三)不予公开")
    (out / "truncated.txt").write_text(seed_text[:cut], encoding="utf-8")
    (out / "not-a-report.txt").write_text(
        "今日天气晴，最高气温25度。\n市民可前往公园游玩，注意防晒。\n本市地铁运营时间延长至23点。\n", encoding="utf-8")
    return {"empty.txt": "empty", "random.bin.txt": "binary", "truncated.txt": "truncated",
            "not-a-report.txt": "not a report"}


if __name__ == "__main__":
    target = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    made = make(target, count)
    make_bad(target)
    print(f"wrote {len(made)} variants and 4 bad documents to {target}")
