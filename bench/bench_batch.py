"""Batch figures: per-format speed, 1 → 2 workers, peak memory by batch size, Dask vs local.

    .venv/bin/python bench/bench_batch.py [--sizes 1000,20000] [--speedup 4000,20000] [--dask 2000]
                                          [--formats 200] [--repeat 5]

Documents: text reports are variants of the corpus with other values (tests/make_variants.py);
HTML, PDF and DOCX documents are the corpus's files of that format, each copy made distinct
by a trailing comment (same content, distinct bytes: distinct report_ids). Memory is sampled
every 0.1 s from /proc for the CLI process (the parent) and every process below it (workers).
Section 3 also prints the CPU time the parent used (the last sample of /proc/PID/stat), which is
what the workers have to share the cores with. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from statistics import median
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "corpus" / "docs"
sys.path.insert(0, str(ROOT / "tests"))

from make_variants import make  # noqa: E402


def distinct_copies(fmt: str, n: int, out: Path) -> list[Path]:
    """n distinct-bytes copies of the corpus documents of one format."""
    suffix = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}[fmt]
    sources = [p for p in sorted(DOCS.glob(f"*{suffix}"))
               if fmt != "pdf" or not any(k in p.name for k in ("scanned", "cid", "encrypted", "corrupt", "error"))]
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(n):
        src = sources[i % len(sources)]
        data = src.read_bytes()
        if fmt == "html":
            data += f"\n<!-- copy {i} -->\n".encode()
        elif fmt == "pdf":
            data += f"\n% copy {i}\n".encode()
        else:
            buf = io.BytesIO(data)
            with zipfile.ZipFile(buf, "a") as z:
                z.comment = f"copy {i}".encode()
            data = buf.getvalue()
        target = out / f"{fmt}-{i:05d}{suffix}"
        target.write_bytes(data)
        made.append(target)
    return made


def per_format(n: int, tmp: Path) -> None:
    import extract
    import pdfplumber
    from extract.report import warm_up

    print(f"\n# 1. documents per second, whole pipeline, one core, in process ({n} documents each)")
    sets = {"text": [tmp / "t" / name for name in make(tmp / "t", n)]}
    for fmt in ("html", "pdf", "docx"):
        sets[fmt] = distinct_copies(fmt, n, tmp / fmt)
    for fmt, files in sets.items():
        warm_up()  # jieba, OpenCC, cpca: loaded once per process, as batch workers do
        start, cpu = time.perf_counter(), time.process_time()
        for f in files:
            extract.parse_file(f)
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        line = f"{fmt:5} {n / took:8.1f} documents/s  {1000 * cpu / n:7.2f} CPU-ms/document"
        if fmt == "pdf":
            pages = 0
            for f in files:
                with pdfplumber.open(f) as pdf:
                    pages += len(pdf.pages)
            line += f"  {pages / took:7.1f} pages/s  {1000 * cpu / pages:6.2f} CPU-ms/page"
        print(line)
    print(f"(load average {os.getloadavg()[0]:.1f})")


class Sampler(threading.Thread):
    """Peak RSS of a process (the parent) and of any process below it (a worker)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.parent, self.worker, self.stop = pid, 0.0, 0.0, False
        self.parent_cpu = 0.0  # seconds of CPU the parent had used at the last sample

    @staticmethod
    def _tree(root: int) -> set[int]:
        children: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    ppid = int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(d))
        out, todo = set(), [root]
        while todo:
            p = todo.pop()
            for c in children.get(p, []):
                out.add(c)
                todo.append(c)
        return out

    @staticmethod
    def _rss(pid: int) -> float:
        try:
            return int(open(f"/proc/{pid}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, ValueError, IndexError):
            return 0.0

    def run(self) -> None:
        while not self.stop:
            self.parent = max(self.parent, self._rss(self.pid))
            try:
                fields = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
                self.parent_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
            for c in self._tree(self.pid):
                self.worker = max(self.worker, self._rss(c))
            time.sleep(0.1)


def cli(src: Path, out: Path, *args: str) -> tuple[float, Sampler, str]:
    cmd = [sys.executable, "-m", "extract", "parse", str(src), "--out", str(out), "--quiet",
           "--format", "parquet", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(proc.pid)
    sampler.start()
    _, err = proc.communicate()
    took = time.perf_counter() - start
    sampler.stop = True
    sampler.join()
    return took, sampler, err.strip().splitlines()[-1]


def timed_runs(repeat: int, runs: dict[str, list[str]], src: Path, tmp: Path) -> dict[str, list[float]]:
    """Wall times of each named command line, run in turn `repeat` times (alternating, so a
    slow spell of the machine hits both alike); a fresh output folder for every run. The median
    is reported: on a shared 2-core VM single runs vary by ±10%."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for i in range(repeat):
        for name, args in runs.items():
            times[name].append(cli(src, tmp / f"{name}-{i}", *args)[0])
    return times


def fmt(ts: list[float]) -> str:
    return f"{median(ts):6.2f} s (runs: {', '.join(f'{t:.2f}' for t in ts)})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,20000", help="batch sizes for the peak memory figure")
    ap.add_argument("--speedup", default="4000,20000", help="batch sizes for the 1 → 2 workers figure")
    ap.add_argument("--speedup-docs", default="text", choices=["text", "html"],
                    help="documents for the 1 → 2 workers figure: text variants or copies of the HTML reports")
    ap.add_argument("--dask", type=int, default=2000, help="batch size for Dask vs local")
    ap.add_argument("--formats", type=int, default=200, help="documents per format for section 1")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each timed command; the median counts")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        if a.formats:
            per_format(a.formats, tmp / "formats")
        sizes = [int(x) for x in a.speedup.split(",") if x]
        if sizes:
            print(f"\n# 2. 1 → 2 workers, CLI wall time on {a.speedup_docs} documents (whole command, start-up "
                  f"included; median of {a.repeat})")
            src = tmp / "start"
            make(src, 2)
            start = median(timed_runs(a.repeat, {"s": ["--workers", "2"]}, src, tmp)["s"])
            print(f"start-up and close, 2 documents: {start:5.2f} s (the fixed cost of a run)")
            for n in sizes:
                src = tmp / f"speed{n}"
                if a.speedup_docs == "html":
                    distinct_copies("html", n, src)
                else:
                    make(src, n)
                times = timed_runs(a.repeat, {f"one{n}": ["--workers", "1"], f"two{n}": ["--workers", "2"]}, src, tmp)
                one, two = median(times[f"one{n}"]), median(times[f"two{n}"])
                print(f"{n:6d} documents: 1 worker {fmt(times[f'one{n}'])}, {n / one:4.0f}/s")
                print(f"{'':6s}            2 workers {fmt(times[f'two{n}'])}, {n / two:4.0f}/s")
                print(f"{'':6s}            speed-up {one / two:.2f}x; without the fixed cost "
                      f"{(one - start) / (two - start):.2f}x")
        print("\n# 3. peak memory (RSS) by batch size, 2 workers, text documents")
        for n in (int(x) for x in a.sizes.split(",") if x):
            src = tmp / f"mem{n}"
            make(src, n)
            took, s, line = cli(src, tmp / f"m{n}", "--workers", "2")
            print(f"{n:6d} documents: parent {s.parent:6.0f} MiB, worker {s.worker:6.0f} MiB, {took:6.1f} s, "
                  f"parent CPU {s.parent_cpu:5.2f} s  | {line}")
        if a.dask:
            src = tmp / "dask"
            make(src, a.dask)
            print(f"\n# 4. Dask LocalCluster vs local engine, {a.dask} text documents, 2 workers, median of {a.repeat}")
            times = timed_runs(a.repeat, {"local": ["--workers", "2"], "dask": ["--workers", "2", "--engine", "dask"]},
                            src, tmp)
            print(f"local {fmt(times['local'])}\ndask  {fmt(times['dask'])}\n"
                  f"dask/local = {median(times['dask']) / median(times['local']):.2f}")


if __name__ == "__main__":
    main()
