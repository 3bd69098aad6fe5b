"""``CONSENTRY_SMTP_URL``: where the outbox hands its mail over, parsed once and refused loudly.

``smtp://[user:password@]host[:port][?starttls=required|opportunistic|off][&cafile=PATH]``
``smtps://[user:password@]host[:port][?cafile=PATH]``

- ``smtp`` (default port 25) speaks plain SMTP and upgrades with STARTTLS: ``required`` fails the
  delivery unless the server offers it and presents a certificate we trust; ``opportunistic``
  encrypts when offered, without checking the certificate (protection from passive eavesdropping
  only, as RFC 7435 describes, since whoever can strip STARTTLS can also fake a certificate);
  ``off`` never upgrades. The default is ``opportunistic``, and ``required`` when credentials are
  given, so a password only ever goes to a server whose certificate checks out.
- ``smtps`` (default port 465) is TLS from the first byte, always with certificate checks.
- ``cafile`` names a PEM file of CA certificates trusted instead of the system's (a private CA).
- The user name and password are percent-decoded (``%40`` for ``@``, ``%3A`` for ``:``).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Literal, cast
from urllib.parse import parse_qs, quote, unquote, urlsplit

from consentry.errors import DomainError

StartTls = Literal["required", "opportunistic", "off"]
STARTTLS_MODES: tuple[StartTls, ...] = ("required", "opportunistic", "off")
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
#: Seconds each socket operation may take; the sender's claim outlives several of them (sender.py).
DEFAULT_TIMEOUT = 20.0
_QUERY_KEYS = {"smtp": {"starttls", "cafile"}, "smtps": {"cafile"}}


def _invalid(message: str) -> DomainError:
    return DomainError(
        "invalid_smtp_url",
        f"CONSENTRY_SMTP_URL: {message} (expected smtp://[user:password@]host[:port]"
        "[?starttls=required|opportunistic|off] or smtps://[user:password@]host[:port])",
    )


@dataclass(frozen=True)
class SmtpConfig:
    """A parsed SMTP URL; :meth:`parse` is the only way in that checks every part."""

    host: str
    port: int
    implicit_tls: bool = False
    starttls: StartTls = "opportunistic"
    username: str | None = None
    password: str | None = None
    cafile: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def parse(cls, url: str) -> SmtpConfig:
        """Parse ``url`` or raise ``DomainError("invalid_smtp_url")`` naming what is wrong."""
        if not isinstance(url, str) or not url.strip():
            raise _invalid("empty")
        if any(not ch.isprintable() or ch.isspace() for ch in url):
            raise _invalid("whitespace or control characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as err:
            raise _invalid(str(err)) from None
        if port == 0:
            raise _invalid("port 0")
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise _invalid(f"unsupported scheme {parts.scheme or '(none)'!r}")
        if not parts.hostname:
            raise _invalid("no host")
        if parts.path not in ("", "/") or parts.fragment:
            raise _invalid("no path or fragment is allowed")
        query = _query(parts.query, scheme)
        username = unquote(parts.username) if parts.username is not None else None
        password = unquote(parts.password) if parts.password is not None else None
        if (username is None) != (password is None) or username == "" or password == "":
            raise _invalid("give both a user name and a password, or neither")
        starttls = query.get("starttls", "required" if username else "opportunistic")
        if starttls not in STARTTLS_MODES:
            raise _invalid(f"starttls must be one of {', '.join(STARTTLS_MODES)}, not {starttls!r}")
        return cls(
            host=parts.hostname,
            port=port or DEFAULT_PORTS[scheme],
            implicit_tls=scheme == "smtps",
            starttls=cast(StartTls, starttls) if scheme == "smtp" else "required",
            username=username,
            password=password,
            cafile=query.get("cafile"),
        )

    @property
    def verifies_certificate(self) -> bool:
        """Whether TLS (when used) checks the certificate: always except opportunistic STARTTLS."""
        return self.implicit_tls or self.starttls == "required"

    def tls_context(self) -> ssl.SSLContext:
        """The client TLS context: verified against ``cafile`` or the system CAs, or not at all."""
        if not self.verifies_certificate:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        return ssl.create_default_context(cafile=self.cafile)

    def redacted(self) -> str:
        """The URL with the password hidden, for logs and command output."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        auth = f"{quote(self.username, safe='')}:***@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = [] if self.implicit_tls else [f"starttls={self.starttls}"]
        if self.cafile:
            query.append(f"cafile={quote(self.cafile)}")
        suffix = f"?{'&'.join(query)}" if query else ""
        return f"{scheme}://{auth}{host}:{self.port}{suffix}"


def _query(query: str, scheme: str) -> dict[str, str]:
    """The query's keys, each at most once and known for the scheme."""
    try:
        values = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise _invalid(f"malformed query {query!r}") from None
    unknown = sorted(set(values) - _QUERY_KEYS[scheme])
    if unknown:
        raise _invalid(f"unknown parameter {unknown[0]!r} for {scheme}://")
    repeated = sorted(key for key, found in values.items() if len(found) > 1)
    if repeated:
        raise _invalid(f"parameter {repeated[0]!r} given more than once")
    out = {key: found[0] for key, found in values.items()}
    if out.get("cafile") == "":
        raise _invalid("cafile is empty")
    return out
