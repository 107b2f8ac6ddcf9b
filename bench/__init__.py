"""Benchmarks: tips per second end to end, officer queries at a million tips, the report pack.

`make bench` (or `python -m bench`) runs every part and prints a table; `tests/test_bench_smoke.py`
runs the same code at a tiny size so it never rots. See BENCHMARKS.md for the numbers.
"""
