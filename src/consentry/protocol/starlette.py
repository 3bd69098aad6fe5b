"""Starlette request -> Authlib request objects.

Authlib ships no server integration for Starlette; this is the small adapter it needs. The
protocol adapter reads the body first, so the Authlib call then runs synchronously.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from functools import cached_property
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request

FORM_TYPE = "application/x-www-form-urlencoded"


class MultiDict:
    """Read-only first-value view over (key, value) pairs, like werkzeug's MultiDict."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._first: dict[str, str] = {}
        for k, v in pairs:
            self._first.setdefault(k, v)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self._first.get(key, default)

    def __getitem__(self, key: str) -> str:
        return self._first[key]

    def __contains__(self, key: object) -> bool:
        return key in self._first

    def __iter__(self):
        return iter(self._first)

    def keys(self):
        return self._first.keys()

    def items(self):
        return self._first.items()

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self._pairs if k == key]

    def pairs(self) -> list[tuple[str, str]]:
        """Every (key, value) as sent, repeats included (``protocol.oauth2.params`` checks them)."""
        return list(self._pairs)

    def to_dict(self) -> dict[str, str]:
        return dict(self._first)


class _Payload(OAuth2Payload):
    def __init__(self, values: MultiDict) -> None:
        self._values = values

    @property
    def data(self) -> MultiDict:
        return self._values

    @cached_property
    def datalist(self) -> defaultdict[str, list[str]]:
        out: defaultdict[str, list[str]] = defaultdict(list)
        for k in self._values:
            out[k].extend(self._values.getlist(k))
        return out


class StarletteOAuth2Request(OAuth2Request):
    """An OAuth2Request built from already-read parts, safe to use from a worker thread."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self._parts = (method, uri, headers, query, form)
        self._args = MultiDict(query)
        self._form = MultiDict(form)
        # Parameters come from the query for GET and from the body for POST, never mixed:
        # a POST's query string must not smuggle client credentials or grant parameters.
        self.payload = _Payload(self._args if method == "GET" else self._form)
        #: Our per-request extras (granted scope, family, offline flag...).
        self.consentry: dict[str, object] = {}

    def fresh(self) -> StarletteOAuth2Request:
        """The same request, unannotated: Authlib sets attributes on the request it runs."""
        return StarletteOAuth2Request(*self._parts)

    @property
    def args(self) -> MultiDict:
        return self._args

    @property
    def form(self) -> MultiDict:
        return self._form


class CaseInsensitiveHeaders(dict[str, str]):
    """Authlib reads ``Authorization`` with its canonical case; Starlette lower-cases names."""

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


def build_oauth_request(
    method: str,
    path: str,
    query_string: bytes,
    raw_headers: list[tuple[bytes, bytes]],
    body: bytes,
    issuer: str,
) -> StarletteOAuth2Request:
    """An Authlib request from raw ASGI parts (the protocol adapter has no Starlette ``Request``).

    The URI is rebuilt on the configured issuer so that Authlib's transport check and any
    audience comparison see the public address, not the one behind a proxy.
    """
    headers = CaseInsensitiveHeaders(
        {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw_headers}
    )
    form: list[tuple[str, str]] = []
    if method == "POST" and body and (headers.get("content-type") or "").startswith(FORM_TYPE):
        try:
            form = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            form = []
    query_text = query_string.decode("latin-1")
    query = parse_qsl(query_text, keep_blank_values=True) if query_text else []
    uri = issuer.rstrip("/") + path + ("?" + query_text if query_text else "")
    return StarletteOAuth2Request(method, uri, headers, query, form)
