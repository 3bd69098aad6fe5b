"""The protocol endpoints, answered in raw ASGI in front of FastAPI: one adapter, one error mapper.

An authorization server sits in front of every API call, so its protocol endpoints must be cheap.
FastAPI's routing, dependency injection and thread pool cost more per request than the work
itself (measured in bench/README.md), so this adapter answers /token (every grant), /revoke,
/introspect, /device/code, /userinfo, /tokeninfo, /jwks, the discovery documents, and
/authorize whenever it can redirect straight back (a signed-in user who already consented, or a
``prompt=none`` answer). Pages (sign-in, consent, errors) go on to FastAPI.

Every request is the same three steps: one token-store lookup of what it may need, Authlib on
those records alone (``protocol/oauth2/exchange.py``: no hook touches the database), one commit
of what Authlib decided. Every failure is mapped by ``protocol/oauth2/errors.py``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError, OAuth2Error
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from consentry.domain.clients.snapshot import ClientCache
from consentry.domain.keys.manager import JWKS_MAX_AGE, LoadedKeys
from consentry.domain.tokens.store import Found, Lookup, Outcome, TokenStore
from consentry.protocol.oauth2.endpoints import lookup_order
from consentry.protocol.oauth2.errors import Answer, authlib_error, error, from_exception
from consentry.protocol.oauth2.exchange import Exchange, bound
from consentry.protocol.oauth2.grants import jwt_bearer
from consentry.protocol.oauth2.rate_limited import TooManyRequestsError
from consentry.protocol.oauth2.request_checks import request_error
from consentry.protocol.oidc import userinfo as oidc
from consentry.protocol.oidc.discovery import metadata
from consentry.protocol.oidc.tokeninfo import id_token_claims
from consentry.protocol.starlette import StarletteOAuth2Request, build_oauth_request
from consentry.web.answer_headers import AnswerHeaders
from consentry.web.client_address import client_address
from consentry.web.metrics import Metrics
from consentry.web.protocol_request import bearer_token, client_named, query_pairs, read_body
from consentry.web.runtime import Runtime
from consentry.web.security import security_headers

JSON_TYPE = (b"content-type", b"application/json")
DISCOVERY_PATHS = ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server")
JWKS_CACHE = f"public, max-age={JWKS_MAX_AGE}".encode()
TOKEN_PARAMS = ("access_token", "id_token")
IN_URL = "Send the token in the body of a POST request, not in the URL."
#: What the commit's outcome means for the request that lost a claim.
LOST: dict[Outcome, Callable[[], OAuth2Error]] = {
    Outcome.REFRESH_REUSED: lambda: InvalidGrantError(),
    Outcome.CODE_REPLAYED: lambda: InvalidGrantError("Invalid 'code' in request."),
    Outcome.DEVICE_USED: lambda: InvalidGrantError("This device code was already exchanged."),
    Outcome.ASSERTION_REPLAYED: lambda: InvalidClientError(status_code=401),
}
Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


class ProtocolAdapter:
    def __init__(self, app: ASGIApp, runtime: Runtime, metrics: Metrics, https: bool) -> None:
        self.app = app
        self.rt = runtime
        self.server = runtime.server
        self.hasher = runtime.ctx.hasher
        self.issuer = runtime.ctx.issuer
        self.store: TokenStore = runtime.token_store
        self.clients: ClientCache = runtime.client_cache
        self.metrics = metrics
        self.base_headers = security_headers(https)
        self.answer_headers = AnswerHeaders(self.base_headers)
        discovery = _json(metadata(self.issuer, runtime.ctx.catalogue, runtime.ctx.settings))
        self.documents = {path: discovery for path in DISCOVERY_PATHS}
        self._jwks: tuple[LoadedKeys, bytes] | None = None
        self.posts: dict[str, Callable[[StarletteOAuth2Request, Scope], Awaitable[Answer]]] = {
            "/token": self._token,
            "/revoke": self._revoke,
            "/introspect": self._introspect,
            "/device/code": self._device_code,
            "/userinfo": self._userinfo,
            "/tokeninfo": self._tokeninfo,
        }
        self.gets: dict[str, Callable[[StarletteOAuth2Request, Scope], Awaitable[Answer]]] = {
            "/userinfo": self._userinfo,
            "/tokeninfo": self._tokeninfo,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            method, path = scope["method"], scope["path"]
            if method == "POST" and path in self.posts:
                body = await read_body(receive)
                if body is None:  # the caller hung up: nobody to answer, nothing to log (ISSUE-9.4)
                    await send({"type": "http.response.start", "status": 400, "headers": []})
                    await send({"type": "http.response.body", "body": b""})
                    return
                await self._protocol(scope, send, path, body)
                return
            if method == "GET":
                if path in self.gets:
                    await self._protocol(scope, send, path, b"")
                    return
                if path in self.documents:
                    await self._send(
                        send, 200, self.documents[path], [(b"cache-control", b"public, max-age=300")]
                    )
                    return
                if path == "/jwks":
                    cached, loaded = self._jwks, self.rt.ctx.keys.fresh()
                    if cached is not None and cached[0] is loaded:  # the usual case: nothing to build
                        # Not counted, like the discovery documents: a counter in multiprocess mode
                        # writes a shared file, which costs as much as answering (bench/README.md).
                        await self._send(send, 200, cached[1], [(b"cache-control", JWKS_CACHE)])
                        return
                    await self._guarded(send, path, self._jwks_answer)
                    return
                if path == "/authorize" and await self._authorize(scope, send):
                    return
            if path in self.posts and method != "OPTIONS":
                allowed = "GET, POST" if path in self.gets else "POST"
                answer = error(
                    "invalid_request", f"Use {allowed.replace(', ', ' or ')}.", 405, [("Allow", allowed)]
                )
                await self._guarded(send, path, _constant(answer))
                return
        await self.app(scope, receive, send)

    # --- the one request/response path ------------------------------------------------
    async def _protocol(self, scope: Scope, send: Send, path: str, body: bytes) -> None:
        oreq = build_oauth_request(
            scope["method"], path, scope.get("query_string", b""), scope["headers"], body, self.issuer
        )

        async def answer() -> Answer:
            if path not in ("/userinfo", "/tokeninfo") and (refused := request_error(oreq)):
                return error("invalid_request", refused)
            return await self.posts[path](oreq, scope)

        await self._guarded(send, path, answer)

    async def _guarded(self, send: Send, path: str, answer: Callable[[], Awaitable[Answer]]) -> None:
        try:
            status, payload, headers = await answer()
        except Exception as exc:  # mapped once, the same way for every endpoint
            status, payload, headers = from_exception(exc, path)
        self.metrics.count(path, status)
        body = payload if isinstance(payload, bytes) else _json(payload)
        await self._send_tail(send, status, body, self.answer_headers.tail(headers))

    async def _run(
        self,
        oreq: StarletteOAuth2Request,
        want: Lookup,
        call: Callable[[StarletteOAuth2Request], Answer],
        *,
        cacheable: bool = False,
    ) -> tuple[Answer, Exchange]:
        """Look up, run Authlib on what was found, commit what it decided.

        A client snapshot from the cache (``cacheable``: the request needs nothing else read) may
        predate a secret rotation: a 401 or a changed client is decided again on a fresh read, once.
        """
        for attempt in range(2):
            if attempt:
                oreq = oreq.fresh()  # Authlib annotates the request it runs
            cached = (
                self.clients.get(want.client_id) if cacheable and attempt == 0 and want.client_id else None
            )
            found = Found(client=cached) if cached is not None else await self.store.lookup(want)
            if cached is None and found.client is not None:
                self.clients.put(found.client)
            if self.rt.ctx.keys.fresh() is None:
                await run_in_threadpool(self.rt.ctx.keys.current)  # signing keys, before Authlib needs them
            exchange = Exchange(found)
            with bound(exchange):
                answer = call(oreq)
            changes = exchange.changes
            if cached is not None and (answer[0] == 401 or (answer[0] != 200 and not changes)):
                # A refusal decided on cached facts (a rotated secret, a suspension since lifted)
                # is decided again, once, on a fresh read.
                self.clients.drop(cached.client_id)
                continue
            if not changes:
                return answer, exchange
            if changes.tokens or changes.codes or changes.device_codes:
                changes.client = found.client
            outcome = await self.store.commit(changes)
            if answer[0] != 200 or outcome is Outcome.COMMITTED:
                return answer, exchange  # a refusal's own writes (a device's poll) either way
            if outcome is Outcome.CLIENT_CHANGED:
                if found.client is not None:
                    self.clients.drop(found.client.client_id)
                continue
            return authlib_error(LOST[outcome]()), exchange
        return authlib_error(InvalidClientError(status_code=401)), exchange

    # --- endpoints ------------------------------------------------------------------------
    async def _token(self, oreq: StarletteOAuth2Request, _scope: Scope) -> Answer:
        form = oreq.form
        grant_type = form.get("grant_type")
        want = Lookup(client_id=client_named(oreq))
        if grant_type == "refresh_token" and (refresh := form.get("refresh_token")):
            want = Lookup(
                client_id=want.client_id,
                token_hash=self.hasher.token_key(refresh),
                token_kinds=("refresh_token",),
            )
        elif grant_type == "authorization_code" and (code := form.get("code")):
            want = Lookup(client_id=want.client_id, code_hash=self.hasher.hash(code))
        elif grant_type == "urn:ietf:params:oauth:grant-type:device_code" and (
            device := form.get("device_code")
        ):
            want = Lookup(client_id=want.client_id, device_hash=self.hasher.hash(device))
        elif grant_type == jwt_bearer.GRANT_TYPE:
            # The service account the assertion names is the client (RFC 7523): no client_id.
            want = jwt_bearer.lookup(form.get("assertion"), self.hasher)
        cacheable = grant_type == "client_credentials" and "client_assertion" not in form
        answer, _ = await self._run(oreq, want, self.server.create_token_response, cacheable=cacheable)
        return answer

    def _token_lookup(self, oreq: StarletteOAuth2Request) -> Lookup:
        token = oreq.form.get("token")
        return Lookup(
            client_id=client_named(oreq),
            token_hash=self.hasher.token_key(token) if token else None,
            token_kinds=lookup_order(oreq.form.get("token_type_hint")),
        )

    async def _revoke(self, oreq: StarletteOAuth2Request, _scope: Scope) -> Answer:
        answer, _ = await self._run(
            oreq, self._token_lookup(oreq), lambda r: self.server.create_endpoint_response("revocation", r)
        )
        return answer

    async def _introspect(self, oreq: StarletteOAuth2Request, _scope: Scope) -> Answer:
        answer, _ = await self._run(
            oreq, self._token_lookup(oreq), lambda r: self.server.create_endpoint_response("introspection", r)
        )
        return answer

    async def _device_code(self, oreq: StarletteOAuth2Request, scope: Scope) -> Answer:
        """Each request stores a device code: charged per address first, and per client once
        Authlib authenticated it (the row exists only then) and before anything is committed."""
        quotas, db = self.rt.ctx.quotas, self.rt.ctx.db
        address = client_address(scope)

        def by_address() -> Any:
            with db.unit_of_work() as session:
                return quotas.device_address(session, address)

        if refused := await run_in_threadpool(by_address):
            return authlib_error(TooManyRequestsError("device codes", refused.retry_after))
        found = await self.store.lookup(Lookup(client_id=client_named(oreq)))
        exchange = Exchange(found)
        with bound(exchange):
            answer = self.server.create_endpoint_response("device_authorization", oreq)
        if answer[0] != 200 or not exchange.changes.device_codes or found.client is None:
            return answer
        client_id = found.client.client_id

        def by_client() -> Any:
            with db.unit_of_work() as session:
                return quotas.device_client(session, client_id)

        if refused := await run_in_threadpool(by_client):
            return authlib_error(TooManyRequestsError("device codes", refused.retry_after))
        exchange.changes.client = found.client
        if await self.store.commit(exchange.changes) is not Outcome.COMMITTED:
            self.clients.drop(client_id)
            return authlib_error(InvalidClientError(status_code=401))
        return answer

    async def _userinfo(self, oreq: StarletteOAuth2Request, _scope: Scope) -> Answer:
        token = bearer_token(oreq)
        if token is None:
            return oidc.missing_token()
        found = await self.store.lookup(
            Lookup(token_hash=self.hasher.token_key(token), token_kinds=("access_token",))
        )
        return oidc.userinfo(found.tokens.get("access_token"))

    async def _tokeninfo(self, oreq: StarletteOAuth2Request, _scope: Scope) -> Answer:
        """The one token asked about, from a POST body.

        The reference platform also takes ``?access_token=`` in the URL, where proxies, browsers and
        access logs keep it (RFC 6819 section 4.6.7): such a request is refused with a hint, unless
        the operator turned on ``CONSENTRY_TOKENINFO_QUERY_TOKENS`` for apps ported from there; the
        access log shows such tokens redacted either way (web/log_redaction.py).
        """
        in_url = [(k, v) for k, v in oreq.args.pairs() if k in TOKEN_PARAMS]
        if in_url and not self.rt.ctx.settings.tokeninfo_query_tokens:
            return oidc.tokeninfo_error("invalid_request", IN_URL)
        if oreq.method != "POST" and not in_url:
            return oidc.tokeninfo_error("invalid_request", IN_URL)
        given = in_url + [(k, v) for k, v in oreq.form.pairs() if k in TOKEN_PARAMS]
        if len(given) != 1:
            return oidc.tokeninfo_error("invalid_request", "Send exactly one access_token or id_token.")
        kind, token = given[0]
        if kind == "access_token":
            found = await self.store.lookup(
                Lookup(token_hash=self.hasher.token_key(token), token_kinds=("access_token",))
            )
            return oidc.access_token_info(found.tokens.get("access_token"))
        keys = await self._keys()
        claims = id_token_claims(token, keys.public_jwks, self.issuer)
        if claims is None:
            return oidc.tokeninfo_error()
        return 200, {k: oidc.string_value(v) for k, v in claims.items()}, oidc.NO_STORE

    async def _authorize(self, scope: Scope, send: Send) -> bool:
        """The hot case, answered here: a redirect back to the app (with a code or an error).
        False hands the request to FastAPI, which shows the page or pauses the flow."""
        sessions, flow = self.rt.sessions, self.rt.flow
        state = sessions.state_from_headers(scope["headers"])
        if state.fresh:
            return False  # no session: a sign-in page (or prompt=none's error) from FastAPI
        params = query_pairs(scope)
        try:
            out, exchange = await flow.prepare(state, params)
            if not out.final:
                return False
            if out.kind == "code":
                out = await flow.commit_code(out, exchange)
                if out.kind != "redirect":
                    return False
        except Exception as exc:  # the same mapping as every endpoint, but a browser gets a page
            from_exception(exc, "/authorize")
            return False
        self.metrics.count("/authorize", 302)
        headers = [(b"location", out.location.encode("latin-1")), (b"content-length", b"0")]
        headers += [(b"cache-control", b"no-store"), *self.base_headers]
        await send({"type": "http.response.start", "status": 302, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return True

    # --- GET /jwks ------------------------------------------------------------------------
    async def _keys(self) -> LoadedKeys:
        keys = self.rt.ctx.keys
        fresh = keys.fresh()
        return fresh if fresh is not None else await run_in_threadpool(keys.current)

    async def _jwks_answer(self) -> Answer:
        loaded = await self._keys()
        cached = self._jwks
        if cached is None or cached[0] is not loaded:
            cached = self._jwks = (loaded, _json(loaded.public_jwks))
        return 200, cached[1], [("Cache-Control", JWKS_CACHE.decode())]

    # --- responses ------------------------------------------------------------------------
    async def _send(self, send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
        await self._send_tail(send, status, body, self.answer_headers.tail(extra))

    async def _send_tail(self, send: Send, status: int, body: bytes, tail: list[tuple[bytes, bytes]]) -> None:
        headers = [JSON_TYPE, (b"content-length", b"%d" % len(body)), *tail]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _constant(answer: Answer) -> Callable[[], Awaitable[Answer]]:
    async def constant() -> Answer:
        return answer

    return constant


#: One encoder for every answer: ``json.dumps`` with separators builds a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def _json(payload: Any) -> bytes:
    return _ENCODER.encode(payload).encode()
