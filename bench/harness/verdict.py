"""Decide whether a measured cell counts: every response must be the one the workload expects.

A benchmark that counts errors as throughput is worthless, so a cell is ERR when wrk saw any status
outside the expected set, any socket error or timeout, or a Lua counter that flags a wrong body (an
introspection answering ``{"active": false}``, a refresh without a rotated token, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bench.harness.wrk_report import WrkReport


@dataclass(frozen=True)
class Expectation:
    """What a correct run of one workload against one server looks like."""

    statuses: frozenset[int]
    #: Lua counters that must stay at zero (each counts one kind of wrong response).
    zero_counters: tuple[str, ...] = ()
    #: (counter, statuses): the counter must equal the number of responses with those statuses,
    #: e.g. ("body_ok", {200}): every 200 carried the expected body.
    counter_matches: tuple[tuple[str, frozenset[int]], ...] = ()


def _count(report: WrkReport, statuses: Iterable[int]) -> int:
    return sum(report.statuses.get(code, 0) for code in statuses)


def problems(report: WrkReport, expect: Expectation) -> list[str]:
    """Human-readable reasons the cell is wrong; empty when it counts."""
    found: list[str] = []
    if report.requests <= 0:
        found.append("no completed requests")
    counted = sum(report.statuses.values())
    if counted != report.requests:
        found.append(f"Lua counted {counted} statuses for {report.requests} responses")
    for code in sorted(report.statuses):
        if code not in expect.statuses and report.statuses[code]:
            found.append(f"unexpected status {code} x{report.statuses[code]}")
    for name, count in report.socket_errors.items():
        found.append(f"socket {name} errors x{count}")
    for name in expect.zero_counters:
        if report.counters.get(name, 0):
            found.append(f"{name} x{report.counters[name]}")
    for name, statuses in expect.counter_matches:
        want = _count(report, statuses)
        have = report.counters.get(name, 0)
        if have != want:
            codes = "/".join(str(code) for code in sorted(statuses))
            found.append(f"{name}={have} but {want} responses with status {codes}")
    return found
