"""What the protocol adapter reads from a raw ASGI request before anything is looked up:
the body, the query, the bearer token, and which client the request names."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from starlette.types import Receive, Scope

from consentry.protocol.starlette import StarletteOAuth2Request


def client_named(oreq: StarletteOAuth2Request) -> str | None:
    """The client the request names, to look up before Authlib authenticates it (Authlib decides)."""
    assertion = oreq.form.get("client_assertion")
    if assertion:  # private_key_jwt: Authlib reads the client from the assertion's sub
        client_id: str | None = assertion_subject(assertion)
    else:
        basic, _secret = extract_basic_authorization(oreq.headers)
        client_id = str(basic) if basic else oreq.form.get("client_id")
    # Longer than any client id (100 characters): nothing to read, Authlib refuses the client.
    return client_id if client_id and len(client_id) <= 100 else None


def assertion_subject(assertion: str) -> str | None:
    """The ``sub`` of a client assertion, unverified: only which client to read (RFC 7523 3)."""
    try:
        payload = assertion.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return sub if isinstance(sub, str) else None


def bearer_token(oreq: StarletteOAuth2Request) -> str | None:
    scheme, _, value = (oreq.headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def query_pairs(scope: Scope) -> list[tuple[str, str]]:
    query = scope.get("query_string", b"").decode("latin-1")
    return parse_qsl(query, keep_blank_values=True) if query else []


async def read_body(receive: Receive) -> bytes | None:
    """The whole body, or None if the client disconnected. BodyLimit, in front of the adapter,
    bounds its size and time per route (web/body_rules.py) and answers the refusal itself, raising
    here to stop the read."""
    message = await receive()
    if message["type"] == "http.disconnect":
        return None
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body  # the usual case: a form in one message
    chunks = [body]
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
    return b"".join(chunks)
