"""Response counts reach the Prometheus counters in batches (web/metrics.py, issue 10: CPU per token)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from consentry.web.metrics import FLUSH_EVERY, Metrics

T = TypeVar("T")


def _run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run`` in a thread of its own: the test process's thread may already run a loop
    (a browser test's, in the same xdist worker), and counting must see only this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def _no_loop(call: Callable[[], T]) -> T:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def _total(metrics: Metrics, endpoint: str, status: int) -> float:
    value = metrics.registry.get_sample_value(
        "consentry_protocol_responses_total", {"endpoint": endpoint, "status": str(status)}
    )
    return value or 0.0


def test_counts_on_the_loop_are_added_within_flush_every():  # ISSUE-9.13 counts, batched
    metrics = Metrics()

    async def serve() -> tuple[float, float]:
        for _ in range(3):
            metrics.count("/token", 200)
        metrics.count("/token", 400)
        before = _total(metrics, "/token", 200)
        await asyncio.sleep(FLUSH_EVERY + 0.2)
        return before, _total(metrics, "/token", 200)

    before, after = _run(serve)
    assert (before, after) == (0.0, 3.0)
    assert _total(metrics, "/token", 400) == 1.0


def test_a_flush_adds_what_is_pending_once():  # the scrape's own flush, then the timer's: no double count
    metrics = Metrics()

    async def serve() -> None:
        metrics.count("/introspect", 200)
        metrics.flush()
        await asyncio.sleep(FLUSH_EVERY + 0.2)

    _run(serve)
    assert _total(metrics, "/introspect", 200) == 1.0


def test_counting_goes_on_after_the_loop_that_held_the_timer_closed():
    metrics = Metrics()

    async def first() -> None:
        metrics.count("/token", 200)  # its timer is left on a loop that closes before it fires

    async def second() -> None:
        metrics.count("/token", 200)
        await asyncio.sleep(FLUSH_EVERY + 0.2)

    _run(first)
    _run(second)
    assert _total(metrics, "/token", 200) == 2.0


def test_without_a_loop_a_count_is_added_at_once():
    metrics = Metrics()
    _no_loop(lambda: metrics.count("/revoke", 200))
    assert _total(metrics, "/revoke", 200) == 1.0
