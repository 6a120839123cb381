"""A small government-style web site on 127.0.0.1 for the fetcher tests and benchmark.

Paginated GBK listing pages, text report pages, a report published only as a PDF attachment,
robots.txt with a disallowed path and a Crawl-delay, and the failures government servers
produce: a 500 that succeeds on retry, a 429 with Retry-After, a response slower than the
timeout, redirects within and off the host, a 404, an HTML error page sent as a PDF, a file
over the size cap. ETag and Last-Modified are honoured. Every request is logged.
"""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = (ROOT / "corpus" / "docs" / "000_3c2b94a00d1a4e64.txt").read_text("utf-8")
LAST_MODIFIED = "Wed, 20 Jan 2021 08:00:00 GMT"
ERROR_PAGE = b"<html><head><title>404</title></head><body><h1>\xe9\xa1\xb5\xe9\x9d\xa2\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8</h1></body></html>"


@dataclass
class Hit:
    path: str
    host: str
    at: float
    conditional: bool
    status: int


@dataclass
class Site:
    reports: int = 12
    per_page: int = 5
    slow_seconds: float = 1.5
    report_delay: float = 0.0  # seconds before each report answers (for kill-and-resume tests)
    version: dict[str, int] = field(default_factory=dict)  # bump to change a report's bytes
    hits: list[Hit] = field(default_factory=list)
    _once: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def report_text(self, i: int) -> str:
        v = self.version.get(f"r{i:03d}", 0)
        # Distinct bytes per report (a numbered note after the signature), same tables.
        return SEED + f"\n报告编号{i}，版本{v}\n"

    def count(self, path: str, host: str | None = None) -> int:
        return sum(1 for h in self.hits if h.path == path and (host is None or h.host.startswith(host)))

    # -- pages ----------------------------------------------------------------------------
    def listing(self, page: int) -> bytes:
        pages = (self.reports + self.per_page - 1) // self.per_page
        items = range(page * self.per_page, min(self.reports, (page + 1) * self.per_page))
        links = "".join(f'<li><a href="reports/r{i:03d}.txt">漳平市第{i}教育局2020年政府信息公开工作年度报告</a></li>'
                        for i in items)
        if page == 0:
            links += ('<li><a href="reports/page-pdf.html">洪泽区人民政府2023年政府信息公开工作年度报告</a></li>'
                      '<li><a href="/private/secret.html">内部年度报告</a></li>'
                      '<li><a href="reports/flaky.txt">重试年度报告</a></li>'
                      '<li><a href="reports/busy.txt">繁忙年度报告</a></li>'
                      '<li><a href="reports/slow.txt">缓慢年度报告</a></li>'
                      '<li><a href="reports/moved.txt">迁移年度报告</a></li>'
                      '<li><a href="reports/away.txt">外站年度报告</a></li>'
                      '<li><a href="reports/missing.txt">缺失年度报告</a></li>'
                      '<li><a href="reports/fake.pdf">假PDF年度报告</a></li>'
                      '<li><a href="reports/huge.txt">超大年度报告</a></li>'
                      '<li><a href="/news/1.html">新闻动态</a></li>')
        nav = "".join(f'<a href="index_{p}.html">{p + 1}</a> ' for p in range(1, pages))
        html = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
                f'<title>政府信息公开年报</title></head><body><div class="nav"><a href="/">首页</a></div>'
                f'<ul>{links}</ul><div class="page"><a href="index.html">首页</a> {nav}</div></body></html>')
        return html.encode("gb18030")


def make_handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, ctype: str, extra: dict | None = None, cache: bool = True):
            headers = dict(extra or {})
            if cache and status == 200:
                etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                headers.update({"ETag": etag, "Last-Modified": LAST_MODIFIED})
                if self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
            self._log(status)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        def _log(self, status: int) -> None:
            with site.lock:
                site.hits.append(Hit(self.path, self.headers.get("Host", ""), self._arrived,
                                     bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since")),
                                     status))

        def _first_time(self, key: str) -> bool:
            with site.lock:
                if key in site._once:
                    return False
                site._once.add(key)
                return True

        def do_GET(self) -> None:  # noqa: C901 - a site is a list of pages
            self._arrived = time.monotonic()
            p = self.path.split("?")[0]
            text = "text/plain; charset=utf-8"
            if p == "/robots.txt":
                return self._send(200, b"User-agent: *\nDisallow: /private/\nCrawl-delay: 0.02\n", "text/plain")
            if p in ("/xxgk/index.html", "/xxgk/") or p.startswith("/xxgk/index_"):
                page = 0 if not p.startswith("/xxgk/index_") else int(p.split("_")[1].split(".")[0])
                return self._send(200, site.listing(page), "text/html")
            if p.startswith("/xxgk/reports/r") and p.endswith(".txt"):
                i = int(p[len("/xxgk/reports/r"):-4])
                if i >= site.reports:
                    return self._send(404, ERROR_PAGE, "text/html", cache=False)
                if site.report_delay:
                    time.sleep(site.report_delay)
                return self._send(200, site.report_text(i).encode("utf-8"), text)
            if p == "/xxgk/reports/page-pdf.html":
                body = ('<html><head><meta charset="utf-8"><title>洪泽区人民政府2023年政府信息公开工作年度报告</title></head>'
                        '<body><div class="TRS_Editor"><p>洪泽区人民政府2023年政府信息公开工作年度报告</p>'
                        '<p>附件：<a href="/files/hzq-2023.pdf">洪泽区人民政府2023年政府信息公开工作年度报告.pdf</a></p>'
                        '</div></body></html>').encode("utf-8")
                return self._send(200, body, "text/html; charset=utf-8")
            if p == "/files/hzq-2023.pdf":
                pdfs = sorted((ROOT / "corpus").rglob("real-hzq-2023.pdf"))
                return self._send(200, pdfs[0].read_bytes(), "application/pdf")
            if p == "/xxgk/reports/flaky.txt":
                if self._first_time("flaky"):
                    return self._send(500, b"Internal Server Error", "text/plain", cache=False)
                return self._send(200, site.report_text(901).encode(), text)
            if p == "/xxgk/reports/busy.txt":
                if self._first_time("busy"):
                    return self._send(429, b"Too Many Requests", "text/plain", {"Retry-After": "1"}, cache=False)
                return self._send(200, site.report_text(902).encode(), text)
            if p == "/xxgk/reports/slow.txt":
                time.sleep(site.slow_seconds)
                return self._send(200, site.report_text(903).encode(), text)
            if p == "/xxgk/reports/moved.txt":
                return self._send(301, b"", "text/plain", {"Location": "/xxgk/reports/target.txt"}, cache=False)
            if p == "/xxgk/reports/target.txt":
                return self._send(200, site.report_text(904).encode(), text)
            if p == "/xxgk/reports/away.txt":
                port = self.server.server_address[1]
                return self._send(302, b"", "text/plain",
                                  {"Location": f"http://localhost:{port}/xxgk/reports/r001.txt"}, cache=False)
            if p == "/xxgk/reports/fake.pdf":
                return self._send(200, ERROR_PAGE, "application/pdf")
            if p == "/xxgk/reports/huge.txt":
                return self._send(200, b"0" * 2_000_000, "text/plain")
            return self._send(404, ERROR_PAGE, "text/html", cache=False)

    return Handler


class SiteServer:
    """Run a Site on 127.0.0.1 in a thread: `with SiteServer(Site()) as srv: srv.url(...)`."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(site))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> "SiteServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def config_text(server: SiteServer, tmp: Path, rps: float = 50.0, timeout: float = 0.5, retries: int = 1) -> str:
    return f"""
[dataset]
out = "{tmp / 'output'}"
store = "{tmp / 'raw'}"
state = "{tmp / 'output' / 'state.sqlite'}"

[fetch]
user_agent = "gioar-extract-tests/0.1 (+mailto:tests@example.org)"
requests_per_second = {rps}
timeout = {timeout}
retries = {retries}
backoff = 0.05
max_bytes = 1_000_000
obey_robots = true

[[sources]]
name = "zhangping-jyj"
start = ["{server.url('/xxgk/index.html')}"]
follow = 'index_\\d+\\.html$'
report_text = '年度报告'
max_pages = 50
"""
