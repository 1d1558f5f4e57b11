"""Benchmarks against DESIGN.md's performance targets; run with `python -m bench`."""
