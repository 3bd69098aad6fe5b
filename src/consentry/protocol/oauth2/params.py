"""Reject malformed protocol keywords before Authlib sees them.

Authlib copies some caller-supplied values (response_type, grant_type) into its error
description and then refuses non-ASCII descriptions with a ValueError. RFC 6749 Appendix A
limits these parameters to printable ASCII, so anything else is an invalid_request up front.
"""

from __future__ import annotations

import re
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


class _Values(Protocol):
    def get(self, key: str, default: str | None = None, /) -> str | None: ...


def malformed_param(values: _Values) -> str | None:
    """Name of the first parameter whose value is not a protocol keyword or URI, or None."""
    for name in KEYWORD_PARAMS:
        value = values.get(name)
        if value is not None and not KEYWORD.match(value):
            return name
    for name in URI_PARAMS:
        value = values.get(name)
        if value is not None and not URI.match(value):
            return name
    return None
