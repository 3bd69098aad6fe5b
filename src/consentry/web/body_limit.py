"""Every request body bounded in size and in time before anything reads it (ISSUE-9.3, 9.4).

One pure-ASGI middleware in front of the whole application, protocol adapter included, so no endpoint
can buffer more than its route allows (:mod:`consentry.web.body_rules`) however it reads its body:

- a declared ``Content-Length`` over the limit is refused before a byte is read;
- streamed chunks (chunked transfer, no ``Content-Length``) are counted as they arrive;
- a body that has not fully arrived ``read_timeout`` seconds after the headers is refused (408),
  so a slow or stalled upload cannot hold a connection and its buffer forever; as with Apache's
  mod_reqtimeout, every ``MIN_RATE`` bytes that do arrive earn one more second, so a large upload
  over a slow link is not cut off while it keeps coming;
- a client that hangs up mid-body ends the request quietly: no 500, no traceback.

Refusals are raised from ``receive`` (whoever is reading stops there) and then answered here, in
the route's format, with ``Connection: close`` so the rest of the body is never read. Whatever the
application answered to the aborted read is dropped: the refusal is the answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
from weakref import WeakKeyDictionary

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consentry.web.body_rules import BodyRule, RouteTable, Style
from consentry.web.deadlines import Deadlines
from consentry.web.render import error_page
from consentry.web.security import NO_STORE, security_headers

log = logging.getLogger(__name__)

TOO_LARGE, TOO_SLOW = 413, 408
#: Bytes per second an upload must keep up to run past ``read_timeout`` (512 kbit/s).
MIN_RATE = 64 * 1024
CLOSE = (b"connection", b"close")


class BodyRefused(HTTPException):
    """Raised from ``receive`` when a body is over its limit (413) or late (408).

    An ``HTTPException`` so FastAPI's body parsing passes it on instead of calling it a malformed
    body; its handler's answer is then replaced by :class:`BodyLimit` with the refusal proper.
    """

    def __init__(self, status_code: int) -> None:
        super().__init__(status_code=status_code, detail="Request body refused")


class BodyLimit:
    """The middleware: wraps each request's ``receive`` and ``send`` in an :class:`_Exchange`."""

    def __init__(self, app: ASGIApp, routes: RouteTable, read_timeout: float, https: bool) -> None:
        self.app = app
        self.routes = routes
        self.read_timeout = read_timeout
        self.headers = security_headers(https)
        # Late bodies are found within a second (or a quarter of a short timeout) of their deadline.
        self.tick = min(1.0, read_timeout / 4)
        self._deadlines: WeakKeyDictionary[asyncio.AbstractEventLoop, Deadlines] = WeakKeyDictionary()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, streamed = _framing(scope)
        if not declared and not streamed and scope.get("http_version") in ("1.1", "1.0"):
            # HTTP/1 without Content-Length or Transfer-Encoding has no body: nothing to guard.
            await self.app(scope, receive, send)
            return
        rule = self.routes.rule(scope["path"])
        if declared is not None and declared > rule.max_bytes:
            await self._refuse(scope, send, rule, TOO_LARGE)
            return
        exchange = _Exchange(receive, send, rule.max_bytes, self._deadlines_now(), self.read_timeout)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Exception:
            if exchange.refusal is None and not exchange.gone:
                raise
            # The app gave up on the body we refused (or lost); its error is ours to answer.
        if exchange.gone:
            log.debug("client closed the connection during %s %s", scope["method"], scope["path"])
        elif exchange.refusal is not None and not exchange.started:
            await self._refuse(scope, send, rule, exchange.refusal)

    def _deadlines_now(self) -> Deadlines:
        loop = asyncio.get_running_loop()
        deadlines = self._deadlines.get(loop)
        if deadlines is None:
            deadlines = self._deadlines[loop] = Deadlines(loop, self.tick)
        return deadlines

    async def _refuse(self, scope: Scope, send: Send, rule: BodyRule, status: int) -> None:
        log.info("refused %s %s: %d", scope["method"], scope["path"], status)
        content_type, body = self._render(scope, rule.style, status, rule.max_bytes)
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), CLOSE]
        headers += NO_STORE + self.headers
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _render(self, scope: Scope, style: Style, status: int, limit: int) -> tuple[bytes, bytes]:
        if style is Style.AUTO:
            accept = next((v for k, v in scope["headers"] if k == b"accept"), b"")
            style = Style.PAGE if b"text/html" in accept else Style.OAUTH
        if status == TOO_LARGE:
            code, title = "content_too_large", "Request too large"
            description = f"The request body is larger than {_size(limit)}, the most this endpoint accepts."
        else:
            code, title = "request_timeout", "Request timed out"
            description = f"The request body did not arrive within {self.read_timeout:g} seconds."
        if style is Style.PAGE:
            page = error_page(title, description, status, code)
            return b"text/html; charset=utf-8", bytes(page.body)
        error = "invalid_request" if style is Style.OAUTH else code
        payload = {"error": error, "error_description": description}
        return b"application/json", json.dumps(payload, separators=(",", ":")).encode()


class _Exchange:
    """One request's ``receive`` and ``send``, wrapped: counts, times, and remembers why it stopped."""

    __slots__ = (
        "_receive",
        "_send",
        "complete",
        "deadline",
        "deadlines",
        "expired",
        "gone",
        "max_bytes",
        "received",
        "refusal",
        "started",
        "task",
    )

    def __init__(
        self, receive: Receive, send: Send, max_bytes: int, deadlines: Deadlines, timeout: float
    ) -> None:
        self._receive = receive
        self._send = send
        self.max_bytes = max_bytes
        self.deadlines = deadlines
        self.deadline = deadlines.loop.time() + timeout
        self.received = 0
        self.complete = False  # the whole body has been read
        self.refusal: int | None = None
        self.gone = False  # the client hung up before its body arrived
        self.started = False  # the app's response has begun
        self.task: asyncio.Task[object] | None = None  # the task waiting for the body, while it waits
        self.expired = False

    async def receive(self) -> Message:
        if self.complete:
            return await self._receive()  # only http.disconnect is left to wait for
        if self.gone:
            raise ClientDisconnect
        if self.refusal is not None:
            raise BodyRefused(self.refusal)
        self.task = task = asyncio.current_task()
        self.deadlines.add(self)
        try:
            message = await self._receive()
        except asyncio.CancelledError:
            # Ours is the timeout; any other cancellation (a server shutting down) goes on.
            if not self.expired or task is None or task.uncancel() > 0:
                raise
            self.refusal = TOO_SLOW
            raise BodyRefused(TOO_SLOW) from None
        finally:
            self.task = None
            self.deadlines.discard(self)
        if message["type"] != "http.request":
            self.gone = True
            raise ClientDisconnect
        size = len(message.get("body", b""))
        self.received += size
        self.deadline += size / MIN_RATE
        if self.received > self.max_bytes:
            self.refusal = TOO_LARGE
            raise BodyRefused(TOO_LARGE)
        self.complete = not message.get("more_body", False)
        return message

    def expire(self) -> None:
        """The deadline passed while the body was awaited: stop waiting (see receive)."""
        if self.task is not None:
            self.expired = True
            self.task.cancel()

    async def send(self, message: Message) -> None:
        if self.refusal is not None or self.gone:
            return  # the app's answer to a body we refused, or to nobody
        if message["type"] == "http.response.start":
            self.started = True
            if not self.complete:
                # Answered without reading the whole body: close rather than wait for the rest.
                message = {**message, "headers": [*message.get("headers", []), CLOSE]}
        await self._send(message)


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """The declared Content-Length (None if absent) and whether the body is chunked."""
    declared: int | None = None
    streamed = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            declared = int(value) if value.isdigit() else None  # servers reject a malformed one
        elif name == b"transfer-encoding":
            streamed = True
    return declared, streamed


def _size(n: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"
