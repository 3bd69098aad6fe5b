"""Redirect-URI rules: one strict parser, what may be registered, and exact matching (RFC 9700 §2.1).

``urllib.parse.urlsplit`` is lenient (ISSUE-9.12): it reads ``http://evil.com@127.0.0.1:5555/`` as
a loopback URI with userinfo, accepts ``:abc``, ``:99999`` and ``:80:evil.com`` until ``.port`` is
read, and passes backslashes, spaces and non-ASCII hosts that browsers then rewrite. Every URI, at
registration and at /authorize, goes through :func:`parse_redirect_uri`, which accepts only
``scheme://host[:port][/path][?query]`` in plain RFC 3986 ASCII, or raises.

Installed apps register a loopback IP literal and may use any port at run time (RFC 8252 §7.3).
``localhost`` is not recommended (RFC 8252 §8.3: it may resolve elsewhere or be firewalled), so
only 127.0.0.1 and [::1] count as loopback for installed apps and for the any-port rule.
"""

from __future__ import annotations

import ipaddress
import string
from dataclasses import dataclass

from consentry.errors import DomainError

#: Far above any real redirect URI; the same bound the protocol layer applies to the parameter.
MAX_URI_LENGTH = 2048
#: The only loopback hosts installed apps may register (RFC 8252 §7.3, §8.3).
LOOPBACK_IPS = ("127.0.0.1", "[::1]")
#: Web clients may also use plain http on ``localhost`` (development servers).
WEB_LOOPBACK_HOSTS = (*LOOPBACK_IPS, "localhost")

_SCHEME_FIRST = frozenset(string.ascii_lowercase)
_SCHEME = frozenset(string.ascii_lowercase + string.digits + "+.-")
_LABEL = frozenset(string.ascii_lowercase + string.digits + "-")
_HEX = frozenset(string.hexdigits)
# RFC 3986 §3.3 pchar (unreserved, sub-delims, ":" and "@"; "%" checked separately) and "/".
_PATH = frozenset(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/%")
_QUERY = _PATH | {"?"}  # RFC 3986 §3.4


@dataclass(frozen=True)
class RedirectURI:
    """A redirect URI as this server reads it; ``host`` is lower case, IPv6 in brackets."""

    scheme: str
    host: str
    port: int | None
    path: str
    query: str

    @property
    def authority(self) -> str:
        """``host[:port]``: what the consent page shows as the app's address."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def is_ip_literal(self) -> bool:
        return self.host.startswith("[") or _is_ipv4(self.host)

    @property
    def is_loopback_ip(self) -> bool:
        return self.host in LOOPBACK_IPS


def _refuse(uri: str, why: str) -> DomainError:
    shown = uri if len(uri) <= 100 else f"{uri[:100]}… ({len(uri)} characters)"
    return DomainError("invalid_redirect_uri", f"{shown!r} is not an acceptable redirect URI: {why}")


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)  # dotted quad only; refuses leading zeros
    except ValueError:
        return False
    return True


def _host(uri: str, host: str) -> str:
    """A DNS name of letter-digit-hyphen labels, a dotted-quad IPv4 or a bracketed IPv6 address."""
    if not host:
        raise _refuse(uri, "the host is empty")
    if host.startswith("["):
        if not host.endswith("]") or "%" in host:
            raise _refuse(uri, "the IPv6 address is malformed")
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            raise _refuse(uri, "the IPv6 address is malformed") from None
    host = host.lower()
    labels = host.split(".")
    last = labels[-1]
    # Browsers read a host ending in a number (127.1, 0x7f.1, 2130706433) as an IPv4 address.
    if last.isdigit() or last.startswith("0x"):
        if not _is_ipv4(host):
            raise _refuse(uri, "an IPv4 address must be written as four decimal numbers")
        return host
    if len(host) > 253 or not all(
        0 < len(label) <= 63 and set(label) <= _LABEL and label[0] != "-" and label[-1] != "-"
        for label in labels
    ):
        raise _refuse(uri, "the host is not a plain ASCII domain name (use punycode for IDNs)")
    return host


def _port(uri: str, port: str) -> int:
    if not (port.isascii() and port.isdigit()) or len(port) > 5 or port[0] == "0":
        raise _refuse(uri, "the port must be a number from 1 to 65535")
    value = int(port)
    if value > 65535:
        raise _refuse(uri, "the port must be a number from 1 to 65535")
    return value


def _check_chars(uri: str, text: str, allowed: frozenset[str], where: str) -> None:
    if not set(text) <= allowed:
        raise _refuse(uri, f"the {where} has characters that must be percent-encoded")
    for i, char in enumerate(text):
        if char == "%" and not (len(text) > i + 2 and text[i + 1] in _HEX and text[i + 2] in _HEX):
            raise _refuse(uri, f"the {where} has a malformed percent-encoding")


def parse_redirect_uri(uri: str) -> RedirectURI:
    """Parse ``uri`` strictly, or raise ``DomainError("invalid_redirect_uri", why)``."""
    if not isinstance(uri, str) or not uri:
        raise DomainError("invalid_redirect_uri", "the redirect URI is empty")
    if len(uri) > MAX_URI_LENGTH:
        raise _refuse(uri, f"longer than {MAX_URI_LENGTH} characters")
    if not all("!" <= c <= "~" for c in uri) or "\\" in uri:
        raise _refuse(uri, "only printable ASCII without spaces or backslashes is allowed")
    if "#" in uri:
        raise _refuse(uri, "redirect URIs must not contain a fragment (RFC 6749 §3.1.2)")
    scheme, sep, rest = uri.partition("://")
    if not sep or not scheme or scheme[0] not in _SCHEME_FIRST or not set(scheme) <= _SCHEME:
        raise _refuse(uri, "it must be an absolute URI with a lower-case scheme and a host")
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    if "@" in authority:
        raise _refuse(uri, "user information (user@host) is not allowed")
    if authority.startswith("["):
        end = authority.find("]") + 1
        raw_host, after = (authority[:end], authority[end:]) if end else (authority, "")
    else:
        raw_host, colon, port_text = authority.partition(":")
        after = colon + port_text
    host = _host(uri, raw_host)
    port = _port(uri, after[1:]) if after.startswith(":") else None
    if after and port is None:
        raise _refuse(uri, "unexpected characters after the host")
    path, _q, query = tail.partition("?")
    _check_chars(uri, path, _PATH, "path")
    _check_chars(uri, query, _QUERY, "query")
    if any(seg.lower().replace("%2e", ".") in (".", "..") for seg in path.split("/")):
        raise _refuse(uri, "the path must not contain . or .. segments")
    return RedirectURI(scheme, host, port, path, query)


def validate_registration(uri: str, client_type: str) -> str:
    """Refuse URIs that would make redirects unsafe: fragments, wildcards, userinfo, bad ports,
    http off loopback, raw IPs, and anything but a loopback IP literal for installed apps."""
    parsed = parse_redirect_uri(uri)
    if "*" in uri:
        raise _refuse(uri, "redirect URIs must not contain wildcards")
    if parsed.scheme not in ("https", "http"):
        raise _refuse(uri, "it must be an absolute http(s) URI")
    if client_type == "installed":
        if not parsed.is_loopback_ip:
            raise _refuse(
                uri, "installed apps use a loopback redirect on 127.0.0.1 or [::1] (RFC 8252 §7.3, §8.3)"
            )
        return uri
    if parsed.scheme == "http" and parsed.host not in WEB_LOOPBACK_HOSTS:
        raise _refuse(uri, "http is allowed only for loopback addresses")
    if parsed.is_ip_literal and not parsed.is_loopback_ip:
        raise _refuse(uri, "raw IP addresses are not allowed (except loopback)")
    return uri


def _parsed(uri: str) -> RedirectURI | None:
    try:
        return parse_redirect_uri(uri)
    except DomainError:
        return None


def matches(requested: str, registered: list[str], client_type: str) -> bool:
    """Exact string match of a strictly parsed URI; for installed apps, a loopback IP literal
    over http matches a registered one on any port (RFC 8252 §7.3)."""
    req = _parsed(requested)
    if req is None:
        return False
    if requested in registered:
        return True
    if client_type != "installed" or req.scheme != "http" or not req.is_loopback_ip:
        return False
    key = (req.scheme, req.host, req.path or "/", req.query)
    for uri in registered:
        reg = _parsed(uri)
        if reg is not None and (reg.scheme, reg.host, reg.path or "/", reg.query) == key:
            return True
    return False


def display_authority(uri: str | None) -> str:
    """``host[:port]`` of a redirect URI for the consent page, or "" if it does not parse."""
    parsed = _parsed(uri) if uri else None
    return parsed.authority if parsed else ""
