"""Parse the one-line JSON report that bench/lua/bench.lua prints from wrk's done().

Why not parse wrk's own text summary: it has no per-status counts (only "Non-2xx or 3xx responses"),
rounds latencies for display, and its format changes between versions. The Lua report carries the
raw numbers plus every status seen, which is what the verdict needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MARKER = "@@bench-report "
SOCKET_ERRORS = ("connect", "read", "write", "timeout")


class ReportMissing(ValueError):
    """wrk ended without the report line (crashed, killed, or the script failed to load)."""


@dataclass(frozen=True)
class WrkReport:
    """What one wrk run measured; latencies in microseconds, as wrk records them."""

    requests: int
    duration_us: int
    statuses: dict[int, int]
    counters: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    latency_us: dict[str, float] = field(default_factory=dict)
    bytes: int = 0
    threads: int = 1

    @property
    def seconds(self) -> float:
        return self.duration_us / 1e6

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.duration_us > 0 else 0.0

    def rate(self, count: int) -> float:
        """``count`` events (e.g. completed round trips) per second of this run."""
        return count / self.seconds if self.duration_us > 0 else 0.0

    @property
    def p50_ms(self) -> float:
        return float(self.latency_us.get("p50", 0.0)) / 1000

    @property
    def p99_ms(self) -> float:
        return float(self.latency_us.get("p99", 0.0)) / 1000

    @property
    def socket_errors(self) -> dict[str, int]:
        """Connect/read/write/timeout errors that happened (wrk's "status" error is covered by statuses)."""
        return {name: int(self.errors.get(name, 0)) for name in SOCKET_ERRORS if self.errors.get(name)}


def _ints(raw: Any) -> dict[str, int]:
    return {str(key): int(value) for key, value in (raw or {}).items()}


def parse_report(output: str) -> WrkReport:
    """The last report line in ``output`` (wrk's stdout); raise ReportMissing when there is none."""
    lines = [line for line in output.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise ReportMissing("wrk printed no report line (did the Lua script load?)")
    raw = json.loads(lines[-1][len(MARKER) :])
    return WrkReport(
        requests=int(raw["requests"]),
        duration_us=int(raw["duration_us"]),
        statuses={int(code): count for code, count in _ints(raw.get("statuses")).items()},
        counters=_ints(raw.get("counters")),
        errors=_ints(raw.get("errors")),
        latency_us={str(key): float(value) for key, value in (raw.get("latency_us") or {}).items()},
        bytes=int(raw.get("bytes", 0)),
        threads=int(raw.get("threads", 1)),
    )
