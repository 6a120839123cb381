"""Fetchers for the nightly job: find new or changed reports on agency sites, politely.

URLs → bytes in the store (by SHA-256) and state (SQLite); `extract run` then parses what is new."""
from .client import (FetchError, HTTPStatusError, OffHostRedirect, PoliteClient, RobotsDisallowed, SourceStopped,
                     TooLarge)
from .config import Config, ConfigError, FetchSettings, Source, load_config
from .nightly import FetchSummary, fetch_all, parse_new, write_run_record

__all__ = ["load_config", "fetch_all", "parse_new", "write_run_record", "Config", "ConfigError",
           "FetchSettings", "Source", "FetchSummary", "PoliteClient", "FetchError", "HTTPStatusError",
           "OffHostRedirect", "RobotsDisallowed", "SourceStopped", "TooLarge"]
