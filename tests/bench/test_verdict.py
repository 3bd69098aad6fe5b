"""A cell counts only when every response is the expected one."""

from __future__ import annotations

from bench.harness.verdict import Expectation, problems
from bench.harness.wrk_report import WrkReport

OK200 = frozenset({200})


def report(statuses: dict[int, int], counters: dict[str, int] | None = None, **errors: int) -> WrkReport:
    return WrkReport(
        requests=sum(statuses.values()),
        duration_us=10_000_000,
        statuses=statuses,
        counters=counters or {},
        errors=errors,
    )


def test_clean_run_has_no_problems():
    expect = Expectation(OK200, ("body_mismatch",), (("body_ok", OK200),))
    assert problems(report({200: 100}, {"body_ok": 100}), expect) == []


def test_a_single_500_fails_the_cell():
    found = problems(report({200: 99, 500: 1}), Expectation(OK200))
    assert found == ["unexpected status 500 x1"]


def test_wrong_bodies_fail_the_cell():
    # e.g. introspection answering 200 {"active": false}: the status is right, the body is not.
    expect = Expectation(OK200, ("body_mismatch",), (("body_ok", OK200),))
    found = problems(report({200: 10}, {"body_ok": 7, "body_mismatch": 3}), expect)
    assert "body_mismatch x3" in found
    assert "body_ok=7 but 10 responses with status 200" in found


def test_socket_errors_and_timeouts_fail_the_cell():
    found = problems(report({200: 10}, read=1, timeout=2, status=0), Expectation(OK200))
    assert found == ["socket read errors x1", "socket timeout errors x2"]


def test_no_requests_and_uncounted_responses_fail():
    empty = WrkReport(requests=0, duration_us=1, statuses={})
    assert "no completed requests" in problems(empty, Expectation(OK200))
    uncounted = WrkReport(requests=5, duration_us=1, statuses={200: 3})
    assert "Lua counted 3 statuses for 5 responses" in problems(uncounted, Expectation(OK200))


def test_round_trip_counters_must_match_statuses():
    expect = Expectation(
        frozenset({200, 303}), ("no_code",), (("round_trips", OK200), ("codes", frozenset({303})))
    )
    assert problems(report({200: 5, 303: 6}, {"round_trips": 5, "codes": 6}), expect) == []
    found = problems(report({200: 5, 303: 6}, {"round_trips": 5, "codes": 0, "no_code": 6}), expect)
    assert found == ["no_code x6", "codes=0 but 6 responses with status 303"]
