"""Crawl one source: its listing pages (pagination), the report links on them, a report page's
attachment when the report is published as one, and the images a report page shows where a
table should be (read by OCR when the page is parsed)."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup

from parsers import ParseError, sniff_format
from parsers.html import decode_html, table_images
from parsers.ocr import MAX_IMAGE_BYTES

from .client import FetchError, PoliteClient, RobotsDisallowed, SourceStopped
from .config import Origin, Source, same_site
from .state import State, Store, UrlState

log = logging.getLogger(__name__)

ATTACHMENT = re.compile(r"\.(pdf|docx?|wps)$", re.I)
# Words only a report's own tables print: a page without them that links a PDF/DOC is a cover page.
_TABLE_WORDS = ("第二十条", "申请人情况", "本列数据", "行政复议")
MAX_TABLE_IMAGES = 12  # table images fetched per report page at most
# What an image file starts with (PNG, JPEG, GIF, BMP, WebP, TIFF): an error page served as an
# image is not stored as one.
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")


@dataclass
class SourceResult:
    name: str
    listing_pages: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0  # report links robots.txt disallows: never requested
    stopped: str = ""  # why the source was not crawled to the end (Crawl-delay over the cap, run deadline)
    notes: list[str] = field(default_factory=list)  # robots.txt answers worth knowing, links over max_reports
    errors: list[dict] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)  # sha256 of every report document seen
    # Images report pages show where a table should be (for OCR at parse time): fetched (stored,
    # or answered 304) and not fetched. A failed image is a warning: its report is parsed without it.
    images: int = 0
    image_errors: list[dict] = field(default_factory=list)
    images_elsewhere: int = 0  # on another site than the source's: never fetched

    @property
    def site_errors(self) -> int:
        """URLs the site did not serve as it should, and a crawl that could not finish."""
        return self.failed + bool(self.stopped)

    def line(self) -> str:
        return (f"{self.name}: {self.listing_pages} listing pages; {self.new} new, {self.changed} changed, "
                f"{self.unchanged} unchanged, {self.failed} failed, {self.skipped} skipped by robots.txt"
                + (f"; {self.images} table images fetched" if self.images else "")
                + (f"; {len(self.image_errors)} table images not fetched" if self.image_errors else "")
                + (f"; {self.images_elsewhere} table images on other sites not fetched"
                   if self.images_elsewhere else "")
                + "".join(f"; {n}" for n in self.notes) + (f"; stopped: {self.stopped}" if self.stopped else ""))


def _soup(data: bytes) -> BeautifulSoup | None:
    """The page parsed once, decoded the way the HTML reader decodes (parsers.html.decode_html)."""
    try:
        return BeautifulSoup(decode_html(data)[0], "lxml")
    except ParseError:
        return None


def links(soup: BeautifulSoup | None, base: str) -> list[tuple[str, str]]:
    """(absolute URL without fragment, link text and title) for every <a href> of a page."""
    out = []
    for a in soup.find_all("a", href=True) if soup is not None else []:
        href = a["href"].strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        url = urldefrag(urljoin(base, href))[0]
        if urlsplit(url).scheme in ("http", "https"):
            out.append((url, " ".join(a.get_text(" ", strip=True).split()) + " " + a.get("title", "")))
    return out


def attachments(data: bytes, base: str, origins: frozenset[Origin]) -> list[str]:
    """The PDF/DOC/DOCX/WPS files a cover page links, or [] when the page holds the report."""
    if sniff_format(data, base) != "html":
        return []
    soup = _soup(data)
    if soup is None or any(w in soup.get_text() for w in _TABLE_WORDS):
        return []
    found = [u for u, _ in links(soup, base)
             if ATTACHMENT.search(urlsplit(u).path) and same_site(u, origins)]
    return list(dict.fromkeys(found))


@dataclass
class Got:
    """A URL as the crawl needs it after a (conditional) fetch."""

    url: str  # after redirects
    data: bytes
    sha: str
    outcome: str  # new | changed | unchanged
    kind: str  # listing | report | page
    attachments: list[str] = field(default_factory=list)


class Crawler:
    def __init__(self, client: PoliteClient, state: State, store: Store) -> None:
        self.client, self.state, self.store = client, state, store

    def _get(self, url: str, source: Source, kind: str) -> Got:
        """Fetch conditionally. A report URL whose page only links a PDF/DOC is recorded as kind
        "page", not as a document: its attachment is the report."""
        old = self.state.url(url)
        valid = old is not None and old.status == "ok" and old.sha256
        fetched = self.client.get(url, source.origins, etag=old.etag if valid else "",
                                  last_modified=old.last_modified if valid else "")
        if fetched.status == 304 and valid:
            self.state.touch(url)
            data = self.store.get(old.sha256)
            found = attachments(data, fetched.url, source.origins) if old.kind == "page" else []
            return Got(fetched.url, data, old.sha256, "unchanged", old.kind, found)
        found = []
        if kind == "report":
            self._check_content(url, fetched.content, fetched.content_type)
            found = attachments(fetched.content, fetched.url, source.origins)
            if found:
                kind = "page"
        sha = self.store.put(fetched.content)
        outcome = self.state.record(url, source.name, kind, sha, fetched.etag, fetched.last_modified,
                                    document=kind == "report", final_url=fetched.url)
        return Got(fetched.url, fetched.content, sha, outcome, kind, found)

    def crawl(self, source: Source) -> SourceResult:
        """Crawl one source: its listing pages, then its report links (at most max_reports)."""
        result = SourceResult(source.name)
        try:
            self._crawl(source, result)
        except SourceStopped as exc:
            result.stopped = exc.message
        result.notes[:0] = self.client.robots_notes(source.origins)
        return result

    def _crawl(self, source: Source, result: SourceResult) -> None:
        queue = list(source.start)
        seen_pages: set[str] = set()
        reports: dict[str, str] = {}
        while queue and len(seen_pages) < source.max_pages:
            url = queue.pop(0)
            if url in seen_pages:
                continue
            seen_pages.add(url)
            try:
                got = self._get(url, source, "listing")
            except SourceStopped:
                raise
            except FetchError as exc:
                self.state.fail(url, source.name, "listing", exc.message)
                result.errors.append({"url": url, "kind": "listing", "error": exc.message})
                continue
            result.listing_pages += 1
            for link, text in links(_soup(got.data), got.url):
                if not same_site(link, source.origins):
                    continue
                if source.follow and source.follow.search(link):
                    if link not in seen_pages:
                        queue.append(link)
                elif (source.report_text and source.report_text.search(text)) or \
                        (source.report_url and source.report_url.search(link)):
                    reports.setdefault(link, text)
        if not result.listing_pages:
            result.failed += 1
        if len(reports) > source.max_reports:
            result.notes.append(f"{len(reports) - source.max_reports} report links over max_reports = "
                                f"{source.max_reports} not fetched")
        for url in list(reports)[:source.max_reports]:
            self._report(url, source, result)

    def _report(self, url: str, source: Source, result: SourceResult, depth: int = 0) -> None:
        try:
            got = self._get(url, source, "report")
        except RobotsDisallowed as exc:
            self.state.fail(url, source.name, "report", exc.message)
            result.skipped += 1
            return
        except SourceStopped:
            raise
        except FetchError as exc:
            self.state.fail(url, source.name, "report", exc.message)
            result.failed += 1
            result.errors.append({"url": url, "kind": "report", "error": exc.message})
            return
        if got.kind == "page" and depth == 0:
            for att in got.attachments:
                self._report(att, source, result, depth + 1)
            return
        result.documents.append(got.sha)
        setattr(result, got.outcome, getattr(result, got.outcome) + 1)
        if sniff_format(got.data, got.url) == "html":
            self._table_images(url, got, source, result)

    def _table_images(self, page: str, got: Got, source: Source, result: SourceResult) -> None:
        """Fetch the images a report page shows where a table should be (parsers.html.table_images),
        on the source's own sites, at most MAX_TABLE_IMAGES, each as any other URL (robots.txt,
        the rate limit, conditionally); link them to the page so that its parse finds them. Of
        an unchanged page only the images not stored yet are asked for (one that failed last
        time, or a page fetched before images were): when one comes, the page is parsed again."""
        try:
            srcs = table_images(got.data, got.url)
        except Exception:  # noqa: BLE001 - a reader's bug costs the images, not the source's crawl
            log.exception("looking for table images on %s failed", got.url)
            srcs = []
        found = [urldefrag(urljoin(got.url, src))[0] for src in srcs]
        found = list(dict.fromkeys(u for u in found if urlsplit(u).scheme in ("http", "https")))
        mine = [u for u in found if same_site(u, source.origins)]
        result.images_elsewhere += len(found) - len(mine)
        urls = mine[:MAX_TABLE_IMAGES]
        self.state.link_images(page, urls)
        arrived = False
        for url in urls:
            old = self.state.url(url)
            if got.outcome == "unchanged" and old is not None and old.status == "ok" and old.sha256:
                continue
            try:
                self._image(url, old, source)
            except SourceStopped:
                raise
            except FetchError as exc:
                self.state.fail(url, source.name, "image", exc.message)
                log.warning("table image %s of %s not fetched: %s", url, page, exc.message)
                result.image_errors.append({"url": url, "page": page, "error": exc.message})
                continue
            result.images += 1
            arrived = True
        if arrived and got.outcome == "unchanged":
            self.state.mark_unparsed([got.sha])

    def _image(self, url: str, old: UrlState | None, source: Source) -> None:
        """Fetch one table image (conditionally) into the store. Raises FetchError."""
        valid = old is not None and old.status == "ok" and old.sha256
        fetched = self.client.get(url, source.origins, etag=old.etag if valid else "",
                                  last_modified=old.last_modified if valid else "", max_bytes=MAX_IMAGE_BYTES)
        if fetched.status == 304 and valid:
            self.state.touch(url)
            return
        if not fetched.content.startswith(_IMAGE_MAGIC):
            raise FetchError(url, f"served as a table image but the content is {sniff_format(fetched.content, url)}"
                                  " (an error page?)")
        sha = self.store.put(fetched.content)
        self.state.record(url, source.name, "image", sha, fetched.etag, fetched.last_modified)

    def _check_content(self, url: str, data: bytes, content_type: str) -> None:
        """What the server says a file is must be what its bytes are."""
        fmt = sniff_format(data, url)
        claimed = ""
        ct = content_type.lower()
        if "pdf" in ct or urlsplit(url).path.lower().endswith(".pdf"):
            claimed = "pdf"
        elif "msword" in ct or "wordprocessingml" in ct or re.search(r"\.(docx?|wps)$", urlsplit(url).path, re.I):
            claimed = "word"
        if claimed == "pdf" and fmt != "pdf":
            raise FetchError(url, f"served as a PDF but the content is {fmt} (an error page?)")
        if claimed == "word" and fmt not in ("doc", "docx"):
            raise FetchError(url, f"served as a Word file but the content is {fmt} (an error page?)")
