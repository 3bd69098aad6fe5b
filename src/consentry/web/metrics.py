"""Prometheus metrics at /metrics: protocol responses by endpoint and status.

Counts are summed over every worker: with ``PROMETHEUS_MULTIPROC_DIR`` set (``consentry serve``
prepares a fresh directory before forking, cli/metrics_dir.py) each process writes its counters
to a file there and a scrape reads them all, whichever worker answers it. Without it, a process
counts alone (one worker, tests). A worker adds its counts every half second (``FLUSH_EVERY``), so a
scrape shows another worker's latest responses at most that late.

The page tells anyone who can read it how busy the server is and which requests fail, so it is
served only to allowed addresses (``CONSENTRY_METRICS_ALLOW``, loopback by default) and, when
``CONSENTRY_METRICS_TOKEN`` is set, only with that bearer token (docs/operators.md, "Metrics").
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import os
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from consentry.settings import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Endpoint = Callable[[Request], Awaitable[Response]]
#: Seconds a process keeps its counts before adding them to the (shared) counters.
FLUSH_EVERY = 0.5


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.responses = Counter(
            "consentry_protocol_responses",
            "Protocol endpoint responses",
            ["endpoint", "status"],
            registry=self.registry,
        )

        self._children: dict[tuple[str, int], Any] = {}
        #: Counts not yet added to the counters, and the timer that will add them.
        self._pending: dict[tuple[str, int], int] = {}
        self._flush_timer: asyncio.TimerHandle | None = None
        self._flush_loop: asyncio.AbstractEventLoop | None = None

    def count(self, endpoint: str, status: int) -> None:
        """Count one response, on the event loop. In multiprocess mode an increment writes a shared
        file: adding each count at once cost a client-credentials token ~15 us of server CPU (229
        against 213 us, medians of three interleaved wrk runs; bench/README.md). Counts are kept
        here and added at most ``FLUSH_EVERY`` seconds later, before this process's own scrape, and
        at shutdown (app.py)."""
        key = (endpoint, status)
        self._pending[key] = self._pending.get(key, 0) + 1
        timer_loop = self._flush_loop
        if self._flush_timer is not None and timer_loop is not None and not timer_loop.is_closed():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a synchronous caller): nothing to batch with
            self.flush()
            return
        # A timer left on a loop that has since closed never fires: a new one on this loop.
        self._flush_loop = loop
        self._flush_timer = loop.call_later(FLUSH_EVERY, self.flush)

    def flush(self) -> None:
        """Add the kept counts to the counters (on the event loop, like :meth:`count`)."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()  # a no-op when it is the timer calling
            self._flush_timer = None
        pending, self._pending = self._pending, {}
        for key, n in pending.items():
            child = self._children.get(key)
            if child is None:
                # Looking a labelled child up costs more than incrementing it; keep them (few).
                child = self._children[key] = self.responses.labels(key[0], str(key[1]))
            child.inc(n)

    def exposition(self) -> bytes:
        """The text format: every worker's counters in multiprocess mode, else this process's."""
        if not os.environ.get(MULTIPROC_ENV):
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)

    def protected(self, settings: Settings) -> Endpoint:
        """The /metrics endpoint, behind the address list and the token of ``settings``."""
        gate = MetricsGate(settings.metrics_token, parse_networks(settings.metrics_allow))

        async def endpoint(request: Request) -> Response:
            refused = gate.refusal(request)
            if refused is not None:
                return refused
            self.flush()  # this process's counts are exact; other workers' are at most FLUSH_EVERY old
            body = await run_in_threadpool(self.exposition)  # multiprocess mode reads files
            return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

        return endpoint


def parse_networks(allow: str) -> tuple[Network, ...]:
    """``CONSENTRY_METRICS_ALLOW``: comma-separated CIDRs or addresses; empty allows nobody."""
    parts = (part.strip() for part in allow.split(","))
    return tuple(ipaddress.ip_network(part, strict=False) for part in parts if part)


class MetricsGate:
    """Who may read /metrics: an allowed address, and the bearer token when one is set."""

    def __init__(self, token: str, networks: tuple[Network, ...]) -> None:
        self._token_digest = hashlib.sha256(token.encode()).digest() if token else None
        self.networks = networks

    def address_allowed(self, host: str | None) -> bool:
        try:
            addr = ipaddress.ip_address(host or "")
        except ValueError:
            return False  # no peer address (a unix socket, a test client): not on any list
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        return any(addr in net for net in self.networks)

    def token_valid(self, authorization: str) -> bool:
        if self._token_digest is None:
            return True
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return False
        # Digests have one length, so the comparison leaks neither the token nor its length.
        return hmac.compare_digest(hashlib.sha256(value.strip().encode()).digest(), self._token_digest)

    def refusal(self, request: Request) -> Response | None:
        """``None`` when the request may read the metrics, else the response refusing it."""
        if not self.address_allowed(request.client.host if request.client else None):
            return JSONResponse(
                {"error": "access_denied", "error_description": "Metrics are not served to this address."},
                status_code=403,
            )
        if not self.token_valid(request.headers.get("authorization", "")):
            return JSONResponse(
                {"error": "invalid_token", "error_description": "A valid metrics bearer token is required."},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics", error="invalid_token"'},
            )
        return None
