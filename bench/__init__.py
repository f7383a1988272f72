"""Benchmarks: ``python -m bench`` prints ``key=value`` lines.

Every module ``bench/bench_*.py`` defines ``run(selected) -> dict[str, object]``; the
runner calls them in name order, each in a fresh subprocess so that cold-start timings
and peak memory are honest (no cache or allocation carried over from another section).
"""
