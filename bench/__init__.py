"""Benchmarks that print ratios measured side by side; run with `make bench`."""
