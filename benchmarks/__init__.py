"""Benchmarks: figures that matter, each printed by one command."""
