"""Benchmarks: engine timings (engines.py) and the scaled-input generator (scale.py)."""
