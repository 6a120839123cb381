"""The fetcher against hostile servers on 127.0.0.1 (tests/hostile.py): robots.txt that never
ends, answers 503 or redirects; bodies that drip; Crawl-delay 86400; links to another port;
a visit counter; and the configuration file's mistakes. No other network."""
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
from govsite import SEED
from hostile import HostileServer, changing, drip, endless, html, nightly_config, redirect, text

LISTING = "/list.html"


def report(i: int, version: int = 0) -> str:
    return SEED + f"\n报告编号{i}，版本{version}\n"


def site(n: int = 3, **extra) -> dict:
    """A listing page linking reports /r0.txt … and the reports themselves."""
    links = "".join(f'<a href="/r{i}.txt">漳平市教育局2020年政府信息公开工作年度报告{i}</a>' for i in range(n))
    return {LISTING: html(links), **{f"/r{i}.txt": text(report(i)) for i in range(n)}, **extra}


def source(server, name="s", **keys) -> dict:
    return {"name": name, "start": [server.url(LISTING)], "report_text": "年度报告"} | keys


def nightly(tmp_path, capsys, sources, *args, command="fetch", **fetch):
    tmp_path.mkdir(parents=True, exist_ok=True)
    cfg = tmp_path / "nightly.toml"
    cfg.write_text(nightly_config(tmp_path, sources, **fetch), "utf-8")
    workers = ["--workers", "1"] if command == "run" else []
    code = main([command, "--config", str(cfg), "--quiet", *workers, *args])
    return code, capsys.readouterr().err


def reports(tmp_path) -> pd.DataFrame:
    return pd.read_parquet(tmp_path / "output" / "reports.parquet")


# -- robots.txt (RFC 9309) ------------------------------------------------------------------
def test_an_endless_robots_txt_is_read_up_to_its_cap(tmp_path, capsys):
    routes = site(2, **{"/robots.txt": endless(b"# filler line of an endless robots.txt\n",
                                               first=b"User-agent: *\nDisallow: /r1.txt\n")})
    with HostileServer(routes) as srv:
        start = time.monotonic()
        code, err = nightly(tmp_path, capsys, [source(srv)])
        took = time.monotonic() - start
    assert took < 10
    # the client stopped reading after 500 KiB: what the server managed to send before it
    # noticed is that plus the sockets' buffers, not gigabytes
    assert srv.sent["/robots.txt"] < 20_000_000
    assert "s: 1 listing pages; 1 new, 0 changed, 0 unchanged, 0 failed, 1 skipped by robots.txt" in err
    assert "/r1.txt" not in srv.paths() and "/r0.txt" in srv.paths()
    assert code == 0


def test_memory_stays_bounded_against_endless_servers(tmp_path):
    """An endless robots.txt and an endless report without Content-Length, in a process of its
    own so that its peak memory can be measured."""
    routes = site(1, **{"/robots.txt": endless(b"Disallow: /nothing-here\n", first=b"User-agent: *\n"),
                        "/r0.txt": endless("报告".encode() * 1000)})
    with HostileServer(routes) as srv:
        cfg = tmp_path / "nightly.toml"
        cfg.write_text(nightly_config(tmp_path, [source(srv)], max_bytes=50_000_000, request_deadline=20.0), "utf-8")
        # VmHWM, the peak of this process's own memory: ru_maxrss of a child starts at the peak of
        # the process that forked it (here pytest, hundreds of MB into the suite).
        code = ("import re, sys; from extract.cli import main; rc = main(sys.argv[1:]); "
                "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); sys.exit(rc)")
        done = subprocess.run([sys.executable, "-c", code, "fetch", "--config", str(cfg)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert f"{srv.url('/r0.txt')}: over the size cap of 50000000 bytes" in done.stderr
    peak_mb = int(done.stdout.split()[-1]) / 1024
    print(f"peak {peak_mb:.0f} MB")
    assert peak_mb < 500, peak_mb  # the cap is 50 MB: what is held is that, not the endless stream
    assert srv.sent["/robots.txt"] < 20_000_000


def test_a_robots_txt_answering_503_disallows_everything(tmp_path, capsys):
    with HostileServer(site(2, **{"/robots.txt": text("down", status=503)})) as srv:
        code, err = nightly(tmp_path, capsys, [source(srv)], retries=1)
    assert srv.paths() == ["/robots.txt", "/robots.txt"]  # retried once, then nothing else
    assert (f"s: 0 listing pages; 0 new, 0 changed, 0 unchanged, 1 failed, 0 skipped by robots.txt; "
            f"robots.txt {srv.url('/robots.txt')}: HTTP 503, so nothing is fetched "
            f"(RFC 9309: a server error disallows all)") in err
    assert code == 3  # a site error


def test_an_unreachable_robots_txt_disallows_everything_and_a_404_allows_everything(tmp_path, capsys):
    routes = site(1, **{"/robots.txt": drip(b"User-agent: *\n", every=1.0, headers_first=False)})
    with HostileServer(routes) as srv:
        code, err = nightly(tmp_path, capsys, [source(srv)], timeout=2.0, request_deadline=0.5)
    assert srv.paths() == ["/robots.txt"]
    assert "no answer within the request deadline of 0.5s (1 attempts), so nothing is fetched" in err
    assert code == 3
    with HostileServer(site(1)) as srv:  # no robots.txt: a 404
        code, err = nightly(tmp_path / "b", capsys, [source(srv)])
    assert "1 new" in err and f"robots.txt {srv.url('/robots.txt')}: HTTP 404, so everything is allowed" in err
    assert code == 0


def test_robots_txt_redirects_are_followed_five_times(tmp_path, capsys):
    hops = {"/robots.txt": redirect("/a"), "/a": redirect("/b", 301), "/b": redirect("/c", 307),
            "/c": redirect("/d", 308), "/d": redirect("/rules.txt"),
            "/rules.txt": text("User-agent: *\nDisallow: /r1.txt\n")}
    with HostileServer(site(2, **hops)) as srv:
        code, err = nightly(tmp_path, capsys, [source(srv)])
    assert "/rules.txt" in srv.paths() and "/r1.txt" not in srv.paths()
    assert "1 new, 0 changed, 0 unchanged, 0 failed, 1 skipped by robots.txt" in err
    # six hops: the robots.txt counts as missing (RFC 9309 §2.3.1.2), and says so
    hops["/d"] = redirect("/e")
    hops["/e"] = redirect("/rules.txt")
    with HostileServer(site(2, **hops)) as srv:
        code, err = nightly(tmp_path / "b", capsys, [source(srv)])
    assert "/rules.txt" not in srv.paths() and "/r1.txt" in srv.paths()
    assert "more than 5 redirects, so it counts as missing and everything is allowed (RFC 9309)" in err


def test_a_robots_txt_redirecting_to_another_port_is_not_followed(tmp_path, capsys):
    with HostileServer({"/robots.txt": text("User-agent: *\nAllow: /\n")}) as other:
        with HostileServer(site(1, **{"/robots.txt": redirect(other.url("/robots.txt"))})) as srv:
            code, err = nightly(tmp_path, capsys, [source(srv)])
    assert other.hits == [] and srv.paths() == ["/robots.txt"]
    assert f"redirects to another site ({other.url('/robots.txt')}), not followed, so nothing is fetched" in err
    assert code == 3


# -- deadlines -------------------------------------------------------------------------------
def test_a_dripping_body_is_cut_at_the_request_deadline(tmp_path, capsys):
    routes = site(1, **{"/r0.txt": drip(report(0).encode(), every=1.0)})
    with HostileServer(routes) as srv:
        start = time.monotonic()
        code, err = nightly(tmp_path, capsys, [source(srv)], timeout=3.0, request_deadline=1.5)
        took = time.monotonic() - start
    assert took < 4  # a byte a second never trips the 3 s read timeout; the deadline ends it
    assert srv.sent["/r0.txt"] <= 3
    assert f"failed: [s] {srv.url('/r0.txt')}: not read within the request deadline of 1.5s" in err
    assert code == 3


def test_dripping_headers_are_cut_at_the_request_deadline(tmp_path, capsys):
    routes = site(1, **{"/r0.txt": drip(report(0).encode(), every=0.5, headers_first=False)})
    with HostileServer(routes) as srv:
        start = time.monotonic()
        code, err = nightly(tmp_path, capsys, [source(srv)], timeout=3.0, request_deadline=1.0)
        assert time.monotonic() - start < 4
    assert "r0.txt: no answer within the request deadline of 1s (1 attempts)" in err


def test_the_run_deadline_stops_the_crawl(tmp_path, capsys):
    routes = site(20)
    with HostileServer(routes) as srv:
        start = time.monotonic()
        code, err = nightly(tmp_path, capsys, [source(srv)], requests_per_second=4.0, run_deadline=1.0)
        took = time.monotonic() - start
    assert took < 3
    fetched = [p for p in srv.paths() if p.startswith("/r")]
    assert 1 <= len(fetched) < 20
    assert "; stopped: the run deadline (1s) was reached" in err
    assert code == 3


# -- politeness ------------------------------------------------------------------------------
def test_a_crawl_delay_over_the_cap_skips_the_source_and_not_the_others(tmp_path, capsys):
    with HostileServer(site(2, **{"/robots.txt": text("User-agent: *\nCrawl-delay: 86400\n")})) as slow, \
            HostileServer(site(2)) as fast:
        start = time.monotonic()
        code, err = nightly(tmp_path, capsys, [source(slow, "slow"), source(fast, "fast")])
        assert time.monotonic() - start < 5
    assert slow.paths() == ["/robots.txt"]
    assert ("slow: 0 listing pages; 0 new, 0 changed, 0 unchanged, 0 failed, 0 skipped by robots.txt; stopped: "
            "robots.txt asks for a Crawl-delay of 86400s, over max_crawl_delay = 60s: source skipped") in err
    assert "fast: 1 listing pages; 2 new" in err
    assert code == 3


def test_max_reports_caps_the_reports_fetched_per_source(tmp_path, capsys):
    with HostileServer(site(6)) as srv:
        code, err = nightly(tmp_path, capsys, [source(srv, max_reports=4)])
    assert sorted(p for p in srv.paths() if p.endswith(".txt") and p != "/robots.txt") == ["/r0.txt", "/r1.txt", "/r2.txt", "/r3.txt"]
    assert "4 new, 0 changed, 0 unchanged, 0 failed, 0 skipped by robots.txt; robots.txt " in err
    assert "HTTP 404, so everything is allowed (RFC 9309); 2 report links over max_reports = 4 not fetched\n" in err
    assert code == 0


def test_a_slow_source_does_not_delay_the_others(tmp_path, capsys):
    slow_routes = site(4, **{"/robots.txt": text("User-agent: *\nCrawl-delay: 1\n")})
    with HostileServer(slow_routes) as slow, HostileServer(site(4)) as fast:
        code, err = nightly(tmp_path, capsys, [source(slow, "slow"), source(fast, "fast")])
    fast_done = max(t for _, t in fast.hits)
    slow_times = sorted(t for _, t in slow.hits)
    assert fast_done < slow_times[2]  # the fast site was done while the slow one had just begun
    assert err.index("fast: 1 listing pages; 4 new") < err.index("slow: 1 listing pages; 4 new")
    assert code == 0


# -- origins and redirects -------------------------------------------------------------------
def test_a_link_to_the_same_host_on_another_port_is_not_followed(tmp_path, capsys):
    with HostileServer({"/r9.txt": text(report(9))}) as other:
        links = (f'<a href="{other.url("/r9.txt")}">漳平市教育局2020年政府信息公开工作年度报告</a>'
                 f'<a href="{other.url("/list2.html")}">下一页</a><a href="/r0.txt">年度报告</a>')
        with HostileServer({LISTING: html(links), "/r0.txt": text(report(0))}) as srv:
            code, err = nightly(tmp_path, capsys, [source(srv, follow="list")])
    assert other.hits == []
    assert "s: 1 listing pages; 1 new" in err


def test_a_redirected_document_keeps_its_first_url_and_its_final_one(tmp_path, capsys):
    routes = site(1, **{"/r0.txt": redirect("/files/2020.txt", 301), "/files/2020.txt": text(report(0))})
    with HostileServer(routes) as srv:
        code, err = nightly(tmp_path, capsys, [source(srv)], command="run")
    row = reports(tmp_path).iloc[0]
    assert (row["source"], row["redirected_to"]) == (srv.url("/r0.txt"), srv.url("/files/2020.txt"))
    assert code == 0


# -- versions: a visit counter is not a new version ------------------------------------------
def test_a_visit_counter_changing_nightly_makes_no_new_version(tmp_path, capsys):
    version = {"n": 0}
    routes = site(2, **{"/r0.txt": changing(lambda n: report(0, version["n"]) + f"\n浏览次数：{1000 + n}\n")})
    with HostileServer(routes) as srv:
        for night in range(3):
            code, err = nightly(tmp_path, capsys, [source(srv)], command="run")
            assert code == 0, err
        assert srv.paths().count("/r0.txt") == 3  # new bytes every night
        assert "0 new, 1 changed, 1 unchanged" in err
        assert "1 changed documents say what their version in the dataset says (a visit counter" in err
        rows = reports(tmp_path)
        assert len(rows) == 2 and rows["latest"].all()
        cells = pd.read_parquet(tmp_path / "output" / "cells.parquet")
        assert len(cells) == 2 * rows["n_cells"].iloc[0]  # not doubled
        first = rows.loc[rows["source"] == srv.url("/r0.txt"), "report_id"].item()
        # a real change is a new version: it supersedes the one in the dataset, which stays, not latest
        version["n"] = 1
        code, err = nightly(tmp_path, capsys, [source(srv)], command="run")
    rows = reports(tmp_path).set_index("report_id")
    mine = rows[rows["source"] == srv.url("/r0.txt")]
    assert len(rows) == 3 and len(mine) == 2
    newest = mine[mine["latest"]]
    assert len(newest) == 1 and newest["supersedes"].item() == first
    assert not mine.loc[first, "latest"]
    # the README's query, restricted to the latest versions, counts each report once
    cells = pd.read_parquet(tmp_path / "output" / "cells.parquet")
    latest = cells.merge(rows[rows["latest"]].reset_index()[["report_id"]], on="report_id")
    total = latest.query("table == 'applications' and row == 'new_requests' and col == 'total'")["value"].sum()
    one = cells[cells.report_id == first].query("table == 'applications' and row == 'new_requests' "
                                                "and col == 'total'")["value"].item()
    assert total == 2 * one
    csv = pd.read_csv(tmp_path / "output" / "reports.csv", encoding="utf-8-sig")
    assert sorted(csv["latest"]) == [False, True, True]


def test_run_reparse_keeps_urls_supersedes_and_never_parses_listing_pages(tmp_path, capsys):
    version = {"n": 0}
    routes = site(2, **{"/r0.txt": changing(lambda n: report(0, version["n"]))})
    with HostileServer(routes) as srv:
        nightly(tmp_path, capsys, [source(srv)], command="run")
        version["n"] = 1
        nightly(tmp_path, capsys, [source(srv)], command="run")
        before = reports(tmp_path).sort_values("report_id").reset_index(drop=True)
        hits = len(srv.hits)
        code, err = nightly(tmp_path, capsys, [source(srv)], "--reparse", command="run")
        assert len(srv.hits) == hits  # nothing fetched
    assert code == 0 and "3 documents: 3 ok" in err
    after = reports(tmp_path).sort_values("report_id").reset_index(drop=True)
    keep = ["report_id", "source", "supersedes", "latest", "content_sha256", "n_cells"]
    pd.testing.assert_frame_equal(after[keep], before[keep])
    assert set(after["source"]) == {srv.url("/r0.txt"), srv.url("/r1.txt")}
    assert after["supersedes"].astype(bool).sum() == 1


# -- configuration ---------------------------------------------------------------------------
@pytest.mark.parametrize("fetch, dataset, src, message", [
    ("", "outt = 'x'\n", "", "[dataset]: unknown setting(s): outt"),
    ("", "", "max_page = 3\n", "[[sources]] #1 (s): unknown setting(s): max_page"),
    ("timout = 3\n", "", "", "[fetch]: unknown setting(s): timout"),
    ("", "", "max_pages = 'ten'\n", "[[sources]] #1 (s): max_pages must be an integer, not 'ten'"),
    ("", "", "max_reports = -1\n", "[[sources]] #1 (s): max_reports must be greater than 0, not -1"),
    ("retries = -2\n", "", "", "[fetch]: retries must not be negative, not -2"),
    ("timeout = '30'\n", "", "", "[fetch]: timeout must be a number, not '30'"),
    ("obey_robots = 1\n", "", "", "[fetch]: obey_robots must be true or false, not 1"),
    ("max_crawl_delay = -5.0\n", "", "", "[fetch]: max_crawl_delay must not be negative, not -5.0"),
    ("request_deadline = 0\n", "", "", "[fetch]: request_deadline must be greater than 0, not 0.0"),
    ("", "out = 3\n", "", "[dataset]: out must be a string, not 3"),
    ("", "", "follow = 5\n", "[[sources]] #1 (s).follow: must be a regular expression (a string), not 5"),
])
def test_configuration_mistakes_are_one_line_and_exit_2(tmp_path, capsys, fetch, dataset, src, message):
    cfg = tmp_path / "nightly.toml"
    cfg.write_text(f"[dataset]\n{dataset}\n[fetch]\n{fetch}\n[[sources]]\nname = 's'\nstart = ['http://127.0.0.1:9/']\n"
                   f"report_text = '年报'\n{src}", "utf-8")
    assert main(["fetch", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"extract: configuration error: {message}") and err.count("\n") == 1


def test_the_configuration_is_one_validated_object(tmp_path):
    cfg = tmp_path / "nightly.toml"
    cfg.write_text("[fetch]\nmax_crawl_delay = 5\nrun_deadline = 600\n\n[[sources]]\nname = 's'\n"
                   "start = 'http://127.0.0.1:8080/x/'\nreport_url = 'nb'\nmax_reports = 7\n", "utf-8")
    config = load_config(cfg)
    assert (config.fetch.max_crawl_delay, config.fetch.run_deadline, config.fetch.request_deadline) == (5.0, 600.0, 300.0)
    assert config.sources[0].max_reports == 7 and config.sources[0].origins == {("http", "127.0.0.1", 8080)}
    assert config.out == tmp_path / "output"
    cfg.write_text("[fetch]\n[[sources]]\nname = 's'\nstart = ['http://x/']\nreport_url = 'nb'\n[extra]\n", "utf-8")
    with pytest.raises(ConfigError, match="unknown table"):
        load_config(cfg)


# -- exit status and messages ----------------------------------------------------------------
def test_exit_status_tells_failed_documents_from_site_errors(tmp_path, capsys):
    with HostileServer(site(2)) as srv:
        assert nightly(tmp_path / "a", capsys, [source(srv)], command="run")[0] == 0
    with HostileServer(site(2, **{"/r1.txt": text("gone", status=404)})) as srv:
        code, err = nightly(tmp_path / "b", capsys, [source(srv)], command="run")
    assert code == 3 and f"failed: [s] {srv.url('/r1.txt')}: HTTP 404" in err
    broken = site(2, **{"/r1.txt": text(b"\x00\x01\x02 not a report \xff" * 50, ctype="application/octet-stream")})
    broken["/r2.txt"] = text("gone", status=404)
    broken[LISTING] = html('<a href="/r0.txt">年度报告</a><a href="/r1.txt">年度报告</a><a href="/r2.txt">年度报告</a>')
    with HostileServer(broken) as srv:
        code, err = nightly(tmp_path / "c", capsys, [source(srv)], command="run")
    assert code == 1  # documents failed: that wins over the site's 404
    failed = [line for line in err.splitlines() if line.startswith("failed: ")]
    assert failed[0] == f"failed: [s] {srv.url('/r2.txt')}: HTTP 404"
    assert failed[1].startswith(f"failed: {srv.url('/r1.txt')}: ")  # the same line as `extract parse` prints
    record = json.loads(next((tmp_path / "c" / "output" / "runs").glob("*-run.json")).read_text("utf-8"))
    assert record["parse"]["failed"] == 1


def test_fetch_has_no_workers_option(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["fetch", "--config", "x.toml", "--workers", "2"])
    assert "unrecognized arguments: --workers" in capsys.readouterr().err


def test_a_closed_pipe_does_not_stop_the_crawl(tmp_path):
    with HostileServer(site(5)) as srv:
        cfg = tmp_path / "nightly.toml"
        cfg.write_text(nightly_config(tmp_path, [source(srv, "a"), source(srv, "b")]), "utf-8")
        cmd = f"'{sys.executable}' -m extract fetch --config '{cfg}' 2>&1 | head -n 1; echo \"rc=${{PIPESTATUS[0]}}\""
        done = subprocess.run(["bash", "-c", cmd], cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and lines[1] == "rc=0", done.stdout + done.stderr
    db = sqlite3.connect(tmp_path / "output" / "state.sqlite")
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 5
    assert list((tmp_path / "output" / "runs").glob("*-fetch.json"))


def test_ctrl_c_ends_requests_in_flight_at_once(tmp_path):
    """A request held by a dripping server does not keep an interrupted run waiting for its deadline."""
    import os
    import signal

    routes = site(3, **{f"/r{i}.txt": drip(report(i).encode(), every=0.5) for i in range(3)})
    with HostileServer(routes) as srv:
        cfg = tmp_path / "nightly.toml"
        cfg.write_text(nightly_config(tmp_path, [source(srv, "a"), source(srv, "b", start=[srv.url(LISTING + "?b")])],
                                      timeout=5.0, request_deadline=60.0), "utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "extract", "fetch", "--config", str(cfg)], cwd=ROOT,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not srv.sent["/r0.txt"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert srv.sent["/r0.txt"], "the dripping report was never requested"
        sent_at = time.monotonic()
        os.kill(proc.pid, signal.SIGINT)
        proc.communicate(timeout=30)
        assert time.monotonic() - sent_at < 5
    assert proc.returncode != 0
