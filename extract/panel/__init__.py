"""The archive over documents and years, built from the dataset alone (DuckDB over the Parquet parts).

To come: agencies (one id per agency, whatever the spelling), panel (one report per agency and
year), coverage, panel_checks (carry-over, in-force, cumulative) and the quality report."""
