"""The keep-alive timeout as ``consentry serve`` runs it (web/served_http.py, ISSUE-10: CPU per
response): the same timeout as uvicorn's, kept by one timer per connection instead of one per
response."""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import inspect
from collections.abc import Callable
from typing import Any, TypeVarTuple

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from consentry.web.served_http import CorkedHttpToolsProtocol
from tests.unit.web.test_served_http import BODY, GET, Connection, _run, fixed

KEEP = 0.3  # seconds
#: The start of the SHA-256 of uvicorn 0.55.0's HttpToolsProtocol.on_response_complete.
Ts = TypeVarTuple("Ts")
UVICORN_RESPONSE_END = "64e254f28e389e76"


async def slow_or_fixed(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``/slow`` answers after twice the timeout; any other path at once."""
    if scope["type"] == "http" and scope["path"] == "/slow":
        await asyncio.sleep(2 * KEEP)
    await fixed(scope, receive, send)


async def _open(
    protocol: type[HttpToolsProtocol] = CorkedHttpToolsProtocol, keep: float = KEEP
) -> Connection:
    conn = Connection(slow_or_fixed, protocol, keep_alive=keep)
    await conn.open()
    return conn


async def _answered(conn: Connection, request: bytes = GET) -> bool:
    """One request, its whole response read by the client (in however many writes it came)."""
    await conn.send(request)
    got = b""
    while not got.endswith(BODY):
        chunk = await asyncio.wait_for(conn.loop.sock_recv(conn.client, 65536), 2.0)
        if not chunk:
            return False
        got += chunk
    return got.startswith(b"HTTP/1.1 200 OK\r\n")


def test_an_idle_connection_is_closed_once_the_timeout_passes_not_before():  # ISSUE-10
    async def main() -> tuple[bool, bool, bool, float]:
        conn = await _open()
        try:
            first = await _answered(conn)
            await asyncio.sleep(KEEP / 3)
            again = await _answered(conn)  # within the timeout: the same connection answers
            idle_from = conn.loop.time()
            closed = await conn.closed(timeout=10 * KEEP)
            return first, again, closed, conn.loop.time() - idle_from
        finally:
            conn.close()

    first, again, closed, idle = _run(main)
    assert first and again and closed
    assert idle >= KEEP - 0.01  # never before the timeout (a timer's clock may round a little)


def test_a_request_running_when_the_timer_fires_is_answered_and_the_timer_armed_again():  # ISSUE-10
    async def main() -> tuple[bool, bool, bool, bool]:
        conn = await _open()
        try:
            first = await _answered(conn)
            await asyncio.sleep(KEEP / 2)
            # The timer fires while /slow runs: busy, so it lets go, and the response's end re-arms it.
            slow = await _answered(conn, b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
            after = await _answered(conn)
            return first, slow, after, await conn.closed(timeout=10 * KEEP)
        finally:
            conn.close()

    assert _run(main) == (True, True, True, True)


def test_a_connection_in_use_outlives_the_timer_armed_when_it_was_first_idle():  # ISSUE-10
    # Requests every third of the timeout, for four timeouts: the timer fires meanwhile, finds the
    # connection idle for less than the timeout, and is armed again for what is left.
    async def main() -> list[bool]:
        conn = await _open()
        try:
            answers = []
            for _ in range(12):
                answers.append(await _answered(conn))
                await asyncio.sleep(KEEP / 3)
            return answers
        finally:
            conn.close()

    assert _run(main) == [True] * 12


def test_one_timer_per_connection_not_one_per_response():  # ISSUE-10
    def timers(protocol: type[HttpToolsProtocol]) -> int:
        async def main() -> int:
            loop = asyncio.get_running_loop()
            real = loop.call_later
            armed = 0

            def counting(
                delay: float,
                callback: Callable[[*Ts], object],
                *args: *Ts,
                context: contextvars.Context | None = None,
            ) -> asyncio.TimerHandle:
                nonlocal armed
                armed += isinstance(getattr(callback, "__self__", None), HttpToolsProtocol)
                return real(delay, callback, *args, context=context)

            loop.call_later = counting  # type: ignore[method-assign]
            conn = await _open(protocol, keep=5.0)  # no timer fires during the test
            try:
                for _ in range(20):
                    assert await _answered(conn)
                return armed
            finally:
                conn.close()

        return _run(main)

    assert timers(HttpToolsProtocol) == 20  # uvicorn's: a timer made (and unmade) per response
    assert timers(CorkedHttpToolsProtocol) == 1


def test_uvicorns_response_end_is_the_one_served_http_copies():  # ISSUE-10
    # CorkedHttpToolsProtocol.on_response_complete re-implements uvicorn's (for the timer): a uvicorn
    # that changes the original must be read again before this hash is updated.
    source = inspect.getsource(HttpToolsProtocol.on_response_complete)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == UVICORN_RESPONSE_END, uvicorn.__version__


def test_pipelined_requests_are_all_answered_then_the_timeout_applies():  # ISSUE-10
    async def main() -> tuple[bytes, bool]:
        conn = await _open()
        try:
            await conn.send(GET * 3)  # three requests in one write: uvicorn queues two of them
            got = b""
            while got.count(BODY) < 3:
                got += await asyncio.wait_for(conn.loop.sock_recv(conn.client, 65536), 2.0)
            return got, await conn.closed(timeout=10 * KEEP)
        finally:
            conn.close()

    got, closed = _run(main)
    assert got.count(b"HTTP/1.1 200 OK\r\n") == 3 and closed


def test_connection_close_is_honoured_and_its_pending_timer_cancelled():  # ISSUE-10
    async def main() -> tuple[bool, bool, bool, bool]:
        conn = await _open()
        try:
            first = await _answered(conn)
            served: Any = conn.served
            armed = served._idle_timer is not None  # idle: the connection's one timer is pending
            await conn.send(b"GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            closed = await conn.closed(timeout=2.0)
            await asyncio.sleep(0.05)  # the server's side sees the close too
            return first, armed, closed, served._idle_timer is None
        finally:
            conn.close()

    assert _run(main) == (True, True, True, True)
