"""Benchmarks: `make bench` runs them against real services and rewrites BENCHMARKS.md."""
