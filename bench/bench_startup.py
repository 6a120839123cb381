"""Start-up: wall time of the short commands a person waits for.

    .venv/bin/python bench/bench_startup.py [--repeat N]

- `extract show FILE` on a text report and on an HTML report (corpus/docs);
- `extract parse ONE_FILE --out DIR` on a text report and on an HTML report (a fresh DIR each
  time: the whole command, fork server and dataset writing included).

Each command runs N times (default 5), the commands taken in turn so that a slow spell of the
shared machine hits all alike; the median counts, every run is printed, and so is the load.
CPU seconds (the command's and its workers') say what the command costs when the machine is
busy with other work and wall time mostly measures the load.
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "corpus" / "docs"
FILES = {"text": DOCS / "000_3c2b94a00d1a4e64.txt", "HTML": DOCS / "html-word-mso.html"}


def wall(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and the processes it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "extract", *args], cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.exit(proc.stderr)
    return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        commands = {}
        for kind, path in FILES.items():
            commands[f"show {kind}"] = lambda i, p=path: ["show", str(p)]
            commands[f"parse one {kind} file"] = lambda i, p=path, k=kind: ["parse", str(p), "--out",
                                                                             f"{tmp}/{k}-{i}", "--quiet"]
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        loads = []
        for i in range(a.repeat):
            for name, args in commands.items():
                loads.append(os.getloadavg()[0])
                took, cpu = wall(args(i))
                times[name].append(took)
                cpus[name].append(cpu)
    print(f"load average during the runs: {min(loads):.1f}–{max(loads):.1f} ({os.cpu_count()} cores)")
    for name, ts in times.items():
        print(f"{name:22s} {median(ts):5.2f} s median wall, {median(cpus[name]):5.2f} s CPU "
              f"(the fork server's not counted)  (runs: {', '.join(f'{t:.2f}' for t in ts)})")


if __name__ == "__main__":
    main()
