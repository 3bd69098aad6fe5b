"""How ``consentry serve`` writes (web/served_http.py, ISSUE-10: CPU per response): each response in
one write, nothing held that a client waits for, and heads byte for byte uvicorn's own.

The protocol runs on asyncio's real transport over a socket pair; the server's end records every
``send`` system call the transport makes, so a test sees exactly what left in which write.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from consentry.web import served_http
from consentry.web.security import security_headers
from consentry.web.served_http import CorkedHttpToolsProtocol

T = TypeVar("T")
App = Callable[
    [dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]
BODY = b'{"ok":true}'
GET = b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n"


def _run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """A loop of its own in a thread of its own: this xdist worker's thread may already run one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


async def fixed(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


class RecordingSocket(socket.socket):
    """The server's end of the pair: each ``send`` the transport makes is kept, in order."""

    sends: list[bytes]

    def send(self, data: Any, flags: int = 0) -> int:
        sent = super().send(data, flags)
        self.sends.append(bytes(data[:sent]))
        return sent


class Connection:
    """One server connection on a socket pair; ``record`` is the server's next write."""

    def __init__(
        self, app: App, protocol: type[HttpToolsProtocol] = CorkedHttpToolsProtocol, keep_alive: float = 5.0
    ) -> None:
        self.app = app
        self.protocol = protocol
        self.keep_alive = keep_alive  # seconds an idle connection is kept
        self.client, server = socket.socketpair()
        self.client.setblocking(False)
        self.server = RecordingSocket(server.family, server.type, fileno=server.detach())
        self.server.sends = []
        self.seen = 0
        self.loop = asyncio.get_running_loop()

    async def open(self) -> None:
        # As `consentry serve` runs it: no access log (a logged response takes uvicorn's own path).
        config = uvicorn.Config(
            self.app,
            http=self.protocol,
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_keep_alive=self.keep_alive,  # type: ignore[arg-type]
        )
        config.load()
        state = ServerState()
        state.default_headers = [(b"date", b"Wed, 02 Dec 2026 14:00:00 GMT")]  # as uvicorn's server sets
        protocol = self.protocol
        _, self.served = await self.loop.connect_accepted_socket(
            lambda: protocol(config, state, {}, self.loop), self.server
        )

    async def send(self, data: bytes) -> None:
        await self.loop.sock_sendall(self.client, data)

    async def record(self, timeout: float = 2.0) -> bytes:
        """The server's next write, once it is made."""
        deadline = self.loop.time() + timeout
        while len(self.server.sends) <= self.seen:
            if self.loop.time() > deadline:
                raise TimeoutError(f"no write after {self.server.sends[: self.seen]!r}")
            await asyncio.sleep(0.002)
        self.seen += 1
        return self.server.sends[self.seen - 1]

    async def nothing_more(self, within: float = 0.2) -> bool:
        await asyncio.sleep(within)
        return len(self.server.sends) == self.seen

    async def closed(self, timeout: float = 2.0) -> bool:
        """The server closed the connection: the client reads to its end."""
        while await asyncio.wait_for(self.loop.sock_recv(self.client, 65536), timeout):
            pass
        return True

    def close(self) -> None:
        self.client.close()


def _session(
    app: App,
    steps: Callable[[Connection], Awaitable[T]],
    protocol: type[HttpToolsProtocol] = CorkedHttpToolsProtocol,
) -> T:
    async def main() -> T:
        conn = Connection(app, protocol)
        await conn.open()
        try:
            return await steps(conn)
        finally:
            conn.close()

    return _run(main)


def test_a_response_of_known_length_leaves_in_one_write():  # ISSUE-10
    async def steps(conn: Connection) -> list[bytes]:
        records = []
        for _ in range(2):  # the second, on the same kept-alive connection
            await conn.send(GET)
            records.append(await conn.record())
        return records

    for record in _session(fixed, steps):
        assert record.startswith(b"HTTP/1.1 200 OK\r\n")
        head, _, body = record.partition(b"\r\n\r\n")
        assert body == BODY and b"content-length: 11" in head


def test_100_continue_is_not_held_back():  # ISSUE-10: the client waits for it before its body
    async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def steps(conn: Connection) -> tuple[bytes, bytes]:
        await conn.send(b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        go_on = await conn.record()
        await conn.send(b"hello")
        return go_on, await conn.record()

    go_on, answer = _session(echo, steps)
    assert go_on == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"\r\n\r\nhello")


def test_a_streamed_response_sends_its_head_before_its_body():  # ISSUE-10: streams are not held
    async def steps(conn: Connection) -> tuple[bytes, bytes]:
        await conn.send(GET)
        head = await conn.record()  # the app sends its first chunk only after the client has this
        released.set()
        return head, await conn.record()

    released = asyncio.Event()

    async def streamed(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        await released.wait()
        await send({"type": "http.response.body", "body": b"chunk", "more_body": False})

    async def main() -> tuple[bytes, bytes]:
        nonlocal released
        released = asyncio.Event()  # on this test's own loop
        conn = Connection(streamed)
        await conn.open()
        try:
            return await steps(conn)
        finally:
            conn.close()

    head, rest = _run(main)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"transfer-encoding: chunked" in head
    assert head.endswith(b"\r\n\r\n") and rest == b"5\r\nchunk\r\n0\r\n\r\n"


def test_a_head_request_is_answered_without_a_body_write():  # ISSUE-10: flushed at the response's end
    async def steps(conn: Connection) -> tuple[bytes, bool]:
        await conn.send(b"HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n")
        return await conn.record(), await conn.nothing_more()

    record, alone = _session(fixed, steps)
    assert record.startswith(b"HTTP/1.1 200 OK\r\n") and record.endswith(b"\r\n\r\n") and alone


def test_an_app_failing_after_its_head_still_closes_cleanly():  # ISSUE-10: a held head is never lost
    async def broken(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
        raise RuntimeError("the app failed before its body")

    async def steps(conn: Connection) -> tuple[bytes, bool]:
        await conn.send(GET)
        return await conn.record(), await conn.closed()

    head, closed = _session(broken, steps)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")
    assert closed  # then the connection closes, as uvicorn does for a broken response


def test_a_malformed_request_gets_its_400_at_once():  # ISSUE-10: protocol errors are not held
    async def steps(conn: Connection) -> tuple[bytes, bool]:
        await conn.send(b"NOT HTTP AT ALL\r\n\r\n")
        return await conn.record(), await conn.closed()

    answer, closed = _session(fixed, steps)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n") and closed


JSON = (b"content-type", b"application/json")
#: Response heads to write both ways: each as the app would send it (status, headers).
HEADS: list[tuple[int, Any]] = [
    (200, [JSON, (b"content-length", b"11"), (b"cache-control", b"no-store"), *security_headers(True)]),
    (
        400,
        [(b"Content-Type", b"application/json"), (b"Content-Length", b"11"), (b"X-Frame-Options", b"DENY")],
    ),
    (
        302,
        [
            (b"location", b"https://app.example/cb?code=abc"),
            (b"content-length", b"0"),
            *security_headers(False),
        ],
    ),
    (200, [(b"content-length", b"11"), (b"content-length", b"11")]),  # a second length: uvicorn's path
    (200, [(b"content-length", b" 11")]),  # int() takes it; so must the fast path (it leaves it to uvicorn)
    (200, [(b"content-length", b"11"), (b"connection", b"close")]),
    (200, [(b"content-length", b"11"), (b"X-Custom", b"any value"), (b"set-cookie", b"s=1; HttpOnly")]),
    (200, [JSON]),  # no length: chunked, uvicorn's path
    (200, [[b"content-length", b"11"], [b"x-frame-options", b"DENY"]]),  # pairs as lists: ASGI allows them
    (999, [(b"content-length", b"11")]),  # a status uvicorn has no line for
    (200, [(b"content-length", b"11"), (b"bad name", b"x")]),  # uvicorn refuses: no answer, closed
    (200, [(b"content-length", b"11"), (b"content-type", b"text/plain\x01")]),
]


def _head_app(status: int, headers: Any) -> App:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": BODY})

    return app


def _wire(app: App, protocol: type[HttpToolsProtocol]) -> bytes:
    async def steps(conn: Connection) -> bytes:
        await conn.send(GET)
        await conn.nothing_more(0.05)  # every write the answer makes
        return b"".join(conn.server.sends)

    return _session(app, steps, protocol)


def test_heads_are_byte_for_byte_what_uvicorn_writes():  # ISSUE-10: constant headers checked once
    for status, headers in HEADS * 2:  # the second time from the table of checked lines
        app = _head_app(status, headers)
        assert _wire(app, CorkedHttpToolsProtocol) == _wire(app, HttpToolsProtocol), (status, headers)
    assert set(security_headers(True)) <= set(served_http.checked_lines)  # they took the fast path


def test_a_header_uvicorn_refuses_is_refused_even_once_its_name_was_seen():  # ISSUE-10
    ok = _wire(
        _head_app(200, [(b"content-length", b"11"), (b"x-frame-options", b"DENY")]), CorkedHttpToolsProtocol
    )
    injected = [(b"content-length", b"11"), (b"x-frame-options", b"DENY\r\nx-injected: 1")]
    assert ok.startswith(b"HTTP/1.1 200 OK\r\n") and b"x-frame-options: DENY\r\n" in ok
    assert _wire(_head_app(200, injected), CorkedHttpToolsProtocol) == b""  # uvicorn's refusal: nothing sent
