"""A polite HTTP client: robots.txt, a per-host rate limit, retries with backoff, a size cap,
conditional requests, and redirects followed only within the source's own hosts."""
from __future__ import annotations

import email.utils
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from .config import FetchSettings

log = logging.getLogger(__name__)
MAX_REDIRECTS = 5


class FetchError(Exception):
    """A URL could not be fetched. `url` names it; the message says why."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        self.message = message
        super().__init__(f"{url}: {message}")


class RobotsDisallowed(FetchError):
    pass


class OffHostRedirect(FetchError):
    pass


class TooLarge(FetchError):
    pass


class HTTPStatusError(FetchError):
    def __init__(self, url: str, status: int) -> None:
        self.status = status
        super().__init__(url, f"HTTP {status}")


@dataclass
class Fetched:
    url: str  # after redirects
    status: int  # 200, or 304 when unchanged
    content: bytes = b""
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""


@dataclass
class Counters:
    requests: int = 0
    by_host: dict[str, int] = field(default_factory=dict)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class PoliteClient:
    def __init__(self, settings: FetchSettings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.http = httpx.Client(headers={"User-Agent": settings.user_agent}, timeout=settings.timeout,
                                 follow_redirects=False, trust_env=False, transport=transport)
        self._robots: dict[str, Protego | None] = {}
        self._next_slot: dict[str, float] = {}
        self.counters = Counters()

    def close(self) -> None:
        self.http.close()

    # -- politeness -----------------------------------------------------------------------
    def _robots_for(self, url: str) -> Protego | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = None
            try:
                resp = self._send("GET", origin + "/robots.txt", {})
                try:
                    if resp.status_code == 200:
                        body = resp.read()[:500_000]
                        self._robots[origin] = Protego.parse(body.decode("utf-8", errors="replace"))
                finally:
                    resp.close()
            except (httpx.HTTPError, FetchError) as exc:
                log.info("no robots.txt for %s (%s): allowed", origin, exc)
        return self._robots[origin]

    def _wait_turn(self, url: str) -> None:
        host = urlsplit(url).netloc
        interval = 1.0 / self.settings.requests_per_second
        robots = self._robots.get(f"{urlsplit(url).scheme}://{host}")
        if robots is not None and self.settings.obey_robots:
            delay = robots.crawl_delay(self.settings.user_agent)
            if delay:
                interval = max(interval, float(delay))
        now = time.monotonic()
        slot = self._next_slot.get(host, now)
        if slot > now:
            time.sleep(slot - now)
        self._next_slot[host] = max(slot, now) + interval

    def _send(self, method: str, url: str, headers: dict[str, str]) -> httpx.Response:
        self._wait_turn(url)
        self.counters.requests += 1
        host = urlsplit(url).netloc
        self.counters.by_host[host] = self.counters.by_host.get(host, 0) + 1
        request = self.http.build_request(method, url, headers=headers)
        return self.http.send(request, stream=True)

    # -- fetching -------------------------------------------------------------------------
    def get(self, url: str, hosts: frozenset[str], etag: str = "", last_modified: str = "") -> Fetched:
        """GET a URL politely; 304 when the validators say it is unchanged. Raises FetchError."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise FetchError(url, "only http and https URLs are fetched")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if (urlsplit(current).hostname or "").lower() not in hosts:
                raise OffHostRedirect(url, f"redirected to another host: {current}")
            if self.settings.obey_robots:
                robots = self._robots_for(current)
                if robots is not None and not robots.can_fetch(current, self.settings.user_agent):
                    raise RobotsDisallowed(current, "disallowed by robots.txt")
            resp = self._with_retries(current, headers)
            if resp.status_code in (301, 302, 303, 307, 308) and resp.headers.get("location"):
                resp.close()
                current = urljoin(current, resp.headers["location"])
                continue
            return self._read(current, resp)
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _with_retries(self, url: str, headers: dict[str, str]) -> httpx.Response:
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                resp = self._send("GET", url, headers)
            except httpx.TimeoutException:
                if last:
                    raise FetchError(url, f"timed out after {self.settings.timeout:g}s "
                                          f"({attempts} attempts)") from None
                self._backoff(attempt, None)
                continue
            except httpx.HTTPError as exc:
                if last:
                    raise FetchError(url, f"{type(exc).__name__}: {exc}") from None
                self._backoff(attempt, None)
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                wait = _retry_after(resp.headers.get("retry-after"))
                resp.close()
                if last or (wait is not None and wait > self.settings.max_retry_after):
                    raise HTTPStatusError(url, resp.status_code)
                self._backoff(attempt, wait)
                continue
            return resp
        raise FetchError(url, "no attempt made")  # pragma: no cover - attempts >= 1

    def _backoff(self, attempt: int, retry_after: float | None) -> None:
        wait = retry_after if retry_after is not None else self.settings.backoff * (2 ** attempt)
        log.info("retrying in %.1fs", wait)
        time.sleep(wait)

    def _read(self, url: str, resp: httpx.Response) -> Fetched:
        try:
            if resp.status_code == 304:
                return Fetched(url, 304, etag=resp.headers.get("etag", ""),
                               last_modified=resp.headers.get("last-modified", ""))
            if resp.status_code != 200:
                raise HTTPStatusError(url, resp.status_code)
            cap = self.settings.max_bytes
            length = resp.headers.get("content-length")
            if length and length.isdigit() and int(length) > cap:
                raise TooLarge(url, f"{int(length)} bytes is over the size cap of {cap}")
            chunks, size = [], 0
            try:
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise TooLarge(url, f"over the size cap of {cap} bytes")
                    chunks.append(chunk)
            except httpx.TimeoutException:
                raise FetchError(url, "timed out while reading the body") from None
            return Fetched(url, 200, b"".join(chunks), etag=resp.headers.get("etag", ""),
                           last_modified=resp.headers.get("last-modified", ""),
                           content_type=resp.headers.get("content-type", ""))
        finally:
            resp.close()
