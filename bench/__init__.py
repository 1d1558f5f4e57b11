"""Benchmarks against docs/architecture.md's performance targets; run with `python -m bench`."""
