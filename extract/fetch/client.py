"""A polite HTTP client: robots.txt (RFC 9309), a per-host rate limit, retries with backoff, a
size cap, a deadline per request and per run, conditional requests, and redirects followed only
within the source's own sites (scheme, host and port). One client serves every crawling thread."""
from __future__ import annotations

import email.utils
import logging
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from . import deadline
from .config import FetchSettings, Origin, origin_of, same_site

log = logging.getLogger(__name__)
MAX_REDIRECTS = 5
ROBOTS_CAP = 512_000  # bytes of a robots.txt read and parsed (RFC 9309 §2.5: 500 KiB); the rest is not read
REDIRECTS = (301, 302, 303, 307, 308)


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


class SourceStopped(FetchError):
    """Nothing more is fetched for this source: the run's deadline, or a Crawl-delay over the cap."""


class _Timeout(Exception):
    """A request that timed out (a read, or its deadline): retried like a connection error."""


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


@dataclass
class Robots:
    """What an origin's robots.txt allows. `rules` None: no rules, everything is allowed unless
    `disallow_all`. `note` says why there are no rules (empty when robots.txt was read)."""

    rules: Protego | None = None
    disallow_all: bool = False
    note: str = ""

    def allows(self, url: str, agent: str) -> bool:
        if self.disallow_all:
            return False
        return self.rules is None or self.rules.can_fetch(url, agent)

    def crawl_delay(self, agent: str) -> float:
        delay = self.rules.crawl_delay(agent) if self.rules is not None else None
        return float(delay or 0)


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


def _origin_key(url: str) -> str:
    scheme, host, port = origin_of(url) or ("", "", 0)
    return f"{scheme}://{host}:{port}"


class PoliteClient:
    def __init__(self, settings: FetchSettings, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport or deadline.DeadlineTransport()
        self.http = httpx.Client(headers={"User-Agent": settings.user_agent}, timeout=settings.timeout,
                                 follow_redirects=False, trust_env=False, transport=self.transport)
        self.run_ends = time.monotonic() + settings.run_deadline
        self.stop = threading.Event()  # set to end the run early (Ctrl-C): no request is started
        self._robots: dict[str, Robots] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()  # guards the dicts above and the counters
        self.counters = Counters()

    def close(self) -> None:
        self.http.close()

    def abort(self) -> None:
        """Stop: no request is started, and those in flight end now (Ctrl-C, SIGTERM)."""
        self.stop.set()
        if isinstance(self.transport, deadline.DeadlineTransport):
            self.transport.abort()

    # -- politeness -----------------------------------------------------------------------
    def robots(self, url: str, origins: frozenset[Origin]) -> Robots:
        """The robots.txt rules of `url`'s origin, fetched once per run (per origin)."""
        key = _origin_key(url)
        with self._lock:
            lock = self._robots_locks.setdefault(key, threading.Lock())
        with lock:  # one fetch per origin; other origins' threads go on meanwhile
            if key not in self._robots:
                robots = self._fetch_robots(url, origins)
                if robots.note:
                    log.info("%s", robots.note)
                with self._lock:
                    self._robots[key] = robots
            return self._robots[key]

    def robots_notes(self, origins: frozenset[Origin]) -> list[str]:
        """What was unusual about the robots.txt of these origins (for the source's line)."""
        keys = {f"{s}://{h}:{p}" for s, h, p in origins}
        with self._lock:  # other threads add origins meanwhile
            known = sorted(self._robots.items())
        return [r.note for k, r in known if k in keys and r.note]

    def _fetch_robots(self, url: str, origins: frozenset[Origin]) -> Robots:
        """RFC 9309 §2.3: a 2xx is parsed (its first 500 KiB); up to five redirects are followed
        (within the source's sites); a 4xx means no rules; a 5xx, or no answer at all, means
        everything is disallowed."""
        parts = urlsplit(url)
        first = current = f"{parts.scheme}://{parts.netloc}/robots.txt"

        def unreachable(why: str) -> Robots:
            return Robots(disallow_all=True, note=f"robots.txt {current}: {why}, so nothing is fetched "
                                                  "(RFC 9309: unreachable disallows all)")
        for _ in range(MAX_REDIRECTS + 1):
            try:
                resp = self._with_retries(current, {})
            except HTTPStatusError as exc:
                return Robots(disallow_all=True, note=f"robots.txt {current}: HTTP {exc.status}, so nothing "
                                                      "is fetched (RFC 9309: a server error disallows all)")
            except SourceStopped:
                raise
            except FetchError as exc:
                return unreachable(exc.message)
            status = resp.status_code
            if status in REDIRECTS and resp.headers.get("location"):
                resp.close()
                target = urljoin(current, resp.headers["location"])
                if not same_site(target, origins):
                    return Robots(disallow_all=True, note=f"robots.txt {current} redirects to another site "
                                                          f"({target}), not followed, so nothing is fetched")
                current = target
                continue
            try:
                if 200 <= status < 300:
                    try:
                        body = self._read_capped(current, resp, ROBOTS_CAP, truncate=True)
                    except FetchError as exc:
                        return unreachable(exc.message)
                    return Robots(Protego.parse(body.decode("utf-8", errors="replace")))
            finally:
                resp.close()
            if 400 <= status < 500:
                return Robots(note=f"robots.txt {current}: HTTP {status}, so everything is allowed (RFC 9309)")
            return Robots(disallow_all=True, note=f"robots.txt {current}: HTTP {status}, so nothing is fetched")
        return Robots(note=f"robots.txt {first}: more than {MAX_REDIRECTS} redirects, so it counts as missing "
                           "and everything is allowed (RFC 9309)")

    def _wait_turn(self, url: str) -> None:
        host = urlsplit(url).netloc
        interval = 1.0 / self.settings.requests_per_second
        robots = self._robots.get(_origin_key(url))
        if robots is not None and self.settings.obey_robots:
            delay = robots.crawl_delay(self.settings.user_agent)
            if delay > self.settings.max_crawl_delay:
                raise SourceStopped(url, f"robots.txt asks for a Crawl-delay of {delay:g}s, over max_crawl_delay "
                                         f"= {self.settings.max_crawl_delay:g}s: source skipped")
            interval = max(interval, delay)
        with self._lock:
            now = time.monotonic()
            slot = max(self._next_slot.get(host, now), now)
            self._next_slot[host] = slot + interval
        self._sleep_until(url, slot)

    def _sleep_until(self, url: str, when: float) -> None:
        if when > self.run_ends:
            raise SourceStopped(url, f"the run deadline ({self.settings.run_deadline:g}s) was reached")
        if self.stop.wait(max(0.0, when - time.monotonic())):
            raise SourceStopped(url, "the run was stopped")

    def _send(self, method: str, url: str, headers: dict[str, str]) -> httpx.Response:
        """One request, once its turn has come; the response's headers read within the request
        deadline, which goes with it (resp.extensions["deadline"]) for reading the body."""
        self._wait_turn(url)
        host = urlsplit(url).netloc
        with self._lock:
            self.counters.requests += 1
            self.counters.by_host[host] = self.counters.by_host.get(host, 0) + 1
        at = self._deadline()
        request = self.http.build_request(method, url, headers=headers)
        try:
            with deadline.within(at):
                resp = self.http.send(request, stream=True)
        except httpx.TimeoutException:
            raise _Timeout(f"no answer within the request deadline of {self.settings.request_deadline:g}s"
                           if time.monotonic() >= at else f"timed out after {self.settings.timeout:g}s") from None
        resp.extensions["deadline"] = at
        return resp

    # -- fetching -------------------------------------------------------------------------
    def get(self, url: str, origins: frozenset[Origin], etag: str = "", last_modified: str = "",
            max_bytes: int | None = None) -> Fetched:
        """GET a URL politely; 304 when the validators say it is unchanged. Raises FetchError.
        `max_bytes` lowers the size cap for this URL (a table image)."""
        if origin_of(url) is None:
            raise FetchError(url, "only http and https URLs are fetched")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if not same_site(current, origins):
                raise OffHostRedirect(url, f"redirected to another site: {current}")
            if self.settings.obey_robots and not self.robots(current, origins).allows(current, self.settings.user_agent):
                raise RobotsDisallowed(current, "disallowed by robots.txt")
            resp = self._with_retries(current, headers)
            if resp.status_code in REDIRECTS and resp.headers.get("location"):
                resp.close()
                current = urljoin(current, resp.headers["location"])
                continue
            return self._read(current, resp, min(max_bytes or self.settings.max_bytes, self.settings.max_bytes))
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    def _deadline(self) -> float:
        return min(time.monotonic() + self.settings.request_deadline, self.run_ends)

    def _with_retries(self, url: str, headers: dict[str, str]) -> httpx.Response:
        """The response (429 and 5xx retried); its body is the caller's to read (`_read_capped`)."""
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                resp = self._send("GET", url, headers)
            except _Timeout as exc:
                if last:
                    raise FetchError(url, f"{exc} ({attempts} attempts)") from None
                self._backoff(url, attempt, None)
                continue
            except httpx.HTTPError as exc:
                if last:
                    raise FetchError(url, f"{type(exc).__name__}: {exc}") from None
                self._backoff(url, attempt, None)
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                wait = _retry_after(resp.headers.get("retry-after"))
                resp.close()
                if last or (wait is not None and wait > self.settings.max_retry_after):
                    raise HTTPStatusError(url, resp.status_code)
                self._backoff(url, attempt, wait)
                continue
            return resp
        raise FetchError(url, "no attempt made")  # pragma: no cover - attempts >= 1

    def _backoff(self, url: str, attempt: int, retry_after: float | None) -> None:
        wait = retry_after if retry_after is not None else self.settings.backoff * (2 ** attempt)
        log.info("retrying %s in %.1fs", url, wait)
        self._sleep_until(url, time.monotonic() + wait)

    def _read_capped(self, url: str, resp: httpx.Response, cap: int, truncate: bool = False) -> bytes:
        """The body, streamed: never more than `cap` bytes held (the rest is refused, or with
        `truncate` not read), and never past the request's deadline."""
        at = resp.extensions.get("deadline", self._deadline())
        chunks, size = [], 0
        try:
            with deadline.within(at):
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > cap:
                        if truncate:
                            chunks.append(chunk[:len(chunk) - (size - cap)])
                            break
                        raise TooLarge(url, f"over the size cap of {cap} bytes")
                    chunks.append(chunk)
        except httpx.TimeoutException:
            if time.monotonic() >= at:
                raise FetchError(url, f"not read within the request deadline of "
                                      f"{self.settings.request_deadline:g}s") from None
            raise FetchError(url, "timed out while reading the body") from None
        except httpx.HTTPError as exc:
            raise FetchError(url, f"{type(exc).__name__} while reading the body: {exc}") from None
        return b"".join(chunks)

    def _read(self, url: str, resp: httpx.Response, cap: int) -> Fetched:
        try:
            if resp.status_code == 304:
                return Fetched(url, 304, etag=resp.headers.get("etag", ""),
                               last_modified=resp.headers.get("last-modified", ""))
            if resp.status_code != 200:
                raise HTTPStatusError(url, resp.status_code)
            length = resp.headers.get("content-length")
            if length and length.isdigit() and int(length) > cap:
                raise TooLarge(url, f"{int(length)} bytes is over the size cap of {cap}")
            return Fetched(url, 200, self._read_capped(url, resp, cap), etag=resp.headers.get("etag", ""),
                           last_modified=resp.headers.get("last-modified", ""),
                           content_type=resp.headers.get("content-type", ""))
        finally:
            resp.close()
