"""Hostile web servers on 127.0.0.1 for the fetcher tests: each path answers as a test says
(an endless robots.txt, a body dripping a byte a second, a redirect chain, a 503...).

    with HostileServer({"/robots.txt": endless(b"Disallow: /x\\n")}) as srv: srv.url("/robots.txt")

A route is a function of the request handler; `text()` and the others below build the usual
ones. Every request is logged in `srv.hits` (path, time of arrival) and the bytes each route
sent in `srv.sent`.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from govsite import SiteServer

Route = Callable[[BaseHTTPRequestHandler], None]


def _head(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
    h.send_response(status)
    for k, v in headers.items():
        h.send_header(k, v)
    h.end_headers()


def text(body: str | bytes, status: int = 200, ctype: str = "text/plain; charset=utf-8",
         headers: dict[str, str] | None = None) -> Route:
    data = body.encode("utf-8") if isinstance(body, str) else body

    def route(h):
        _head(h, status, {"Content-Type": ctype, "Content-Length": str(len(data)), **(headers or {})})
        h.wfile.write(data)
        h.server.count(h.path, len(data))
    return route


def html(body: str) -> Route:
    return text(f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>",
                ctype="text/html; charset=utf-8")


def changing(make: Callable[[int], str]) -> Route:
    """A text page whose body is make(n) on the n-th request (0, 1, 2…): a visit counter."""
    seen = Counter()

    def route(h):
        n = seen[h.path]
        seen[h.path] += 1
        text(make(n))(h)
    return route


def redirect(location: str, status: int = 302) -> Route:
    def route(h):
        _head(h, status, {"Location": location, "Content-Length": "0"})
    return route


def endless(line: bytes, first: bytes = b"") -> Route:
    """A body with no end (no Content-Length, the connection closes when the client goes)."""
    def route(h):
        _head(h, 200, {"Content-Type": "text/plain", "Connection": "close"})
        h.close_connection = True
        chunk = line * (65536 // len(line) + 1)
        try:
            h.wfile.write(first)
            while True:
                h.wfile.write(chunk)
                h.server.count(h.path, len(chunk))
        except OSError:
            pass
    return route


def drip(body: bytes, every: float, headers_first: bool = True) -> Route:
    """The body (or, with headers_first=False, the whole response) a byte every `every` seconds."""
    def route(h):
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        h.close_connection = True
        try:
            if headers_first:
                h.wfile.write(head)
                h.wfile.flush()
                slow = body
            else:
                slow = head + body
            for i in range(len(slow)):
                h.wfile.write(slow[i:i + 1])
                h.wfile.flush()
                h.server.count(h.path, 1)
                time.sleep(every)
        except OSError:
            pass
    return route


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, Route]) -> None:
        super().__init__(("127.0.0.1", 0), _handler(routes))
        self.hits: list[tuple[str, float]] = []
        self.sent: Counter = Counter()
        self.lock = threading.Lock()

    def count(self, path: str, n: int) -> None:
        with self.lock:
            self.sent[path] += n


def _handler(routes: dict[str, Route]):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            with self.server.lock:
                self.server.hits.append((self.path, time.monotonic()))
            route = routes.get(self.path.split("?")[0])
            try:
                (route or text("not here", status=404))(self)
            except (BrokenPipeError, ConnectionResetError):
                pass
    return Handler


class HostileServer(SiteServer):
    """Like govsite.SiteServer (url(), port, a with-block), serving `routes`."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.httpd = _Server(routes)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def hits(self) -> list[tuple[str, float]]:
        return self.httpd.hits

    @property
    def sent(self) -> Counter:
        return self.httpd.sent

    def paths(self) -> list[str]:
        return [p for p, _ in self.hits]


def nightly_config(tmp, sources: list[dict], **fetch) -> str:
    """A configuration file's text: the dataset under `tmp`, fast [fetch] settings (override
    with keyword arguments), and the sources given as dicts of their keys."""
    settings = {"user_agent": "gioar-extract-tests/0.1", "requests_per_second": 100.0, "timeout": 1.0,
                "retries": 0, "backoff": 0.05, "max_bytes": 1_000_000} | fetch

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return "'" + v + "'"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)
    lines = ["[dataset]", f"out = '{tmp / 'output'}'", f"store = '{tmp / 'raw'}'",
             f"state = '{tmp / 'output' / 'state.sqlite'}'", "", "[fetch]"]
    lines += [f"{k} = {value(v)}" for k, v in settings.items()]
    for s in sources:
        lines += ["", "[[sources]]"] + [f"{k} = {value(v)}" for k, v in s.items()]
    return "\n".join(lines) + "\n"
