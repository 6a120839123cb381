"""One document's records: sections, the standard tables as canonical cells, checks, metadata.

Knows one report and nothing of formats, files, engines or other reports: `parse_bytes` is the door."""
from .pipeline import Report, parse_bytes, parse_file, records_to_frames, report_id_of, warm_up
from .schema import Schema, load_schema
from .sections import FoundSection, find_sections
from .templates import MatchedCell

__all__ = ["Report", "parse_bytes", "parse_file", "records_to_frames", "report_id_of", "warm_up",
           "Schema", "load_schema", "FoundSection", "find_sections", "MatchedCell"]
