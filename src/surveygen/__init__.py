"""Synthetic survey exports for the example data, the benchmark and the tests (not used by the pipeline)."""
