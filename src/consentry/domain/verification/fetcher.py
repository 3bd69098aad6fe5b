"""Fetch a developer-supplied URL without letting it reach the operator's own network.

The pre-checks (VERIFY-4, VERIFY-5, LIMIT-5) fetch pages a developer names, so a URL, a
redirect, or a DNS answer that changes between check and connect must never reach
loopback, the cloud metadata address or a private network. The fetcher resolves each
host itself, refuses the hop when any answer is not a public address, and connects to
exactly the address it checked. It does so through httpcore (httpx's own engine, installed
with it) because httpcore takes a network backend and httpx's transport does not: the URL
keeps its real host name, so the Host header, TLS SNI and the certificate check all use
it, while the socket goes to the pinned address. The same backend clamps every connect,
read and write to one deadline, so a server that drips bytes cannot hold a fetch past
``timeout``. It only downloads text; nothing it fetches is ever run.

Every failure is data: ``FetchResult.error`` holds one of the codes in ``ERRORS``.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpcore
import httpx

from consentry.domain.verification.addresses import is_public_address
from consentry.domain.verification.pinned_network import PinnedBackend

#: Maps (host, port) to the addresses to try; injectable so tests can name fake hosts.
Resolver = Callable[[str, int], Sequence[str]]

#: Stable error codes, in plain words (the pre-checks show these to developers).
ERRORS: dict[str, str] = {
    "bad_url": "the address is not a valid URL",
    "bad_scheme": "only http:// and https:// addresses can be fetched",
    "credentials_in_url": "the address carries a user name or password",
    "bad_port": "only the standard web ports (80 and 443) can be fetched",
    "dns_failure": "the host name does not resolve",
    "private_address": "the host resolves to a private, loopback or otherwise non-public address",
    "connect_failed": "the server could not be reached",
    "tls_error": "the HTTPS certificate or handshake failed",
    "timeout": "the server took too long to answer",
    "too_large": "the page is larger than the size limit; only its beginning was read",
    "too_many_redirects": "the page redirects too many times",
    "bad_redirect": "the page redirects without saying where",
    "bad_response": "the server's answer is not valid HTTP or cannot be decoded",
    "http_error": "the server answered with an error status",
    "fetch_failed": "the page could not be fetched",
}

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TEXT_TYPES = ("text/", "application/xhtml+xml", "application/xml", "application/json")
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset=[\"']?([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)
#: A DNS name (after IDNA) or an address literal; anything else (spaces, %-escapes, zones) is no host.
_HOST = re.compile(r"[A-Za-z0-9_.:-]{1,253}")
_ACCEPT = b"text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1"


@dataclass(frozen=True)
class FetchResult:
    """What one fetch found: the last answer received, or why there was none.

    ``redirects`` lists each redirect target followed, in order; ``final_url`` is where the
    fetch stopped (the last target, even when it was refused). ``text`` is the decoded body
    of a text response, at most ``max_bytes`` of it; it stays empty for other types.
    """

    url: str
    final_url: str
    status: int | None = None
    content_type: str = ""
    text: str = ""
    redirects: tuple[str, ...] = ()
    error: str | None = None
    detail: str = ""
    #: The address the last hop connected to (or was refused at), as evidence.
    address: str = ""

    @property
    def ok(self) -> bool:
        """A whole 2xx answer: no error at all."""
        return self.error is None and self.status is not None and 200 <= self.status < 300


def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host, A and AAAA, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _Refusal(Exception):
    """One hop cannot go on; carries the error code (internal, never leaves fetch())."""

    def __init__(self, code: str, detail: str = "", address: str = "") -> None:
        super().__init__(code)
        self.code, self.detail, self.address = code, detail, address


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    address: str
    body: bytes = b""
    truncated: bool = False


@dataclass
class _Trail:
    """The progress of one fetch, so a refusal mid-way still reports where it stopped."""

    url: str
    redirects: list[str] = field(default_factory=list)
    status: int | None = None


class SafeFetcher:
    """GETs public web pages for the pre-checks; see the module docstring for the guarantees."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed_networks: Iterable[str] = (),
        timeout: float = 5.0,
        max_bytes: int = 1_000_000,
        max_redirects: int = 5,
        user_agent: str = "Consentry-Verification/1 (app pre-checks)",
        resolve: Resolver = system_resolve,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``allow_private`` lets every address through (an operator testing on a LAN);
        ``allowed_networks`` lets through only the named CIDRs (an internal docs host)."""
        self.allow_private = allow_private
        self.allowed_networks = tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self._resolve = resolve
        self._ssl_context = ssl_context or httpcore.default_ssl_context()

    def fetch(self, url: str) -> FetchResult:
        """GET url, following redirects, each hop re-checked; never raises."""
        deadline = time.monotonic() + self.timeout
        trail = _Trail(url)
        current = url
        try:
            while True:
                answer = self._hop(current, deadline)
                trail.status = answer.status
                if answer.status not in REDIRECT_STATUSES:
                    return self._result(trail, current, answer)
                location = answer.headers.get("location", "").strip()
                if not location:
                    raise _Refusal("bad_redirect", f"HTTP {answer.status} without a Location")
                if len(trail.redirects) >= self.max_redirects:
                    raise _Refusal("too_many_redirects", f"more than {self.max_redirects}")
                current = urljoin(current, location)
                trail.redirects.append(current)
        except _Refusal as refusal:
            return self._failure(trail, current, refusal.code, refusal.detail, refusal.address)
        except Exception as exc:  # the promise is "errors are data": nothing escapes to callers
            return self._failure(trail, current, "fetch_failed", type(exc).__name__, "")

    def _failure(self, trail: _Trail, at: str, code: str, detail: str, address: str) -> FetchResult:
        return FetchResult(
            url=trail.url,
            final_url=at,
            status=trail.status,
            redirects=tuple(trail.redirects),
            error=code,
            detail=detail or ERRORS.get(code, ""),
            address=address,
        )

    def _result(self, trail: _Trail, at: str, answer: _Answer) -> FetchResult:
        content_type = answer.headers.get("content-type", "")
        error = "too_large" if answer.truncated else None
        if error is None and answer.status >= 400:
            error = "http_error"
        return FetchResult(
            url=trail.url,
            final_url=at,
            status=answer.status,
            content_type=content_type.split(";", 1)[0].strip().lower(),
            text=_decode(answer.body, content_type),
            redirects=tuple(trail.redirects),
            error=error,
            detail=f"HTTP {answer.status}" if error == "http_error" else ERRORS.get(error or "", ""),
            address=answer.address,
        )

    # -- one hop ---------------------------------------------------------------------------

    def _hop(self, url: str, deadline: float) -> _Answer:
        target = _parse(url)
        host = target.raw_host.decode("ascii")
        port = target.port or (443 if target.scheme == "https" else 80)
        addresses = self._addresses(host, port, deadline)
        if port not in (80, 443) and not (self.allow_private or self.allowed_networks):
            # A public home page is on a web port; anything else would let a developer-supplied URL
            # probe other services' ports from this server.
            raise _Refusal("bad_port", f"port {port}")
        last: _Refusal | None = None
        for address in addresses:
            try:
                return self._request(target, host, address, deadline)
            except httpcore.ConnectError as exc:  # try the next checked address, as browsers do
                last = _Refusal("tls_error" if _is_tls(exc) else "connect_failed", str(exc), address)
            except httpcore.TimeoutException as exc:
                raise _Refusal("timeout", str(exc) or ERRORS["timeout"], address) from exc
            except (httpcore.ProtocolError, httpcore.NetworkError, zlib.error) as exc:
                raise _Refusal("bad_response", str(exc) or type(exc).__name__, address) from exc
        raise last or _Refusal("connect_failed")

    def _addresses(self, host: str, port: int, deadline: float) -> list[str]:
        """Every address host resolves to, all checked; refuses the hop if any is not allowed."""
        try:
            ipaddress.ip_address(host)
            found: list[str] = [host]
        except ValueError:
            found = _resolve_within(self._resolve, host, port, deadline)
        if not found:
            raise _Refusal("dns_failure", f"{host} has no address")
        for address in found:
            if not self._allowed(address):
                raise _Refusal("private_address", f"{host} resolves to {address}", address)
        return found

    def _allowed(self, address: str) -> bool:
        if self.allow_private or is_public_address(address):
            return True
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return any(ip in network for network in self.allowed_networks)

    def _request(self, url: httpx.URL, host: str, address: str, deadline: float) -> _Answer:
        left = _time_left(deadline)
        backend = PinnedBackend(host, address, deadline)
        headers = [
            (b"Host", url.netloc),
            (b"User-Agent", self.user_agent.encode("ascii", "replace")),
            (b"Accept", _ACCEPT),
            (b"Accept-Encoding", b"identity"),
            (b"Connection", b"close"),
        ]
        core_url = httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path)
        timeouts = {"connect": left, "read": left, "write": left, "pool": left}
        with (
            httpcore.ConnectionPool(
                ssl_context=self._ssl_context, network_backend=backend, retries=0, max_keepalive_connections=0
            ) as pool,
            pool.stream("GET", core_url, headers=headers, extensions={"timeout": timeouts}) as response,
        ):
            answer = _Answer(response.status, _header_map(response.headers), address)
            if answer.status in REDIRECT_STATUSES or not _is_text(answer.headers.get("content-type", "")):
                return answer  # the body is never read: nothing to analyse in it
            body_stream: Iterable[bytes] = response.iter_stream()
            encoding = answer.headers.get("content-encoding", "identity").strip().lower()
            answer.body, answer.truncated = _read_capped(body_stream, encoding, self.max_bytes)
            return answer


def _time_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Refusal("timeout")
    return left


def _resolve_within(resolve: Resolver, host: str, port: int, deadline: float) -> list[str]:
    """Runs the resolver on a daemon thread so a dead name server cannot outlast the deadline."""
    box: list[list[str] | Exception] = []

    def run() -> None:
        try:
            box.append([str(a) for a in resolve(host, port)])
        except Exception as exc:  # handed back to the caller's thread below
            box.append(exc)

    worker = threading.Thread(target=run, name="consentry-resolve", daemon=True)
    worker.start()
    worker.join(_time_left(deadline))
    if not box:
        raise _Refusal("timeout" if worker.is_alive() else "dns_failure", f"resolving {host} failed")
    outcome = box[0]
    if isinstance(outcome, Exception):
        raise _Refusal("dns_failure", f"{host}: {outcome}")
    return outcome


# -- URL, headers, body ------------------------------------------------------------------------


def _parse(url: str) -> httpx.URL:
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise _Refusal("bad_url", str(exc)) from exc
    if target.scheme not in ("http", "https"):
        raise _Refusal("bad_scheme", f"scheme {target.scheme or '(none)'!r}")
    if target.userinfo:
        raise _Refusal("credentials_in_url")
    host = target.raw_host.decode("ascii", "replace")
    if not _HOST.fullmatch(host):
        raise _Refusal("bad_url", f"host {host!r}" if host else "no host")
    if target.port is not None and not 0 < target.port < 65536:
        raise _Refusal("bad_url", f"port {target.port}")
    return target


def _is_tls(exc: BaseException) -> bool:
    cause = exc.__cause__ or exc.__context__
    return isinstance(cause, ssl.SSLError) or "SSL" in str(exc)


def _header_map(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}


def _is_text(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return not kind or kind.startswith(_TEXT_TYPES)


def _read_capped(chunks: Iterable[bytes], encoding: str, limit: int) -> tuple[bytes, bool]:
    """Reads at most limit bytes of the decoded body; a compressed bomb stops at the same limit."""
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater: Any = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, detected
    elif encoding in ("", "identity"):
        inflater = None
    else:
        raise _Refusal("bad_response", f"unsupported content encoding {encoding!r}")
    body = bytearray()
    for chunk in chunks:
        data = inflater.decompress(chunk, limit + 1 - len(body)) if inflater else chunk
        body += data
        if len(body) > limit:
            return bytes(body[:limit]), True
    return bytes(body), False


def _decode(body: bytes, content_type: str) -> str:
    """Decodes by the declared charset, else a <meta charset>, else UTF-8; bad bytes replaced."""
    if not body:
        return ""
    charset = ""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    if not charset and (found := _META_CHARSET.search(body[:2048])):
        charset = found.group(1).decode("ascii")
    try:
        codecs.lookup(charset or "utf-8")
    except LookupError:
        charset = "utf-8"
    return body.decode(charset or "utf-8", errors="replace")
