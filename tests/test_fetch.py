"""Fetchers against a real HTTP server on 127.0.0.1 (tests/govsite.py); no other network."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest

from conftest import ROOT
from extract.cli import main
from extract.fetch import ConfigError, load_config
from govsite import Site, SiteServer, config_text

GOOD_REPORTS = 12 + 4  # r000..r011, flaky, busy, target (via moved), the PDF attachment


@pytest.fixture()
def site(tmp_path):
    with SiteServer(Site()) as server:
        cfg = tmp_path / "nightly.toml"
        cfg.write_text(config_text(server, tmp_path), encoding="utf-8")
        yield server, cfg, tmp_path


def run(cfg, command="run") -> int:
    return main([command, "--config", str(cfg), "--quiet"] + (["--workers", "1"] if command == "run" else []))


def test_first_run_fetches_what_it_should(site, capsys):
    server, cfg, tmp = site
    assert run(cfg) == 1  # some documents failed, as the site makes them
    s = server.site
    err = capsys.readouterr().err
    assert "zhangping-jyj: 3 listing pages; 16 new, 0 changed, 0 unchanged, 5 failed, 1 skipped by robots.txt" in err
    # what was not fetched
    assert s.count("/private/secret.html") == 0
    assert s.count("/news/1.html") == 0
    assert s.count("/xxgk/reports/r001.txt", host="localhost") == 0  # the off-host redirect target
    assert "redirected to another host: http://localhost:" in err
    assert "away.txt" in err and "HTTP 404" in err
    assert "served as a PDF but the content is html" in err
    assert "over the size cap of 1000000" in err
    assert "slow.txt: timed out after 0.5s (2 attempts)" in err
    # how often the server was hit
    assert s.count("/robots.txt") == 1
    assert s.count("/xxgk/reports/flaky.txt") == 2  # a 500, then the retry
    assert s.count("/xxgk/reports/busy.txt") == 2  # a 429, then the retry
    busy = [h.at for h in s.hits if h.path == "/xxgk/reports/busy.txt"]
    assert busy[1] - busy[0] >= 0.95  # Retry-After: 1 honoured
    assert s.count("/xxgk/reports/r000.txt") == 1
    # the per-host rate limit and Crawl-delay: never two requests closer than 1/50 s
    times = sorted(h.at for h in s.hits)
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.015
    # the dataset: one row per document, sources are URLs, the cover page is not a report
    reports = pd.read_parquet(tmp / "output" / "reports.parquet")
    assert len(reports) == GOOD_REPORTS and reports["report_id"].is_unique
    assert server.url("/files/hzq-2023.pdf") in set(reports["source"])
    assert server.url("/xxgk/reports/page-pdf.html") not in set(reports["source"])
    assert server.url("/xxgk/reports/moved.txt") in set(reports["source"]) or \
        server.url("/xxgk/reports/target.txt") in set(reports["source"])
    r0 = reports[reports["source"] == server.url("/xxgk/reports/r000.txt")].iloc[0]
    assert (r0["agency"], r0["year"], r0["status"]) == ("漳平市教育局", 2020, "ok")
    # stored by hash, never by URL
    stored = [p.name for p in (tmp / "raw").rglob("*") if p.is_file()]
    assert all(len(name) == 64 for name in stored)
    records = list((tmp / "output" / "runs").glob("*-run.json"))
    record = json.loads(records[0].read_text("utf-8"))
    assert record["sources"][0]["new"] == 16 and record["parse"]["documents"] == GOOD_REPORTS


def test_second_run_sends_conditional_requests_and_adds_nothing(site, capsys):
    server, cfg, tmp = site
    run(cfg)
    first = len(pd.read_parquet(tmp / "output" / "cells.parquet"))
    n = len(server.site.hits)
    assert run(cfg) == 1
    err = capsys.readouterr().err
    assert "0 new, 0 changed, 16 unchanged" in err
    assert "0 documents: 0 ok" in err  # nothing new to parse
    second = server.site.hits[n:]
    reports = [h for h in second if h.path.startswith("/xxgk/reports/r")]
    assert len(reports) == 12 and all(h.conditional and h.status == 304 for h in reports)
    assert len(pd.read_parquet(tmp / "output" / "reports.parquet")) == GOOD_REPORTS
    assert len(pd.read_parquet(tmp / "output" / "cells.parquet")) == first


def test_a_changed_report_is_a_new_report_that_supersedes_the_old(site, capsys):
    server, cfg, tmp = site
    run(cfg)
    old = pd.read_parquet(tmp / "output" / "reports.parquet")
    old_id = old.loc[old["source"] == server.url("/xxgk/reports/r003.txt"), "report_id"].iloc[0]
    server.site.version["r003"] = 1
    run(cfg)
    assert "0 new, 1 changed, 15 unchanged" in capsys.readouterr().err
    reports = pd.read_parquet(tmp / "output" / "reports.parquet")
    assert len(reports) == GOOD_REPORTS + 1
    mine = reports[reports["source"] == server.url("/xxgk/reports/r003.txt")]
    assert set(mine["report_id"]) >= {old_id}
    new = mine[mine["report_id"] != old_id].iloc[0]
    assert new["supersedes"] == old_id


def test_killed_run_resumes_with_nothing_duplicated_or_lost(tmp_path):
    site = Site(reports=30, per_page=10, report_delay=0.15)
    with SiteServer(site) as server:
        cfg = tmp_path / "nightly.toml"
        cfg.write_text(config_text(server, tmp_path), encoding="utf-8")
        cmd = [sys.executable, "-m", "extract", "run", "--config", str(cfg), "--quiet", "--workers", "1"]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db = tmp_path / "output" / "state.sqlite"
        deadline = time.monotonic() + 60
        fetched = 0
        while time.monotonic() < deadline:
            time.sleep(0.1)
            if db.exists():
                try:
                    fetched = sqlite3.connect(db).execute("SELECT COUNT(*) FROM documents").fetchone()[0]
                except sqlite3.OperationalError:
                    continue
                if fetched >= 10:
                    break
        proc.kill()
        proc.wait()
        assert 10 <= fetched < 30 + 4
        assert not (tmp_path / "output" / "reports.parquet").exists()  # killed before parsing
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 1, done.stderr  # the site's failing URLs
        reports = pd.read_parquet(tmp_path / "output" / "reports.parquet")
        assert reports["report_id"].is_unique
        sources = set(reports["source"])
        assert {server.url(f"/xxgk/reports/r{i:03d}.txt") for i in range(30)} <= sources
        assert len(reports) == 30 + 4
        # what the first run had fetched was not downloaded again
        twice = [p for p in {h.path for h in site.hits if h.path.startswith("/xxgk/reports/r")}
                 if sum(1 for h in site.hits if h.path == p and h.status == 200) > 1]
        assert twice == []
        stored = [p for p in (tmp_path / "raw").rglob("*") if p.is_file() and not p.name.startswith(".")]
        assert len(stored) == len({p.name for p in stored})


def test_configuration_errors_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nname = "x"\nstart = ["ftp://example.org/"]\nreport_text = "年报"\n', "utf-8")
    assert main(["fetch", "--config", str(bad)]) == 2
    assert "start must be a list of http(s) URLs" in capsys.readouterr().err
    assert main(["fetch", "--config", str(tmp_path / "missing.toml")]) == 2
    bad.write_text('[fetch]\nspeed = 3\n', "utf-8")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(bad)


def test_a_site_that_is_down_does_not_stop_the_others(site, capsys):
    server, cfg, tmp = site
    text = cfg.read_text("utf-8").replace('[[sources]]', '[[sources]]\nname = "down"\nstart = ["http://127.0.0.1:9/"]\n'
                                          'report_text = "年度报告"\n\n[[sources]]', 1)
    cfg.write_text(text, "utf-8")
    assert run(cfg, "fetch") == 1
    err = capsys.readouterr().err
    assert "down: 0 listing pages; 0 new, 0 changed, 0 unchanged, 1 failed" in err
    assert "zhangping-jyj: 3 listing pages; 16 new" in err
