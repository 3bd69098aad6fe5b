"""The protocol endpoints in the OpenAPI document and the API reference page.

They are answered by the protocol adapter in front of FastAPI (``web/protocol_adapter.py``), so
FastAPI has no route to describe them; this adds their entries, so ``/openapi.json`` and
``/api/docs`` still list every endpoint a client calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

FORM = {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}
JSON_ANSWER = {
    "description": "JSON (RFC 6749 error JSON on failure; 503 with Retry-After if storage is down)"
}


def _op(summary: str, tag: str, operation_id: str, *, form: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "operationId": operation_id,
        "responses": {"200": JSON_ANSWER},
    }
    if form:
        op["requestBody"] = FORM
    return op


PATHS: dict[str, dict[str, Any]] = {
    "/token": {"post": _op("Token endpoint (every grant)", "oauth2", "token", form=True)},
    "/revoke": {"post": _op("Token revocation (RFC 7009)", "oauth2", "revoke", form=True)},
    "/introspect": {"post": _op("Token introspection (RFC 7662)", "oauth2", "introspect", form=True)},
    "/device/code": {"post": _op("Device authorization (RFC 8628)", "oauth2", "device_code", form=True)},
    "/userinfo": {
        "get": _op("OpenID Connect userinfo", "openid-connect", "userinfo"),
        "post": _op("OpenID Connect userinfo (POST)", "openid-connect", "userinfo_post"),
    },
    "/tokeninfo": {
        "post": _op("Token information for apps (debugging)", "openid-connect", "tokeninfo_post", form=True)
    },
    "/jwks": {"get": _op("Public signing keys", "openid-connect", "jwks")},
    "/.well-known/openid-configuration": {
        "get": _op("OpenID Connect discovery", "openid-connect", "openid_configuration")
    },
    "/.well-known/oauth-authorization-server": {
        "get": _op("RFC 8414 metadata", "openid-connect", "oauth_metadata")
    },
}


def install(app: FastAPI) -> None:
    """Add :data:`PATHS` to the app's generated document (once; FastAPI caches it)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        schema["paths"] = {**PATHS, **schema["paths"]}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
