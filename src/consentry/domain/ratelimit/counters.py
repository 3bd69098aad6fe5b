"""The storage contract for rate counters: every change is one atomic statement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Count:
    """A counter just after a hit: how many hits its window holds and when the window ends."""

    count: int
    expires_at: int


class RateCounters(Protocol):
    def hit(self, key: str, window: int, now: int) -> Count:
        """Add one in a single statement; a window that has ended starts again from one."""
        ...

    def release(self, key: str, now: int) -> None:
        """Take one back (a reserved attempt turned out well), never below zero."""
        ...

    def extend(self, key: str, until: int) -> None:
        """Keep the window open at least until ``until`` (backoff)."""
        ...

    def peek(self, key: str, now: int) -> int:
        """The live count, without counting (0 when the window has ended)."""
        ...
