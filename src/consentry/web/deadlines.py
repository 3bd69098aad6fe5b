"""Deadlines for many short waits, enforced by one timer per event loop (ISSUE-9.4).

Arming and cancelling a timer per request (``asyncio.timeout``, ``loop.call_at``) costs about
10 µs, several times what the protocol adapter's own wrapper work costs per request, and a body read
almost never times out. So a wait only joins a set here, and one sweep per ``tick`` expires the
waits whose deadline has passed: a wait times out between its deadline and one tick after it.
"""

from __future__ import annotations

import asyncio
from typing import Protocol


class Waiter(Protocol):
    deadline: float  # on the event loop's clock, ``loop.time()``

    def __hash__(self) -> int: ...

    def expire(self) -> None:
        """Called on the event loop once the deadline has passed and the waiter still waits."""


class Deadlines:
    """The waits of one event loop; the sweep runs only while something waits."""

    def __init__(self, loop: asyncio.AbstractEventLoop, tick: float) -> None:
        self.loop = loop
        self.tick = tick
        self.waiting: set[Waiter] = set()
        self._armed = False

    def add(self, waiter: Waiter) -> None:
        self.waiting.add(waiter)
        if not self._armed:
            self._armed = True
            self.loop.call_later(self.tick, self._sweep)

    def discard(self, waiter: Waiter) -> None:
        self.waiting.discard(waiter)

    def _sweep(self) -> None:
        now = self.loop.time()
        for waiter in [w for w in self.waiting if w.deadline <= now]:
            self.waiting.discard(waiter)
            waiter.expire()
        if self.waiting:
            self.loop.call_later(self.tick, self._sweep)
        else:
            self._armed = False
