"""Find the bearer token in a request: the Authorization header and nowhere else.

RFC 6750 §2.1 defines the header; §2.3 (query string) is refused because URLs end up in logs,
browser history and Referer headers (RFC 9700 §4.3.2). The form-body method (§2.2) is not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

from consentry.guard.errors import InvalidRequest, InvalidToken, MissingToken

#: RFC 6750 §2.1 b64token.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
#: Far above any real token, but stops a multi-megabyte header from reaching the verifier.
MAX_TOKEN_LENGTH = 8192


def token_in_query(query_string: str) -> bool:
    return any(k == "access_token" for k, _ in parse_qsl(query_string, keep_blank_values=True))


def bearer_token(authorization: Iterable[str], query_string: str = "") -> str:
    """Return the token, or raise MissingToken / InvalidRequest / InvalidToken."""
    if token_in_query(query_string):
        raise InvalidRequest("access tokens are accepted only in the Authorization header")
    values = list(authorization)
    if len(values) > 1:
        raise InvalidRequest("more than one Authorization header")
    if not values:
        raise MissingToken("this API needs a bearer token in the Authorization header")
    scheme, _, credentials = values[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        # Another scheme (Basic, ...) is "no usable credentials", not a bad token (RFC 6750 §3.1).
        raise MissingToken("this API needs a bearer token in the Authorization header")
    token = credentials.strip()
    if not token:
        raise InvalidToken("the Authorization header has no token")
    if len(token) > MAX_TOKEN_LENGTH or not _B64TOKEN.fullmatch(token):
        raise InvalidToken("the bearer token is malformed")
    return token


def header_values(raw_headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    """Authorization header values from an ASGI header list (latin-1, as HTTP/1.1 allows)."""
    return [v.decode("latin-1") for k, v in raw_headers if k.lower() == b"authorization"]
