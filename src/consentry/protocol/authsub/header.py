"""``Authorization: AuthSub token="..."`` and its secure form, as every old client sent it.

Written by hand: no library parses AuthSub. The forms seen in the wild (PLATFORM_RULES §3):

- ``AuthSub token="<t>"`` (the documentation, Zend, gdata-java) and ``AuthSub token=<t>``
  (gdata-python v1 and v2 put no quotes around the token);
- secure: ``token``, ``sigalg``, ``data`` and ``sig`` in any order (gdata-python v1 and Zend put
  ``sigalg`` last, gdata-python v2 and Net::Google::AuthSub right after the token), separated by
  spaces (some HTTP stacks add commas, as RFC 7235 auth-params have them).

The value of ``data`` holds spaces (``GET <url> <time> <nonce>``), so a parameter value is either
a quoted string (backslash escapes allowed) or a run of characters up to the next space or comma.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCHEME = "authsub"
#: Longest credentials looked at: a URL in ``data`` plus a 4096-bit signature fit well within.
MAX_CREDENTIALS = 8192
KNOWN = frozenset({"token", "sigalg", "data", "sig"})
_PARAM = re.compile(r'\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*,?')
_UNESCAPE = re.compile(r"\\(.)")


class HeaderError(ValueError):
    """The credentials cannot be read; the message says what to send instead."""


@dataclass(frozen=True, slots=True)
class Credentials:
    token: str
    #: Set when the request is signed (a secure token): all three, or a HeaderError.
    sigalg: str | None = None
    data: str | None = None
    sig: str | None = None

    @property
    def signed(self) -> bool:
        return self.sig is not None


def split_scheme(authorization: str) -> tuple[str, str]:
    """``"AuthSub token=x"`` -> ``("authsub", "token=x")``; the scheme lower-cased."""
    scheme, _, rest = authorization.strip().partition(" ")
    return scheme.lower(), rest


def parse_params(credentials: str) -> dict[str, str]:
    """The auth-params after the scheme name; duplicates and stray text are refused."""
    if len(credentials) > MAX_CREDENTIALS:
        raise HeaderError("the Authorization header is too long")
    params: dict[str, str] = {}
    pos, text = 0, credentials.strip()
    while pos < len(text):
        m = _PARAM.match(text, pos)
        if m is None or m.end() == pos:
            raise HeaderError('could not read the Authorization header; send AuthSub token="<token>"')
        name = m.group(1).lower()
        value = _UNESCAPE.sub(r"\1", m.group(2)) if m.group(2) is not None else m.group(3)
        if name in params:
            raise HeaderError(f"the Authorization header names {name} twice")
        params[name] = value
        pos = m.end()
    return params


def parse(credentials: str) -> Credentials:
    """The credentials of an ``AuthSub`` Authorization header (without the scheme name)."""
    params = parse_params(credentials)
    token = params.get("token", "")
    if not token:
        raise HeaderError('the Authorization header carries no token; send AuthSub token="<token>"')
    signing = [params.get(k) for k in ("sigalg", "data", "sig")]
    if not any(v is not None for v in signing):
        return Credentials(token)
    if not all(signing):
        raise HeaderError("a signed AuthSub request needs sigalg, data and sig together")
    sigalg, data, sig = signing
    assert sigalg is not None and data is not None and sig is not None
    return Credentials(token, sigalg.lower(), data, sig)


def from_header(authorization: str) -> Credentials:
    """The whole header value, scheme included."""
    scheme, rest = split_scheme(authorization)
    if scheme != SCHEME:
        raise HeaderError('send the token as Authorization: AuthSub token="<token>"')
    return parse(rest)


def header(token: str, *, sigalg: str | None = None, data: str | None = None, sig: str | None = None) -> str:
    """The header as the documentation writes it (tests and the docs' examples use it)."""
    value = f'AuthSub token="{token}"'
    if sig is not None:
        value += f' sigalg="{sigalg or "rsa-sha1"}" data="{data}" sig="{sig}"'
    return value
