"""The one parameter check every protocol endpoint runs before Authlib sees the request.

Repeated parameters: RFC 6749 §3.1/§3.2 say request parameters "MUST NOT be included more than
once". Authlib (and our MultiDict) would read the first value, while a proxy, a WAF or the client
library may read another, so two parties would disagree on what the request said (which
``client_secret``, which ``redirect_uri``). Any name sent twice is refused, known or not: a name
we ignore today may be read by a later extension. Only RFC 8707 ``resource`` may repeat.
/authorize answers with an error page, never a redirect, even when only ``scope`` is repeated
and the client and redirect URI are sound (RFC 6749 §4.1.2.1 would allow a redirect): one rule,
applied before the client or redirect URI is looked at, never redirects to a repeated URI.

Malformed keywords: Authlib copies some caller-supplied values (response_type, grant_type) into
its error description and then refuses non-ASCII descriptions with a ValueError. RFC 6749
Appendix A limits these parameters to printable ASCII, so anything else is refused up front.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

KEYWORD = re.compile(r"^[A-Za-z0-9_:.\-+ /~]{0,256}$")
KEYWORD_PARAMS = (
    "response_type",
    "grant_type",
    "token_type_hint",
    "code_challenge_method",
    "client_assertion_type",
    "prompt",
    "access_type",
    "response_mode",
)


#: URIs are ASCII (RFC 3986); an IRI or a control character cannot be a registered redirect URI.
URI = re.compile(r"^[\x21-\x7e]{0,2048}$")
URI_PARAMS = ("redirect_uri",)


#: Parameters a request may carry more than once (RFC 8707 §2: one ``resource`` per audience).
REPEATABLE = frozenset({"resource"})
#: A parameter name safe to quote in an error_description (RFC 6749 §5.2 limits its characters).
NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


class _Values(Protocol):
    def get(self, key: str, default: str | None = None, /) -> str | None: ...


class _Params(_Values, Protocol):
    def pairs(self) -> list[tuple[str, str]]: ...


def param_error(values: _Params) -> str | None:
    """Why the request's parameters are refused (an ``invalid_request`` description), or None.

    Never echoes a value; names the parameter only when the name itself is printable and short.
    """
    pairs = values.pairs()
    if (name := repeated_param(pairs)) is not None:
        return f"Parameter '{name}' is repeated." if NAME.fullmatch(name) else "A parameter is repeated."
    if (name := nul_param(pairs)) is not None:
        # No protocol value holds a NUL (RFC 6749 Appendix A), and PostgreSQL could not store one.
        return (
            f"Parameter '{name}' holds a NUL character."
            if NAME.fullmatch(name)
            else "A parameter holds a NUL."
        )
    if (name := malformed_param(values)) is not None:
        return f"Malformed '{name}'."
    return None


def repeated_param(pairs: Iterable[tuple[str, str]]) -> str | None:
    """Name of the first parameter sent more than once (other than ``REPEATABLE``), or None."""
    seen: set[str] = set()
    for name, _value in pairs:
        if name in seen and name not in REPEATABLE:
            return name
        seen.add(name)
    return None


def nul_param(pairs: Iterable[tuple[str, str]]) -> str | None:
    """Name of the first parameter whose name or value holds a NUL character, or None."""
    for name, value in pairs:
        if "\x00" in value or "\x00" in name:
            return name
    return None


def malformed_param(values: _Values) -> str | None:
    """Name of the first parameter whose value is not a protocol keyword or URI, or None."""
    for name in KEYWORD_PARAMS:
        value = values.get(name)
        if value is not None and not KEYWORD.fullmatch(value):
            return name
    for name in URI_PARAMS:
        value = values.get(name)
        if value is not None and not URI.fullmatch(value):
            return name
    return None
