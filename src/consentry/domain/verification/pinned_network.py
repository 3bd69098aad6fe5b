"""An httpcore network backend that connects only to the address the fetcher checked, with one
deadline for the whole fetch (a server dripping a byte every few seconds cannot outlast it).

httpx's own transport takes no custom backend, hence this module (see fetcher.py).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore

# -- ----------------------------------------------


class PinnedBackend(httpcore.NetworkBackend):
    """Connects to the checked address whatever name the URL has; no second DNS lookup."""

    def __init__(self, host: str, address: str, deadline: float) -> None:
        self._host, self._address, self._deadline = host, address, deadline
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if host != self._host:  # only the host that was checked is ever dialled
            raise httpcore.ConnectError(f"refusing to connect to unchecked host {host}")
        stream = self._inner.connect_tcp(
            self._address,
            port,
            timeout=_clamp(timeout, self._deadline, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are never used")


class _DeadlineStream(httpcore.NetworkStream):
    """Every read and write waits at most until the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner, self._deadline = inner, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, self._deadline, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, self._deadline, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = _clamp(timeout, self._deadline, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _clamp(timeout: float | None, deadline: float, on_expiry: type[httpcore.TimeoutException]) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise on_expiry("the fetch ran out of time")
    return left if timeout is None else min(timeout, left)
