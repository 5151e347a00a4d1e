"""Benchmarks for srm_otel: ``make bench`` (``python -m bench``) runs them all.

Every server a benchmark talks to runs on 127.0.0.1 in a child process, so
its work does not share the measured process's interpreter lock. Results go
to ``build/bench/`` as JSON and as the Markdown tables of docs/performance.md.
"""
