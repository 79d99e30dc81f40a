"""Benchmarks (not tests): `python -m bench.cpu`."""
