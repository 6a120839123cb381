"""The archive over documents and years, rebuilt from the dataset alone (DuckDB over the Parquet
parts): agencies (one id per agency, whatever the spelling), panel (one report per agency and
year), coverage (reported / missing / failed) and panel_checks (carry-over, in-force, cumulative,
outliers). Reads only what is on disk; never imports batch/ or fetch/."""
from .build import ArchiveSummary, build_archive, detect_format
from .rules import AgenciesFileError
from .source import ArchiveError

__all__ = ["ArchiveSummary", "build_archive", "detect_format", "AgenciesFileError", "ArchiveError"]
