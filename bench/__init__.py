"""Cloverleaf's benchmark (``make bench``): gateway overhead against a static mock upstream.

Not a test: it prints a report measured the same way as /work/shared/bench/RESULTS.md.
"""
