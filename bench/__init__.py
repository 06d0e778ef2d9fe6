"""Benchmarks: scripts, not tests. Each prints a table; docs/benchmarks.md records the figures and the machine."""
