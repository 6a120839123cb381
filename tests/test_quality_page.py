"""The quality page (`extract report OUT`), rendered in headless Chromium as a user would open it."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots, not committed (.gitignore)


def chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def page(corpus_dataset) -> Path:
    out = corpus_dataset[0] / "output"
    done = subprocess.run([sys.executable, "-m", "extract", "report", str(out)], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr
    documents = len(pd.read_parquet(out / "reports.parquet"))
    assert re.search(rf"^quality page: {documents} documents, [\d.]+ MiB, [\d.]+s → .*report\.html$",
                     done.stderr.strip(), re.M)
    return out / "report.html"


def rendered(page: Path, *extra: str) -> tuple[BeautifulSoup, str]:
    done = chromium(*extra, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr
    return BeautifulSoup(done.stdout, "lxml"), done.stderr


@needs_chromium
def test_page_loads_without_errors_and_shows_everything(page):
    dom, log = rendered(page)
    body = dom.body
    assert body["data-ready"] == "1" and body["data-errors"] == "0"  # the page's script ran, nothing threw
    assert "Uncaught" not in log
    out = page.parent
    states = pd.read_parquet(out / "coverage.parquet").state.value_counts()
    grid = dom.select("#coverage-grid table tbody tr")
    assert len(grid) == len(pd.read_parquet(out / "agencies.parquet")) >= 16  # one row per agency of the archive
    assert sum(len(tr.select("span.rep")) for tr in grid) == states["reported"]
    assert sum(len(tr.select("span.mis")) for tr in grid) == states["missing"]
    charts = dom.select("figure.chart svg")
    assert len(charts) >= 3 and all(len(svg.select("path")) > 10 for svg in charts)
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in dom.select("#problems table.problems tr")]
    # a known failing identity of the corpus: 上海市科委 2024, 本年新收 + 上年结转 ≠ 办理结果总计 + 结转下年度 in 总计
    assert ["上海市科委", "2024", "applications.balance", "", "total", "36", "35", "blank cells counted as 0: 1"] \
        in [r[:8] for r in rows if len(r) == 9 and r[8].endswith("corpus/docs/real-shkewei-2024.md")]
    assert "tables not found: review_litigation" in dom.select_one("#problems").get_text()


@needs_chromium
def test_page_is_self_contained(page):
    html = page.read_text("utf-8")
    assert not re.search(r"<(?:script|img|iframe)[^>]+src=|<link[^>]+href=", html)
    assert not re.search(r"url\(\s*['\"]?https?:", html)
    dom, log = rendered(page, "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9")
    assert dom.body["data-ready"] == "1" and len(dom.select("figure.chart svg")) >= 3
    assert "ERR_" not in log


@needs_chromium
def test_screenshot(page, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "quality-page.png"
    done = chromium("--window-size=1280,2400", f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0, done.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_large_archive_page_counts_instead_of_a_grid(tmp_path):
    """Past GRID_MAX agencies the coverage is counted per province, level and year, and the
    missing agencies of the last year are listed; the page stays small."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_panel import generate

    from extract.panel import build_archive
    from extract.panel.quality import GRID_MAX, build_page

    generate(tmp_path, 10 * (GRID_MAX + 50))
    archive = build_archive(tmp_path, "parquet")
    assert archive.agencies == GRID_MAX + 50
    page = build_page(tmp_path)
    dom = BeautifulSoup(page.path.read_text("utf-8"), "lxml")
    headers = [th.get_text() for th in dom.select("#coverage-grid table th")]
    assert headers == ["province", "level", "year", "reported", "missing", "failed"]
    counted = sum(int(tr.select("td")[4].get_text()) for tr in dom.select("#coverage-grid table tbody tr"))
    assert counted == archive.missing
    assert dom.select_one("#coverage h3").get_text() == "Missing for 2024"
    assert len(dom.select("figure.chart svg")) == 5
    assert page.bytes < 2 * 2**20
