"""Benchmarks, each run as `./scripts/bench NAME [--quick]` (see bench/_common.py)."""
