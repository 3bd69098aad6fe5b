"""The report line the Lua scripts print is parsed exactly, and its absence is an error."""

from __future__ import annotations

import pytest

from bench.harness.wrk_report import ReportMissing, parse_report

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.21ms    1.02ms  20.01ms   90.00%
  50000 requests in 10.00s, 12.00MB read
Requests/sec:   5000.00
@@bench-report {"bytes":12582912,"counters":{"body_ok":49990},"duration_us":10000000,"errors":{"connect":0,"read":2,"status":10,"timeout":0,"write":0},"latency_us":{"max":20010,"mean":6210.5,"min":900,"p50":6100,"p90":7000,"p99":9800},"requests":50000,"statuses":{"200":49990,"500":10},"threads":1}
"""


def test_parses_counts_rates_and_latencies():
    report = parse_report(WRK_OUTPUT)
    assert report.requests == 50000
    assert report.statuses == {200: 49990, 500: 10}
    assert report.counters == {"body_ok": 49990}
    assert report.requests_per_second == pytest.approx(5000.0)
    assert report.rate(2500) == pytest.approx(250.0)
    assert report.p50_ms == pytest.approx(6.1)
    assert report.p99_ms == pytest.approx(9.8)
    assert report.socket_errors == {"read": 2}  # wrk's "status" error count is not a socket error


def test_last_report_wins():
    second = WRK_OUTPUT.replace('"requests":50000', '"requests":7')
    report = parse_report(WRK_OUTPUT + second.splitlines()[-1] + "\n")
    assert report.requests == 7


def test_missing_report_is_an_error():
    with pytest.raises(ReportMissing):
        parse_report("Running 10s test @ http://127.0.0.1:8000\nRequests/sec: 5000.00\n")


def test_empty_status_and_counter_tables():
    # Lua encodes an empty table as {} (never []), and a run with no responses has empty ones.
    line = '@@bench-report {"counters":{},"duration_us":1000000,"errors":{},"latency_us":{},"requests":0,"statuses":{}}'
    report = parse_report(line)
    assert report.statuses == {} and report.requests_per_second == 0.0 and report.p99_ms == 0.0
