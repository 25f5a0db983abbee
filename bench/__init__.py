"""The benchmark: a large clinic, the app under gunicorn as in production, and each figure next to its floor.

Run it with `make bench`; see docs/benchmark.md.
"""
