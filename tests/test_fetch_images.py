"""Tables printed as images on fetched report pages: the fetcher stores the images with the page
(extract/fetch/crawl.py), the parse reads them from the store by OCR (parsers never fetch).

Against a real HTTP server on 127.0.0.1: the report page is the bundled page whose table 三 is an
image (corpus/docs/html-image-table.html), the image the 洪泽区 table 三 pasted as one picture,
as tests/test_ocr.py makes it. One image is OCR'd in this module (about 6 s a page on one core).
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pandas as pd
import pytest

from extract.cli import main
from extract.fetch.state import State
from scanned import bands_png
from test_ocr import HZQ, IMAGE_PAGE, IMAGE_SRC, _score, needs_ocr

IMAGE_PATH = "/" + IMAGE_SRC


class ImageSite:
    """Paths → (status, body, content type); ETag honoured; every request logged as (path, host, status)."""

    def __init__(self, pages: dict[str, tuple[int, bytes, str]]) -> None:
        self.pages = pages
        self.hits: list[tuple[str, str, int]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                status, body, ctype = site.pages.get(self.path, (404, b"<html>404</html>", "text/html"))
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
                site.hits.append((self.path, self.headers.get("Host", ""), status))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if status in (200, 304):
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self, path: str, status: int | None = None) -> int:
        return sum(1 for p, _, s in self.hits if p == path and status in (None, s))

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _site(tmp_path, image: tuple[int, bytes, str]) -> tuple[ImageSite, object]:
    """A listing linking two report pages: table 三 as an image of the site, and as an image on
    another site (localhost: another host, so another origin)."""
    page = IMAGE_PAGE.read_bytes()
    site = ImageSite({
        "/robots.txt": (200, b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        "/xxgk/index.html": (200, '<html><body><ul><li><a href="report.html">洪泽区2023年政府信息公开工作年度报告</a></li>'
                                  '<li><a href="elsewhere.html">另一2023年政府信息公开工作年度报告</a></li></ul>'
                                  '</body></html>'.encode(), "text/html; charset=utf-8"),
        "/xxgk/report.html": (200, page, "text/html; charset=utf-8"),
        IMAGE_PATH: image,
    })
    elsewhere = page.replace(IMAGE_PATH.encode(), f"http://localhost:{site.port}{IMAGE_PATH}".encode())
    site.pages["/xxgk/elsewhere.html"] = (200, elsewhere + b"<!-- another page -->", "text/html; charset=utf-8")
    cfg = tmp_path / "nightly.toml"
    cfg.write_text(f"""
[dataset]
out = "{tmp_path / 'output'}"
store = "{tmp_path / 'raw'}"
state = "{tmp_path / 'output' / 'state.sqlite'}"

[fetch]
user_agent = "gioar-extract-tests/0.1 (+mailto:tests@example.org)"
requests_per_second = 50
retries = 0
backoff = 0.05

[[sources]]
name = "hzq"
start = ["{site.url('/xxgk/index.html')}"]
report_text = '年度报告'
""", encoding="utf-8")
    return site, cfg


def run(cfg, *extra: str) -> int:
    return main(["run", "--config", str(cfg), "--quiet", "--workers", "1", "--no-panel", *extra])


def _report(tmp_path, url: str):
    """The dataset's report of `url` and its cells, as _score reads a Report."""
    reports = pd.read_parquet(tmp_path / "output" / "reports.parquet")
    row = reports[reports["source"] == url]
    assert len(row) == 1, reports[["source", "status"]]
    row = row.iloc[0]
    cells = pd.read_parquet(tmp_path / "output" / "cells.parquet")
    mine = cells[cells["report_id"] == row["report_id"]]
    as_cells = [SimpleNamespace(table=c.table, row=c.row, col=c.col, raw=c.raw,
                                value=None if pd.isna(c.value) else c.value,
                                flags=[f for f in c.flags.split(",") if f]) for c in mine.itertuples()]
    return row, SimpleNamespace(cells=as_cells)


@pytest.fixture(scope="module")
def png():
    # The 洪泽区 table 三 (it runs over pages 3 and 4) pasted as one picture.
    return bands_png(HZQ.read_bytes(), [(3, 0.433, 0.93), (4, 0.09, 0.325)], dpi=150)


@needs_ocr
def test_a_fetched_pages_table_image_is_fetched_once_and_read_by_ocr(tmp_path, png, capsys, monkeypatch):
    monkeypatch.setenv("GIOAR_OCR_PAGE_SECONDS", "900")  # what OCR reads is tested, not a busy machine's speed
    monkeypatch.setenv("GIOAR_OCR_DOC_SECONDS", "1800")
    site, cfg = _site(tmp_path, (200, png, "image/png"))
    try:
        assert run(cfg) == 0
        err = capsys.readouterr().err
        assert "hzq: 1 listing pages; 2 new, 0 changed, 0 unchanged, 0 failed, 0 skipped by robots.txt; " \
               "1 table images fetched; 1 table images on other sites not fetched" in err
        assert "; OCR 1 pages in " in err
        report, cells = _report(tmp_path, site.url("/xxgk/report.html"))
        assert report["status"] == "ok" and report["ocr_pages"] == 1, report["error"]
        right, total, unflagged = _score(cells, {"applications"})
        assert total == 161 and right >= 0.97 * total and unflagged == []
        # The image on another site: never requested, and the report says what is missing.
        other, _ = _report(tmp_path, site.url("/xxgk/elsewhere.html"))
        assert not any(host.startswith("localhost") for _, host, _ in site.hits)
        assert "table printed as an image" in other["error"] and other["ocr_pages"] == 0
        # Stored by its hash, linked to the page; the report page itself is the only document.
        state = State(tmp_path / "output" / "state.sqlite")
        try:
            ((image, sha),) = state.stored_images(site.url("/xxgk/report.html"))
        finally:
            state.close()
        assert image == site.url(IMAGE_PATH) and sha == hashlib.sha256(png).hexdigest()
        assert (tmp_path / "raw" / sha[:2] / sha).read_bytes() == png
        db = sqlite3.connect(tmp_path / "output" / "state.sqlite")
        assert db.execute("SELECT COUNT(*) FROM documents WHERE sha256 = ?", (sha,)).fetchone()[0] == 0
        db.close()

        # The next night: the page is unchanged, so its image is not asked for again; nothing is parsed.
        assert run(cfg) == 0
        err = capsys.readouterr().err
        assert "0 new, 0 changed, 2 unchanged" in err and "table images fetched" not in err
        assert "0 documents: 0 ok" in err
        assert site.count(IMAGE_PATH) == 1 and site.count("/xxgk/report.html") == 2

        # --reparse (after an upgrade) fetches nothing and reads the image from the store again.
        hits = len(site.hits)
        assert run(cfg, "--reparse") == 0
        assert "; OCR 1 pages in " in capsys.readouterr().err and len(site.hits) == hits
        again, cells = _report(tmp_path, site.url("/xxgk/report.html"))
        assert again["ocr_pages"] == 1 and _score(cells, {"applications"}) == (right, total, [])
    finally:
        site.close()


def test_a_table_image_that_fails_is_a_warning_and_is_fetched_next_time(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GIOAR_OCR", "0")  # what is fetched and parsed again is tested here, not OCR
    site, cfg = _site(tmp_path, (200, b"<html><body>\xe9\x94\x99\xe8\xaf\xaf</body></html>", "image/png"))
    try:
        assert run(cfg) == 0  # the page is a report, parsed; only its image is missing
        err = capsys.readouterr().err
        assert "2 new, 0 changed, 0 unchanged, 0 failed" in err and "1 table images not fetched" in err
        report, _ = _report(tmp_path, site.url("/xxgk/report.html"))
        assert report["status"] == "partial" and "table printed as an image" in report["error"]
        db = sqlite3.connect(tmp_path / "output" / "state.sqlite")
        status, error = db.execute("SELECT status, error FROM urls WHERE url = ?", (site.url(IMAGE_PATH),)).fetchone()
        assert (status, error) == ("failed", "served as a table image but the content is html (an error page?)")
        # The site puts the image right; the page is unchanged, its image fetched and the page parsed again.
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
        site.pages[IMAGE_PATH] = (200, png, "image/png")
        assert run(cfg) == 0
        err = capsys.readouterr().err
        assert "0 new, 0 changed, 2 unchanged" in err and "1 table images fetched" in err
        assert "1 documents: " in err
        status, sha = db.execute("SELECT status, sha256 FROM urls WHERE url = ?", (site.url(IMAGE_PATH),)).fetchone()
        assert (status, sha) == ("ok", hashlib.sha256(png).hexdigest())
        db.close()
        reports = pd.read_parquet(tmp_path / "output" / "reports.parquet")
        assert len(reports) == 2 and reports["report_id"].is_unique
        # A third night asks for nothing it holds.
        assert run(cfg) == 0
        assert "0 documents: 0 ok" in capsys.readouterr().err and site.count(IMAGE_PATH) == 2
    finally:
        site.close()


@pytest.mark.parametrize("case", ["robots", "size"])
def test_a_table_image_the_rules_forbid_is_not_fetched(tmp_path, capsys, monkeypatch, case):
    """robots.txt and the image size cap (ocr.MAX_IMAGE_BYTES) hold for table images as for any URL."""
    from extract.fetch import crawl

    monkeypatch.setenv("GIOAR_OCR", "0")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096
    site, cfg = _site(tmp_path, (200, png, "image/png"))
    try:
        if case == "robots":
            site.pages["/robots.txt"] = (200, b"User-agent: *\nDisallow: /uploadfiles/\n", "text/plain")
        else:
            monkeypatch.setattr(crawl, "MAX_IMAGE_BYTES", 1000)
        assert run(cfg) == 0
        err = capsys.readouterr().err
        assert "2 new, 0 changed, 0 unchanged, 0 failed, 0 skipped by robots.txt; 1 table images not fetched" in err
        # Not requested at all, or its answer refused by its Content-Length: nothing stored.
        assert site.count(IMAGE_PATH) == (0 if case == "robots" else 1)
        sha = hashlib.sha256(png).hexdigest()
        assert not (tmp_path / "raw" / sha[:2] / sha).exists()
        why = "disallowed by robots.txt" if case == "robots" else "4104 bytes is over the size cap of 1000"
        db = sqlite3.connect(tmp_path / "output" / "state.sqlite")
        assert db.execute("SELECT kind, status, error FROM urls WHERE url = ?",
                          (site.url(IMAGE_PATH),)).fetchone() == ("image", "failed", why)
        db.close()
        report, _ = _report(tmp_path, site.url("/xxgk/report.html"))
        assert "table printed as an image" in report["error"]
    finally:
        site.close()


def test_stored_images_resolve_a_src_as_the_page_writes_it(tmp_path):
    from extract.batch.jobs import StoredImages

    stored = tmp_path / "ab" / "abcd"
    stored.parent.mkdir()
    stored.write_bytes(b"\x89PNG bytes")
    images = StoredImages("http://gov.example/xxgk/2023/report.html",
                          {"http://gov.example/uploadfiles/t3.png": str(stored),
                           "http://gov.example/xxgk/lost.png": str(tmp_path / "gone")})
    assert images("/uploadfiles/t3.png") == images("../../uploadfiles/t3.png#top") == b"\x89PNG bytes"
    assert images(" http://gov.example/uploadfiles/t3.png ") == b"\x89PNG bytes"
    assert images("t3.png") is None  # http://gov.example/xxgk/2023/t3.png: not stored
    assert images("../lost.png") is None  # linked, but the store lost the file: not an error
