"""Benchmark of the local reference stack (``python -m bench`` / ``make bench``)."""
