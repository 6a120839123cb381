"""Many documents: walking the inputs, the local worker pool, the Dask engine, the run summary.

`runner.run(paths, RunSettings(...))` is the door; `jobs` is what a worker runs for one document."""
