"""The token lane: the hot protocol endpoints answered in raw ASGI, in front of FastAPI.

An authorization server sits in front of every API call, so /token (client credentials and
refresh), /introspect, /jwks and the discovery documents must be cheap. FastAPI's routing,
dependency injection and thread pool cost more per request than the work itself (measured in
bench/README.md), so this middleware answers those requests directly: Authlib still does the
protocol, synchronously on the event loop with every read done beforehand and every write
handed to a group commit (see :mod:`consentry.protocol.oauth2.deferred`). Anything else,
including private_key_jwt client authentication and the other grants, goes on to FastAPI.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consentry.domain.clients.cache import ClientCache
from consentry.domain.keys.manager import JWKS_MAX_AGE, LoadedKeys
from consentry.domain.tokens.group_store import Outcome, TokenGroupStore
from consentry.domain.tokens.reuse import report_reuse
from consentry.errors import DomainError
from consentry.protocol.oauth2.deferred import Deferred, deferring
from consentry.protocol.oauth2.request_checks import request_error
from consentry.protocol.oauth2.token_rows import KINDS, lookup_order
from consentry.protocol.oidc.discovery import metadata
from consentry.protocol.starlette import StarletteOAuth2Request, build_oauth_request
from consentry.web.metrics import Metrics
from consentry.web.runtime import Runtime
from consentry.web.security import security_headers

log = logging.getLogger(__name__)

LANE_GRANTS = frozenset({"client_credentials", "refresh_token"})
Answer = tuple[int, Any, list[tuple[str, str]]]
JSON_TYPE = (b"content-type", b"application/json")
NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
DISCOVERY_PATHS = ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server")


class TokenLane:
    def __init__(self, app: ASGIApp, runtime: Runtime, metrics: Metrics, https: bool) -> None:
        self.app = app
        self.rt = runtime
        self.server = runtime.server
        self.hasher = runtime.ctx.hasher
        self.issuer = runtime.ctx.issuer
        self.store: TokenGroupStore = runtime.token_store
        self.clients: ClientCache = runtime.client_cache
        self.metrics = metrics
        self.base_headers = security_headers(https)
        discovery = _json(metadata(self.issuer, runtime.ctx.catalogue))
        public = [(b"cache-control", b"public, max-age=300")]
        self.documents = {path: (discovery, public) for path in DISCOVERY_PATHS}
        self._jwks: tuple[LoadedKeys, bytes] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method, path = scope["method"], scope["path"]
            if method == "POST" and path in ("/token", "/introspect"):
                await self._post(scope, receive, send, path)
                return
            if method == "GET" and (path in self.documents or path == "/jwks"):
                await self._get(send, path)
                return
        await self.app(scope, receive, send)

    async def _get(self, send: Send, path: str) -> None:
        if path in self.documents:
            body, cache = self.documents[path]
            await self._send(send, 200, body, cache)
            return
        try:
            body = await self._jwks_body()
        except Exception:
            log.exception("token lane: /jwks failed")
            await self._error(send, path, 503, "temporarily_unavailable", "Try again in a moment.")
            return
        await self._send(send, 200, body, [(b"cache-control", JWKS_CACHE)])

    # --- POST /token and /introspect ------------------------------------------------
    async def _post(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        body = await _read_body(receive)
        oreq = self._oauth_request(scope, path, body)
        form = oreq.form
        if "client_assertion" in form or (path == "/token" and form.get("grant_type") not in LANE_GRANTS):
            await self.app(scope, _replay(body, receive), send)
            return
        if refused := request_error(oreq):
            await self._error(send, path, 400, "invalid_request", refused)
            return
        try:
            if path == "/token":
                status, payload, headers = await self._token(scope, path, body, oreq)
            else:
                status, payload, headers = await self._introspect(oreq)
        except ValueError:
            # Authlib refuses to build an error whose description would echo non-ASCII input.
            await self._error(send, path, 400, "invalid_request", "Malformed request.")
            return
        except DomainError as err:  # a value no column can hold (storage/unstorable.py)
            await self._error(send, path, 400, "invalid_request", err.message)
            return
        except Exception:
            log.exception("token lane: %s failed", path)
            await self._error(send, path, 503, "temporarily_unavailable", "Try again in a moment.")
            return
        self.metrics.count(path, status)
        extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        await self._send(send, status, _json(payload), extra)

    def _oauth_request(self, scope: Scope, path: str, body: bytes) -> StarletteOAuth2Request:
        return build_oauth_request(
            "POST", path, scope.get("query_string", b""), scope["headers"], body, self.issuer
        )

    async def _token(self, scope: Scope, path: str, body: bytes, oreq: StarletteOAuth2Request) -> Answer:
        client_id = _client_id(oreq)
        refresh = oreq.form.get("refresh_token") if oreq.form.get("grant_type") == "refresh_token" else None
        for attempt in range(2):
            if attempt:
                oreq = self._oauth_request(scope, path, body)  # Authlib annotates the request it runs
            pending = Deferred()
            snap = self.clients.get(client_id) if client_id and attempt == 0 and not refresh else None
            cached = snap is not None
            if snap is None and (client_id or refresh):
                fetched = await self.store.prefetch(
                    client_id, self.hasher.token_key(refresh) if refresh else None, ("refresh_token",)
                )
                snap = fetched.client
                pending.tokens = fetched.tokens
                if snap is not None:
                    self.clients.put(snap)
            if snap is not None:
                pending.clients[snap.client_id] = snap
                if snap.access_token_format == "jwt" and self.rt.ctx.keys.fresh() is None:
                    await run_in_threadpool(self.rt.ctx.keys.current)
            with deferring(pending):
                status, payload, headers = self.server.create_token_response(oreq)
            if status == 401 and cached and snap is not None:
                # A cached snapshot may predate a secret rotation: read the client again, once.
                self.clients.drop(snap.client_id)
                continue
            if status != 200 or not pending.writes or snap is None:
                # Refused: nothing was claimed or written (the grant claims only after its checks).
                return status, payload, headers
            claim_id = pending.claim.id if pending.claim is not None else None
            outcome = await self.store.commit(snap, pending.writes, claim_id)
            if outcome is Outcome.COMMITTED:
                return status, payload, headers
            if outcome is Outcome.REUSED:
                await run_in_threadpool(self._reused, pending.claim.family)
                return _authlib_error(InvalidGrantError())  # what Authlib answers for a dead token
            self.clients.drop(snap.client_id)  # CLIENT_CHANGED: read it afresh and decide again
        return _authlib_error(InvalidClientError(status_code=401))

    def _reused(self, family: str) -> None:
        with self.rt.ctx.db.unit_of_work() as session:
            report_reuse(session, family)

    async def _introspect(self, oreq: StarletteOAuth2Request) -> Answer:
        token = oreq.form.get("token")
        kinds = lookup_order(oreq.form.get("token_type_hint")) if token else KINDS
        fetched = await self.store.prefetch(
            _client_id(oreq), self.hasher.token_key(token) if token else None, kinds
        )
        pending = Deferred(tokens=fetched.tokens)
        if fetched.client is not None:
            pending.clients[fetched.client.client_id] = fetched.client
            self.clients.put(fetched.client)
        with deferring(pending):
            return self.server.create_endpoint_response("introspection", oreq)

    # --- GET /jwks ----------------------------------------------------------------------
    async def _jwks_body(self) -> bytes:
        keys = self.rt.ctx.keys
        loaded = keys.fresh()
        if loaded is None:
            loaded = await run_in_threadpool(keys.current)
        cached = self._jwks
        if cached is None or cached[0] is not loaded:
            cached = self._jwks = (loaded, _json(loaded.public_jwks))
        return cached[1]

    # --- responses ----------------------------------------------------------------------
    async def _error(self, send: Send, path: str, status: int, error: str, description: str) -> None:
        self.metrics.count(path, status)
        await self._send(send, status, _json({"error": error, "error_description": description}), [])

    async def _send(self, send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
        names = {k for k, _ in extra}
        headers = [JSON_TYPE, (b"content-length", str(len(body)).encode())]
        headers += [h for h in extra if h[0] not in (b"content-type", b"content-length")]
        headers += [h for h in NO_STORE if h[0] not in names]
        headers += self.base_headers
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


JWKS_CACHE = f"public, max-age={JWKS_MAX_AGE}".encode()


def _json(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _client_id(oreq: StarletteOAuth2Request) -> str | None:
    """The client the request names, to fetch before Authlib authenticates it (Authlib decides)."""
    client_id, _secret = extract_basic_authorization(oreq.headers)
    return client_id or oreq.form.get("client_id")


def _authlib_error(error: Any) -> Answer:
    status, body, headers = error(None)
    return int(status), dict(body), list(headers)


async def _read_body(receive: Receive) -> bytes:
    """The whole body. BodyLimit, in front of the lane, bounds its size and time per route
    (web/body_rules.py) and answers the refusal itself, raising here to stop the read."""
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body  # the usual case: a form in one message
    chunks = [body]
    while message.get("more_body", False):
        message = await receive()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """Give the downstream app the body this lane already read."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
