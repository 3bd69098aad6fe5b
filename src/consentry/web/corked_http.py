"""uvicorn's HTTP/1.1 protocol with each response leaving in one write (``consentry serve`` uses it).

uvicorn writes a response's status line and headers as soon as the app sends ``http.response.start``
and the body on ``http.response.body``: two ``send`` system calls and, with Nagle off, two TCP
segments for every answer of a few hundred bytes. Here the head of a response whose length is
known is held until its body's first write (or the response's end), and both leave as one.
uvicorn has no option for it; the protocol class it accepts (``uvicorn.run(http=...)``) is the
documented place to change how a connection is written, hence this subclass.

Only such a head is ever held, and only until the app sends the body it declared: a ``100
Continue``, a streamed (chunked) response's head, a protocol error and every body write go out at
once, as before. Closing the connection flushes first; aborting drops what is held, as it drops
the transport's own buffer. Measured in bench/README.md ("One write per response").
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: Every head uvicorn writes starts so (its status lines are HTTP/1.1 whatever the request's).
HEAD_START = b"HTTP/1.1 "


class CorkedTransport:
    """A connection's transport that holds a response's head for its body's first write.

    The methods uvicorn calls on every request are the transport's own, bound once: a fallback
    through ``__getattr__`` costs more per call than the system call saved (measured).
    """

    __slots__ = (
        "_held",
        "_protocol",
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

    def __init__(self, transport: asyncio.Transport, protocol: HttpToolsProtocol) -> None:
        self._transport = transport
        self._protocol = protocol
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

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + data)
        elif self._is_fixed_length_head(data):
            self._held = bytes(data)
        else:
            self._transport.write(data)

    def _is_fixed_length_head(self, data: bytes) -> bool:
        """The head of a response in progress that declared its Content-Length: a body follows."""
        cycle = self._protocol.cycle
        return (
            cycle is not None
            and cycle.response_started
            and not cycle.response_complete
            and cycle.chunked_encoding is False
            and data.startswith(HEAD_START)
        )

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


class CorkedHttpToolsProtocol(HttpToolsProtocol):
    """``uvicorn.run(..., http=CorkedHttpToolsProtocol)``: httptools, one write per response."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        corked: Any = CorkedTransport(transport, self)  # type: ignore[arg-type]
        super().connection_made(corked)

    def on_response_complete(self) -> None:
        transport: Any = self.transport
        transport.flush()  # a response without a body write (HEAD, an empty body) is whole now
        super().on_response_complete()
