"""Talking to the issuer over HTTP: every failure there is VerifierUnavailable, never a 500."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from consentry.guard.errors import VerifierUnavailable

METADATA_PATH = "/.well-known/oauth-authorization-server"
log = logging.getLogger("consentry.guard")


def json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    """The response's JSON object, or VerifierUnavailable naming what we were fetching."""
    if response.status_code != 200:
        raise VerifierUnavailable(f"the issuer answered {response.status_code} for its {what}")
    try:
        data = response.json()
    except ValueError:
        raise VerifierUnavailable(f"the issuer's {what} is not JSON") from None
    if not isinstance(data, dict):
        raise VerifierUnavailable(f"the issuer's {what} is not a JSON object")
    return data


async def get_json(http: httpx.AsyncClient, url: str, what: str) -> dict[str, Any]:
    try:
        response = await http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise VerifierUnavailable(f"cannot reach the issuer for its {what}: {type(exc).__name__}") from exc
    return json_object(response, what)


@dataclass(frozen=True)
class Endpoints:
    jwks_uri: str | None
    introspection_endpoint: str | None


class IssuerMetadata:
    """RFC 8414 metadata, fetched on first use and kept; a failed fetch is retried next time."""

    def __init__(self, issuer: str, http: httpx.AsyncClient) -> None:
        self.issuer = issuer
        self.url = issuer.rstrip("/") + METADATA_PATH
        self._http = http
        self._endpoints: Endpoints | None = None
        self._lock = asyncio.Lock()

    async def endpoints(self) -> Endpoints:
        if self._endpoints is not None:
            return self._endpoints
        async with self._lock:
            if self._endpoints is None:
                data = await get_json(self._http, self.url, "metadata")
                if data.get("issuer") != self.issuer:
                    # RFC 8414 §3.3: otherwise a proxy or typo could hand us another issuer's keys.
                    log.error(
                        "consentry.guard: configured issuer %r, but %s says %r",
                        self.issuer,
                        self.url,
                        data.get("issuer"),
                    )
                    raise VerifierUnavailable("the issuer's metadata names a different issuer")
                self._endpoints = Endpoints(_url(data, "jwks_uri"), _url(data, "introspection_endpoint"))
            return self._endpoints


def _url(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None
