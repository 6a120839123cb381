"""The nightly job's configuration file (TOML), validated once at the edge."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid (exit status 2)."""


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = "gioar-extract/0.1 (+https://example.org/gioar-extract; data@example.org)"
    requests_per_second: float = 1.0  # per host
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    max_retry_after: float = 120.0  # a longer Retry-After is not waited for
    max_bytes: int = 50_000_000
    obey_robots: bool = True


@dataclass(frozen=True)
class Source:
    name: str
    start: tuple[str, ...]
    follow: re.Pattern | None = None
    report_text: re.Pattern | None = None
    report_url: re.Pattern | None = None
    max_pages: int = 50

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset((urlsplit(u).hostname or "").lower() for u in self.start)


@dataclass(frozen=True)
class Config:
    out: Path
    store: Path
    state: Path
    fetch: FetchSettings
    sources: tuple[Source, ...] = field(default_factory=tuple)


def _regex(value, where: str) -> re.Pattern | None:
    if value in (None, ""):
        return None
    try:
        return re.compile(value)
    except (re.error, TypeError) as exc:
        raise ConfigError(f"{where}: not a valid regular expression: {exc}") from None


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no such configuration file: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    base = path.resolve().parent
    ds = raw.get("dataset", {})
    resolve = lambda p, default: (base / p) if not Path(p).is_absolute() else Path(p)  # noqa: E731
    fetch_raw = raw.get("fetch", {})
    known = set(FetchSettings.__dataclass_fields__)
    unknown = set(fetch_raw) - known
    if unknown:
        raise ConfigError(f"[fetch]: unknown setting(s): {', '.join(sorted(unknown))}")
    try:
        fetch = FetchSettings(**fetch_raw)
    except TypeError as exc:
        raise ConfigError(f"[fetch]: {exc}") from None
    if fetch.requests_per_second <= 0 or fetch.timeout <= 0 or fetch.retries < 0 or fetch.max_bytes <= 0:
        raise ConfigError("[fetch]: requests_per_second, timeout and max_bytes must be > 0, retries >= 0")
    sources = []
    names = set()
    for i, s in enumerate(raw.get("sources", [])):
        where = f"[[sources]] #{i + 1}"
        name = s.get("name")
        if not name or not isinstance(name, str):
            raise ConfigError(f"{where}: a source needs a name")
        if name in names:
            raise ConfigError(f"{where}: duplicate source name {name!r}")
        names.add(name)
        start = s.get("start")
        if isinstance(start, str):
            start = [start]
        if not start or not all(isinstance(u, str) and urlsplit(u).scheme in ("http", "https")
                                and urlsplit(u).hostname for u in start):
            raise ConfigError(f"{where} ({name}): start must be a list of http(s) URLs")
        report_text = _regex(s.get("report_text"), f"{where}.report_text")
        report_url = _regex(s.get("report_url"), f"{where}.report_url")
        if report_text is None and report_url is None:
            raise ConfigError(f"{where} ({name}): give report_text or report_url to recognise report links")
        sources.append(Source(name=name, start=tuple(start), follow=_regex(s.get("follow"), f"{where}.follow"),
                              report_text=report_text, report_url=report_url,
                              max_pages=int(s.get("max_pages", 50))))
    if not sources:
        raise ConfigError("no [[sources]] in the configuration")
    return Config(out=resolve(ds.get("out", "output"), "output"),
                  store=resolve(ds.get("store", "corpus/raw"), "corpus/raw"),
                  state=resolve(ds.get("state", "output/state.sqlite"), "output/state.sqlite"),
                  fetch=fetch, sources=tuple(sources))
