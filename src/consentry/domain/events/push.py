"""One push of a SET to an app's endpoint (RFC 8935 §2), without letting the URL reach our network.

The endpoint is a developer's URL dialled by the server, so the push goes the way of the
verification fetcher (domain/verification/fetcher.py): every address the host resolves to must be
public (``allow_private`` aside), the socket goes to exactly the address checked (no second DNS
answer can swap it), one deadline bounds DNS, connect, send and the answer, and redirects are
never followed. Only the first few KiB of the answer are read.

What the answer means (RFC 8935 §2.2-2.4):

- ``202 Accepted``: acknowledged, delivered. Another 2xx is taken as delivered too (the receiver
  has the SET; sending it again would only duplicate it), with a note.
- ``400`` with ``{"err": ..., "description": ...}``: the receiver refuses this SET for good (bad
  signature, unknown audience, ...); retrying would get the same answer, so it is *rejected*.
- Anything else (5xx, 429, 401/403, a redirect, a timeout, no connection, a private address):
  *retry* later, with backoff; most are fixed on the app's side without a new event.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import httpcore
import httpx

from consentry.domain.events.endpoint import check_endpoint
from consentry.domain.verification.addresses import is_public_address
from consentry.domain.verification.pinned_network import PinnedBackend
from consentry.errors import DomainError

Outcome = Literal["delivered", "rejected", "retry"]
Resolver = Callable[[str, int], Sequence[str]]
CONTENT_TYPE = b"application/secevent+jwt"
USER_AGENT = b"Consentry-SET-Transmitter/1 (RFC 8935 push)"
#: Enough for any error document; the rest of an answer is never read.
MAX_ANSWER = 4096
MAX_DETAIL = 400


@dataclass(frozen=True)
class PushResult:
    outcome: Outcome
    #: The endpoint's HTTP status, when it answered.
    status: int | None
    #: One line for ``last_error``: why it failed, or a note on a success ("" for a clean 202).
    detail: str


def system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _Retry(Exception):
    """This attempt cannot go on; the message is the detail recorded."""


class Pusher:
    """POSTs SETs; see the module docstring for the guarantees and the meaning of each answer."""

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        allow_private: bool = False,
        resolve: Resolver = system_resolve,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self._resolve = resolve
        self._ssl_context = ssl_context or httpcore.default_ssl_context()

    def push(self, endpoint: str, token: str) -> PushResult:
        """POST ``token`` to ``endpoint``; never raises (every failure is a result)."""
        deadline = time.monotonic() + self.timeout
        try:
            url = self._target(endpoint)
            host = url.raw_host.decode("ascii")
            port = url.port or (443 if url.scheme == "https" else 80)
            return self._post(url, host, self._addresses(host, port, deadline), token, deadline)
        except _Retry as err:
            return PushResult("retry", None, _line(str(err)))
        except Exception as err:  # errors are data: a push never takes the delivery run down
            return PushResult("retry", None, _line(f"push failed: {type(err).__name__}: {err}"))

    def _target(self, endpoint: str) -> httpx.URL:
        if not endpoint:
            raise _Retry("the project has no events endpoint")
        try:
            check_endpoint(endpoint, allow_private=self.allow_private)
            return httpx.URL(endpoint)
        except (DomainError, httpx.InvalidURL, ValueError) as err:
            raise _Retry(getattr(err, "message", None) or str(err)) from None

    def _addresses(self, host: str, port: int, deadline: float) -> list[str]:
        """Every address of ``host``, all allowed, or the push does not happen."""
        try:
            ipaddress.ip_address(host.strip("[]"))
            found = [host.strip("[]")]
        except ValueError:
            found = _resolve_within(self._resolve, host, port, deadline)
        if not found:
            raise _Retry(f"{host} has no address")
        for address in found:
            if not (self.allow_private or is_public_address(address)):
                raise _Retry(f"{host} resolves to {address}, a private or loopback address")
        return found

    def _post(
        self, url: httpx.URL, host: str, addresses: list[str], token: str, deadline: float
    ) -> PushResult:
        body = token.encode("ascii")
        headers = [
            (b"Host", url.netloc),
            (b"Content-Type", CONTENT_TYPE),
            (b"Accept", b"application/json"),
            (b"User-Agent", USER_AGENT),
            (b"Content-Length", str(len(body)).encode()),
            (b"Connection", b"close"),
        ]
        core_url = httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path)
        last = "could not connect"
        for address in addresses:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Retry("timed out")
            timeouts = {"connect": left, "read": left, "write": left, "pool": left}
            try:
                with (
                    httpcore.ConnectionPool(
                        ssl_context=self._ssl_context,
                        network_backend=PinnedBackend(host, address, deadline),
                        retries=0,
                        max_keepalive_connections=0,
                    ) as pool,
                    pool.stream(
                        "POST", core_url, headers=headers, content=body, extensions={"timeout": timeouts}
                    ) as response,
                ):
                    answer = _read_some(response.iter_stream())
                    return _judge(response.status, answer)
            except httpcore.ConnectError as err:  # the next checked address, as browsers do
                last = (
                    f"could not connect to {address}: {err}"
                    if str(err)
                    else f"could not connect to {address}"
                )
            except httpcore.TimeoutException:
                raise _Retry(f"timed out after {self.timeout:g} s") from None
            except (httpcore.ProtocolError, httpcore.NetworkError) as err:
                raise _Retry(f"bad answer from {address}: {err or type(err).__name__}") from None
        raise _Retry(last)


def _judge(status: int, answer: bytes) -> PushResult:
    if status == 202:
        return PushResult("delivered", status, "")
    if 200 <= status < 300:
        return PushResult("delivered", status, f"acknowledged with HTTP {status} (RFC 8935 asks for 202)")
    if status == 400:
        return PushResult("rejected", status, _line(f"rejected by the app: {_error_of(answer)}"))
    if 300 <= status < 400:
        return PushResult("retry", status, f"HTTP {status}: redirects are not followed; set the final URL")
    return PushResult("retry", status, f"HTTP {status}")


def _error_of(answer: bytes) -> str:
    """``err: description`` of an RFC 8935 error document, or the start of whatever came."""
    try:
        doc = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("err"), str):
        description = doc.get("description")
        return f"{doc['err']}: {description}" if isinstance(description, str) else doc["err"]
    text = answer.decode("utf-8", "replace").strip()
    return f"HTTP 400 {text[:200]}" if text else "HTTP 400 (no error document)"


def _read_some(chunks: Iterable[bytes]) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) >= MAX_ANSWER:
            break
    return bytes(body[:MAX_ANSWER])


def _resolve_within(resolve: Resolver, host: str, port: int, deadline: float) -> list[str]:
    """The resolver on a daemon thread, so a dead name server cannot outlast the deadline."""
    box: list[list[str] | Exception] = []

    def run() -> None:
        try:
            box.append([str(a) for a in resolve(host, port)])
        except Exception as err:  # handed back to the caller's thread below
            box.append(err)

    worker = threading.Thread(target=run, name="consentry-events-resolve", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if not box:
        raise _Retry(f"resolving {host} timed out")
    outcome = box[0]
    if isinstance(outcome, Exception):
        raise _Retry(f"{host} does not resolve ({outcome})")
    return outcome


def _line(text: str) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= MAX_DETAIL else f"{line[: MAX_DETAIL - 1]}…"
