"""The request-token parameters (AUTH1-3, AUTH1-10) and the callback (AUTH1-7), as sent on the wire.

``scope`` is required (space-separated); ``oauth_callback`` is an http(s) URL, ``oob``, or absent
(AUTH1-9); ``xoauth_displayname`` and ``hd`` are optional; ``xoauth_device=1`` asks for a code the
user types on another device (AUTH1-10, our extension: there is no callback then).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from authlib.oauth1.rfc5849.wrapper import OAuth1Request

from consentry.protocol.oauth1.problems import absent, rejected
from consentry.protocol.oauth1.signed import oauth, param

OOB = "oob"
MAX_CALLBACK = 2000
MAX_NAME = 200
MAX_HD = 255


@dataclass(frozen=True, slots=True)
class TokenRequest:
    scope: str
    #: "" (none: AUTH1-9), "oob" (AUTH1-8) or an http(s) URL (AUTH1-7).
    callback: str
    display_name: str
    hd: str
    device: bool


def valid_callback(value: str) -> str:
    """``oob``, "" or an absolute http(s) URL without credentials or fragment; else refused.

    No other scheme: the user's browser is sent there, and ``javascript:`` must never be.
    """
    if value in ("", OOB):
        return value
    if len(value) > MAX_CALLBACK or not value.isascii() or not value.isprintable() or " " in value:
        raise rejected("oauth_callback", "oauth_callback is an http(s) URL or oob")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise rejected("oauth_callback", "oauth_callback is an http(s) URL or oob") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise rejected("oauth_callback", "oauth_callback is an http(s) URL or oob")
    if parts.fragment:
        raise rejected("oauth_callback", "oauth_callback cannot carry a #fragment")
    return value


def _text(request: OAuth1Request, name: str, limit: int) -> str:
    value = (param(request, name) or "").strip()
    if len(value) > limit or not value.isprintable():
        raise rejected(name, f"{name} is at most {limit} printable characters")
    return value


def token_request(request: OAuth1Request) -> TokenRequest:
    scope = (param(request, "scope") or "").strip()
    if not scope:
        raise absent("scope")
    if not scope.isprintable():
        raise rejected("scope", "scope is URL prefixes separated by spaces")
    callback = valid_callback(oauth(request, "oauth_callback"))
    device = (param(request, "xoauth_device") or "").lower() in ("1", "true")
    if device and callback not in ("", OOB):
        raise rejected("oauth_callback", "a device-mode request has no callback: send oob or none")
    return TokenRequest(
        scope=scope,
        callback=callback,
        display_name=_text(request, "xoauth_displayname", MAX_NAME),
        hd=_text(request, "hd", MAX_HD).lower(),
        device=device,
    )


def callback_with(callback: str, pairs: list[tuple[str, str]]) -> str:
    """The callback with ``pairs`` added after its own query, which is kept as sent (AUTH1-7)."""
    extra = urlencode(pairs)
    sep = "&" if urlsplit(callback).query else ("" if callback.endswith("?") else "?")
    return callback + sep + extra


def callback_domain(callback: str) -> str:
    """The host an unregistered app's callback points at: its name when it gave none (AUTH1-11)."""
    if callback in ("", OOB):
        return ""
    return (urlsplit(callback).hostname or "").lower()
