"""Redirect-URI rules: what may be registered, and exact matching (RFC 9700 2.1).

Installed apps register a loopback URI and may use any port at run time (RFC 8252 7.3).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from consentry.errors import DomainError

LOOPBACK_HOSTS = ("127.0.0.1", "[::1]", "localhost")


def _is_loopback(host: str | None) -> bool:
    return host in ("127.0.0.1", "::1", "localhost")


def validate_registration(uri: str, client_type: str) -> str:
    """Refuse URIs that would make redirects unsafe: fragments, wildcards, http off-loopback, raw IPs."""
    try:
        parts = urlsplit(uri)
    except ValueError as exc:
        raise DomainError("invalid_redirect_uri", f"{uri!r} is not a URI") from exc
    if parts.fragment or "#" in uri:
        raise DomainError("invalid_redirect_uri", "redirect URIs must not contain a fragment")
    if "*" in uri:
        raise DomainError("invalid_redirect_uri", "redirect URIs must not contain wildcards")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DomainError("invalid_redirect_uri", f"{uri!r} must be an absolute http(s) URI")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise DomainError("invalid_redirect_uri", "http is allowed only for loopback addresses")
    if not _is_loopback(parts.hostname):
        try:
            ipaddress.ip_address(parts.hostname)
        except ValueError:
            pass
        else:
            raise DomainError("invalid_redirect_uri", "raw IP addresses are not allowed (except loopback)")
    if client_type == "installed" and not _is_loopback(parts.hostname):
        raise DomainError("invalid_redirect_uri", "installed apps use a loopback redirect (RFC 8252)")
    return uri


def matches(requested: str, registered: list[str], client_type: str) -> bool:
    """Exact string match; for installed apps, loopback URIs match on any port."""
    if requested in registered:
        return True
    if client_type != "installed":
        return False
    try:
        req = urlsplit(requested)
    except ValueError:
        return False
    if req.scheme != "http" or not _is_loopback(req.hostname) or req.fragment:
        return False
    for uri in registered:
        reg = urlsplit(uri)
        if (reg.scheme, reg.hostname, reg.path or "/", reg.query) == (
            req.scheme,
            req.hostname,
            req.path or "/",
            req.query,
        ):
            return True
    return False
