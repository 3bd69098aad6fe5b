"""Tests of the benchmark harness (bench/harness, bench/lua, bench/run)."""
