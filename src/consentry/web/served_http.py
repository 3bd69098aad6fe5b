"""uvicorn's HTTP/1.1 protocol as ``consentry serve`` runs it: each response in one write, the
headers every response repeats checked once, not on every response, and one keep-alive timer per
connection, not one per response (``CorkedHttpToolsProtocol``).

uvicorn writes a response's status line and headers as soon as the app sends ``http.response.start``
and the body on ``http.response.body``: two ``send`` system calls and, with Nagle off, two TCP
segments for every answer of a few hundred bytes. Here the head of a response whose length is
known, written from checked lines (below), is held until its body's first write (or the response's
end), and both leave as one.

uvicorn also checks every header of every response against two regular expressions and lowercases
its name: a dozen headers, most of them the same security headers each time, cost more than the
rest of a discovery answer. Here a header whose name is one of ``CONSTANT_NAMES`` is checked the
first time its exact value is sent, and its line kept (a bounded table); any other header, and any
response that is not a plain one of known length, goes through uvicorn's own code unchanged.

uvicorn has no option for either; the protocol class it accepts (``uvicorn.run(http=...)``) is the
documented place to change how a connection is written, hence these subclasses.

Only such a head is ever held, and only until the app sends the body it declared: a ``100
Continue``, a streamed (chunked) response's head, a head uvicorn's own code writes, a protocol error
and every body write go out at once, as before. Closing the connection flushes first; aborting
drops what is held, as it drops the transport's own buffer. Measured in bench/README.md ("One write
per response").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Generator
from itertools import chain
from typing import Any

from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from consentry.web.security import HSTS, security_headers


class CorkedTransport:
    """A connection's transport that holds a response's head (``hold``, from the cycle that wrote it
    and knows a body of known length follows) for its body's first write.

    The methods uvicorn calls on every request are the transport's own, bound once: a fallback
    through ``__getattr__`` costs more per call than the system call saved (measured).
    """

    __slots__ = (
        "_held",
        "_transport",
        "get_extra_info",
        "get_protocol",
        "get_write_buffer_limits",
        "get_write_buffer_size",
        "is_closing",
        "is_reading",
        "pause_reading",
        "resume_reading",
        "set_protocol",
        "set_write_buffer_limits",
    )

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: bytes | None = None
        self.get_extra_info = transport.get_extra_info
        self.get_protocol = transport.get_protocol
        self.get_write_buffer_limits = transport.get_write_buffer_limits
        self.get_write_buffer_size = transport.get_write_buffer_size
        self.is_closing = transport.is_closing
        self.is_reading = transport.is_reading
        self.pause_reading = transport.pause_reading
        self.resume_reading = transport.resume_reading
        self.set_protocol = transport.set_protocol
        self.set_write_buffer_limits = transport.set_write_buffer_limits

    def hold(self, head: bytes) -> None:
        """A response's head whose body follows: it leaves with the next write, or at ``flush``."""
        self._held = head

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + data)
        else:
            self._transport.write(data)

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            if not self._transport.is_closing():
                self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()


#: Headers whose values do not vary with the request in Consentry: safe to remember once checked
#: (never a cookie, a location or a date, which would fill the table with values seen once).
CONSTANT_NAMES = frozenset(
    [name for name, _ in security_headers(False)]
    + [HSTS[0], b"content-type", b"cache-control", b"pragma", b"vary", b"allow"]
)
#: Checked header -> its line on the wire; bounded, as a value could still vary (a content type's
#: charset): once full, what is not in it is checked each time, as uvicorn does.
CHECKED_MAX = 256
checked_lines: dict[tuple[bytes, bytes], bytes] = {}


def _line(header: tuple[bytes, bytes], lowered: bytes) -> bytes | None:
    """The header's line (``lowered``: its name in lower case) if it is a constant one uvicorn would
    accept; None: not for this path."""
    name, value = header
    if lowered not in CONSTANT_NAMES or HEADER_RE.search(name) or HEADER_VALUE_RE.search(value):
        return None
    line = b"%s: %s\r\n" % (lowered, value)
    if len(checked_lines) < CHECKED_MAX:
        checked_lines[header] = line
    return line


class _Done:
    """Awaited, finishes at once: what the fast path returns, so that it costs no coroutine."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, Any, None]:
        return
        yield  # a generator that ends at once


DONE = _Done()


class CheckedHeadersCycle(RequestResponseCycle):
    """uvicorn's request/response cycle, writing a plain response's head from checked lines.

    "Plain": kept alive, of known length, no ``connection`` or ``transfer-encoding`` header, no
    access log. The head is byte for byte what uvicorn writes (tests/unit/web/test_served_http.py
    compares them); every other start, and every body, is uvicorn's own ``send``. Not a coroutine
    itself: it hands back uvicorn's, or ``DONE``, so that every body does not await one more frame.
    """

    def send(self, message: Any) -> Awaitable[None]:  # type: ignore[override]
        if (
            self.response_started
            or message["type"] != "http.response.start"
            or not self.keep_alive
            or self.access_log
            or self.flow.write_paused
            or self.disconnected
        ):
            return RequestResponseCycle.send(self, message)
        try:
            content, length = self._head(message)
        except (TypeError, KeyError):  # pairs as lists (ASGI allows them), an unknown status: uvicorn
            return RequestResponseCycle.send(self, message)
        if content is None:
            return RequestResponseCycle.send(self, message)
        self.response_started = True
        self.waiting_for_100_continue = False
        self.expected_content_length = int(length)
        self.chunked_encoding = False
        content.append(b"\r\n")
        self.transport.hold(b"".join(content))  # type: ignore[attr-defined]
        return DONE

    def _head(self, message: Any) -> tuple[list[bytes] | None, bytes]:
        """The head's lines and its declared length; None when uvicorn's own code must write it."""
        content = [STATUS_LINE[message["status"]]]
        length = None
        for header in chain(self.default_headers, message.get("headers", ())):
            line = checked_lines.get(header)
            if line is None:
                name = header[0].lower()
                if name == b"content-length" and length is None:
                    length = header[1]
                    if HEADER_VALUE_RE.search(length) or not length.isdigit():
                        return None, b""  # uvicorn's own error
                    line = b"content-length: %s\r\n" % length
                elif name in (b"content-length", b"transfer-encoding", b"connection"):
                    return None, b""
                elif (line := _line(header, name)) is None:
                    if HEADER_RE.search(header[0]) or HEADER_VALUE_RE.search(header[1]):
                        return None, b""  # uvicorn refuses it, in its own words
                    line = b"%s: %s\r\n" % (name, header[1])
            content.append(line)
        if length is None:
            return None, b""  # chunked, or no body: uvicorn decides
        return content, length


#: Seconds of keep-alive time left that count as none (uvloop's timers are to the millisecond).
IDLE_SLACK = 0.002


class CorkedHttpToolsProtocol(HttpToolsProtocol):
    """``uvicorn.run(..., http=CorkedHttpToolsProtocol)``: httptools, one write per response, constant
    headers checked once, and one keep-alive timer per connection.

    uvicorn arms a keep-alive timer (``call_later``) after every response and cancels it when the
    next request's bytes arrive: a timer made and unmade for every request. Here the connection
    notes when it went idle, and one timer, armed when it first goes idle, looks when it fires: the
    connection is closed if it stayed idle for the whole timeout, else the timer is armed again for
    what is left. The timeout is the same, only checked lazily.
    """

    _idle_since: float | None = None  # loop time the connection went idle; None while a request runs
    _idle_timer: asyncio.TimerHandle | None = None

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if type(cycle) is RequestResponseCycle:  # not an upgrade: same layout, so it can be swapped
            cycle.__class__ = CheckedHeadersCycle

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        corked: Any = CorkedTransport(transport)  # type: ignore[arg-type]
        super().connection_made(corked)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _unset_keepalive_if_required(self) -> None:
        """uvicorn's hook for "busy now" (new bytes, a response's end, a lost connection)."""
        self._idle_since = None

    def on_response_complete(self) -> None:
        """uvicorn's (HttpToolsProtocol.on_response_complete), but for the keep-alive timer."""
        transport: Any = self.transport
        transport.flush()  # a response without a body write (HEAD, an empty body) is whole now
        self.server_state.total_requests += 1
        if transport.is_closing():
            return
        self._unset_keepalive_if_required()  # as uvicorn's: busy until the lines below say idle
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self._idle_timer is None:
            self._idle_timer = self.loop.call_later(self.timeout_keep_alive, self._idle_check)

    def _idle_check(self) -> None:
        self._idle_timer = None
        since = self._idle_since
        if since is None:
            return  # a request is under way: its response's end arms the timer again
        left = since + self.timeout_keep_alive - self.loop.time()
        # uvloop's clock counts milliseconds and runs a shorter delay at once: a timer that fires on
        # its deadline may find a sliver left, which must not re-arm it again and again.
        if left > IDLE_SLACK:
            self._idle_timer = self.loop.call_later(left, self._idle_check)
        else:
            self.timeout_keep_alive_handler()
