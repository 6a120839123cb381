"""The tables on disk: Parquet parts (+ CSV) and datapackage.json, written one run at a time.

The columns and their meanings are the contract (`extract.contract`); this wing writes and reads them."""
from .writer import (RETRY_ALL, RETRY_ON_RESUME, DatasetError, DatasetWriter, Outcome, PartWriter,
                     existing_ids, outcome_of, remove_parts, retryable_ids, settled_ids, writable_chunk, write_dataset)

__all__ = ["DatasetError", "DatasetWriter", "Outcome", "PartWriter", "existing_ids", "outcome_of",
           "remove_parts", "retryable_ids", "settled_ids", "writable_chunk", "write_dataset", "RETRY_ALL", "RETRY_ON_RESUME"]
