"""What was fetched when (SQLite), and the fetched bytes (a store addressed by SHA-256).

A document counts as fetched only once its bytes are in the store: the bytes are written and
renamed into place first, then the state row is committed in one transaction. Killing the
process between the two leaves an unreferenced file, which the next run simply re-uses.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,              -- listing | report | page (a page whose report is an attachment) | image
    sha256 TEXT,                     -- current bytes
    etag TEXT DEFAULT '',
    last_modified TEXT DEFAULT '',
    status TEXT NOT NULL,            -- ok | failed
    error TEXT DEFAULT '',
    fetched_at REAL,
    checked_at REAL
);
CREATE TABLE IF NOT EXISTS documents (
    sha256 TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    source TEXT NOT NULL,
    supersedes TEXT DEFAULT '',      -- the sha256 this URL had before, when it changed
    first_seen REAL NOT NULL,
    parsed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS page_images (  -- images a report page shows where a table should be
    page TEXT NOT NULL,              -- the page's URL (urls.url, kind report)
    image TEXT NOT NULL,             -- the image's absolute URL (urls.url, kind image, once fetched)
    PRIMARY KEY (page, image)
);
"""
# Columns added since the first release: added to an older state database when it is opened.
ADDED = {"documents": {"final_url": "TEXT DEFAULT ''",  # where the URL redirected to, when it did
                       "same_as": "TEXT DEFAULT ''"}}   # report_id in the dataset it only repeats


class Store:
    """Bytes kept under their SHA-256: store/ab/abcdef…; names never come from URLs."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # one name per thread: two sources may store the same attachment at once
            tmp = target.with_name(f".{sha}.tmp-{os.getpid()}-{threading.get_ident()}")
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        return sha

    def get(self, sha: str) -> bytes:
        return self.path(sha).read_bytes()


@dataclass
class UrlState:
    url: str
    kind: str
    sha256: str | None
    etag: str
    last_modified: str
    status: str


class State:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        for table, columns in ADDED.items():
            have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            for name, decl in columns.items():
                if name not in have:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def url(self, url: str) -> UrlState | None:
        row = self.db.execute("SELECT url, kind, sha256, etag, last_modified, status FROM urls WHERE url = ?",
                              (url,)).fetchone()
        return UrlState(*row) if row else None

    def record(self, url: str, source: str, kind: str, sha: str | None, etag: str = "",
               last_modified: str = "", document: bool = False, final_url: str = "") -> str:
        """Record a successful fetch; returns new | changed | unchanged. One transaction."""
        now = time.time()
        with self.db:
            old = self.url(url)
            self.db.execute(
                "INSERT INTO urls (url, source, kind, sha256, etag, last_modified, status, error, fetched_at, checked_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'ok', '', ?, ?) ON CONFLICT(url) DO UPDATE SET kind=excluded.kind,"
                " sha256=excluded.sha256, etag=excluded.etag, last_modified=excluded.last_modified, status='ok',"
                " error='', fetched_at=excluded.fetched_at, checked_at=excluded.checked_at",
                (url, source, kind, sha, etag, last_modified, now, now))
            if old is None or old.sha256 is None:
                outcome = "new"
            elif old.sha256 == sha:
                outcome = "unchanged"
            else:
                outcome = "changed"
            if document and sha:
                supersedes = old.sha256 if outcome == "changed" else ""
                self.db.execute("INSERT OR IGNORE INTO documents (sha256, url, source, supersedes, first_seen,"
                                " final_url) VALUES (?, ?, ?, ?, ?, ?)",
                                (sha, url, source, supersedes or "", now, final_url if final_url != url else ""))
        return outcome

    def touch(self, url: str) -> None:
        with self.db:
            self.db.execute("UPDATE urls SET checked_at = ?, status = 'ok', error = '' WHERE url = ?",
                            (time.time(), url))

    def fail(self, url: str, source: str, kind: str, error: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO urls (url, source, kind, status, error, checked_at) VALUES (?, ?, ?, 'failed', ?, ?)"
                " ON CONFLICT(url) DO UPDATE SET status='failed', error=excluded.error, checked_at=excluded.checked_at",
                (url, source, kind, error, time.time()))

    def link_images(self, page: str, images: list[str]) -> None:
        """The table images `page` shows now (those it showed before and no longer does are dropped)."""
        with self.db:
            self.db.execute("DELETE FROM page_images WHERE page = ?", (page,))
            self.db.executemany("INSERT OR IGNORE INTO page_images (page, image) VALUES (?, ?)",
                                [(page, image) for image in images])

    def stored_images(self, page: str) -> list[tuple[str, str]]:
        """(image URL, sha256) of the table images of `page` whose bytes the store holds."""
        return list(self.db.execute(
            "SELECT p.image, u.sha256 FROM page_images p JOIN urls u ON u.url = p.image"
            " WHERE p.page = ? AND u.kind = 'image' AND u.status = 'ok' AND u.sha256 IS NOT NULL ORDER BY p.rowid",
            (page,)))

    def unparsed(self) -> list[tuple[str, str, str, str]]:
        """(sha256, url, supersedes, final_url) of stored documents not yet in the dataset. A
        document superseding one that only repeated its predecessor supersedes that predecessor."""
        return self._documents("parsed = 0")

    def in_dataset(self) -> list[tuple[str, str, str, str]]:
        """(sha256, url, supersedes, final_url) of the documents the dataset holds (for a re-parse)."""
        return self._documents("parsed = 1 AND same_as = ''")

    def _documents(self, where: str) -> list[tuple[str, str, str, str]]:
        same = dict(self.db.execute("SELECT sha256, same_as FROM documents WHERE same_as != ''"))
        rows = []
        for sha, url, supersedes, final_url in self.db.execute(
                f"SELECT sha256, url, supersedes, final_url FROM documents WHERE {where} ORDER BY first_seen"):
            while supersedes in same:
                supersedes = same[supersedes]
            rows.append((sha, url, supersedes, final_url))
        return rows

    def mark_same(self, pairs: list[tuple[str, str]]) -> None:
        """(sha256, report_id) pairs: documents whose parsed content repeats the report_id's, so
        they are not a new version of it (a page's visit counter changed, nothing else)."""
        with self.db:
            self.db.executemany("UPDATE documents SET same_as = ? WHERE sha256 = ?", [(r, s) for s, r in pairs])

    def mark_unparsed(self, shas) -> None:
        """Parse these again (documents whose failure was the environment's or a limit's)."""
        with self.db:
            self.db.executemany("UPDATE documents SET parsed = 0 WHERE sha256 = ?", [(s,) for s in shas])

    def mark_parsed(self, shas: list[str]) -> None:
        with self.db:
            self.db.executemany("UPDATE documents SET parsed = 1 WHERE sha256 = ?", [(s,) for s in shas])
