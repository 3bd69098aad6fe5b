"""Running a coroutine from a synchronous test, whatever ran in this worker before."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def own_loop(run: Callable[[], Awaitable[T]]) -> T:
    """``asyncio.run`` on a thread of its own: a worker that ran the browser tests before keeps
    Playwright's event loop running in the main thread, where ``asyncio.run`` refuses to start."""

    async def main() -> T:
        return await run()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()
