"""The nightly job's configuration file (TOML), validated once at the edge into one `Config`.

Every table takes only the keys its dataclass declares: an unknown key (a typo) is an error, and
so is a value of the wrong type or out of range. Every error is one line (`ConfigError`, exit 2).
"""
from __future__ import annotations

import dataclasses
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
    timeout: float = 30.0  # seconds one network read (or connect) may wait
    request_deadline: float = 300.0  # seconds one request may take in all, headers and body
    run_deadline: float = 18_000.0  # seconds the whole crawl may take; then no request is started
    retries: int = 3
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    max_retry_after: float = 120.0  # a longer Retry-After is not waited for
    max_crawl_delay: float = 60.0  # a robots.txt asking for a longer Crawl-delay: the source is skipped
    max_bytes: int = 50_000_000
    parallel_sources: int = 4  # sources crawled at once (each politely, on its own)
    obey_robots: bool = True


# Settings that must be > 0 (the others must be >= 0).
_POSITIVE = {"requests_per_second", "timeout", "request_deadline", "run_deadline", "max_bytes",
             "parallel_sources", "max_pages", "max_reports"}

Origin = tuple[str, str, int]  # scheme, host (lower case), port
_DEFAULT_PORT = {"http": 80, "https": 443}


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL; None for anything else or a malformed port."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORT or not parts.hostname:
        return None
    try:
        port = parts.port or _DEFAULT_PORT[parts.scheme]
    except ValueError:
        return None
    return parts.scheme, parts.hostname.lower(), port


def same_site(url: str, origins: frozenset[Origin]) -> bool:
    """Whether `url` is on one of `origins`: same scheme, host and port. The one exception is the
    upgrade of a default-port http origin to https on the same host (a redirect most sites make)."""
    o = origin_of(url)
    if o is None:
        return False
    return o in origins or (o[0] == "https" and o[2] == 443 and ("http", o[1], 80) in origins)


@dataclass(frozen=True)
class Source:
    name: str
    start: tuple[str, ...]
    follow: re.Pattern | None = None
    report_text: re.Pattern | None = None
    report_url: re.Pattern | None = None
    max_pages: int = 50  # listing pages at most
    max_reports: int = 1000  # report links fetched at most (in the order found)

    @property
    def origins(self) -> frozenset[Origin]:
        return frozenset(o for o in map(origin_of, self.start) if o)


@dataclass(frozen=True)
class DatasetPaths:
    out: str = "output"
    store: str = "corpus/raw"
    state: str = "output/state.sqlite"


@dataclass(frozen=True)
class Config:
    out: Path
    store: Path
    state: Path
    fetch: FetchSettings
    sources: tuple[Source, ...] = field(default_factory=tuple)


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def _checked(cls, raw, where: str, skip: tuple[str, ...] = ()) -> dict:
    """The keys of table `raw` that `cls` declares, type- and range-checked (one-line errors).
    Keys in `skip` are left to the caller."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s): {', '.join(unknown)} "
                          f"(known: {', '.join(fields)})")
    out = {}
    for key, value in raw.items():
        if key in skip:
            continue
        kind = {"int": int, "float": float, "str": str, "bool": bool}[str(fields[key].type)]
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok, value = True, float(value)
        if not ok:
            raise ConfigError(f"{where}: {key} must be {_TYPE_NAMES[kind]}, not {value!r}")
        if kind in (int, float):
            if key in _POSITIVE and not value > 0:
                raise ConfigError(f"{where}: {key} must be greater than 0, not {value!r}")
            if not value >= 0:
                raise ConfigError(f"{where}: {key} must not be negative, not {value!r}")
        out[key] = value
    return out


def _regex(value, where: str) -> re.Pattern | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be a regular expression (a string), not {value!r}")
    try:
        return re.compile(value)
    except re.error as exc:
        raise ConfigError(f"{where}: not a valid regular expression: {exc}") from None


def _source(raw, where: str) -> Source:
    patterns = ("follow", "report_text", "report_url")
    if isinstance(raw, dict) and isinstance(raw.get("name"), str) and raw["name"]:
        where = f"{where} ({raw['name']})"
    values = _checked(Source, raw, where, skip=("start",) + patterns)
    name = values.get("name")
    if not name:
        raise ConfigError(f"{where}: a source needs a name")
    start = raw.get("start")
    if isinstance(start, str):
        start = [start]
    if not start or not isinstance(start, list) or not all(isinstance(u, str) and origin_of(u) for u in start):
        raise ConfigError(f"{where}: start must be a list of http(s) URLs")
    values.update({p: _regex(raw.get(p), f"{where}.{p}") for p in patterns})
    if values["report_text"] is None and values["report_url"] is None:
        raise ConfigError(f"{where}: give report_text or report_url to recognise report links")
    return Source(start=tuple(start), **values)


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no such configuration file: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    unknown = sorted(set(raw) - {"dataset", "fetch", "sources"})
    if unknown:
        raise ConfigError(f"unknown table(s) or key(s): {', '.join(unknown)} (known: dataset, fetch, sources)")
    paths = DatasetPaths(**_checked(DatasetPaths, raw.get("dataset", {}), "[dataset]"))
    fetch = FetchSettings(**_checked(FetchSettings, raw.get("fetch", {}), "[fetch]"))
    listed = raw.get("sources", [])
    if not isinstance(listed, list):
        raise ConfigError("sources must be written as [[sources]] tables")
    sources, names = [], set()
    for i, s in enumerate(listed):
        source = _source(s, f"[[sources]] #{i + 1}")
        if source.name in names:
            raise ConfigError(f"[[sources]] #{i + 1}: duplicate source name {source.name!r}")
        names.add(source.name)
        sources.append(source)
    if not sources:
        raise ConfigError("no [[sources]] in the configuration")
    base = path.resolve().parent
    resolve = lambda p: Path(p) if Path(p).is_absolute() else base / p  # noqa: E731
    return Config(out=resolve(paths.out), store=resolve(paths.store), state=resolve(paths.state),
                  fetch=fetch, sources=tuple(sources))
