"""GuardMiddleware in front of a bare Starlette app and a FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.types import ASGIApp
from starlette.websockets import WebSocket, WebSocketDisconnect

from consentry.guard import GuardMiddleware, Rule
from tests.guard import READ, WRITE, FakeIssuer, StaticVerifier, caller

pytestmark = pytest.mark.anyio
VERIFIER = StaticVerifier({"reader": caller(READ), "writer": caller(WRITE, subject="svc", client_id="svc")})
RULES = [
    Rule("GET", "/notes", any_of=[READ, WRITE]),
    Rule("GET", "/notes/live", any_of=[READ]),
    Rule("POST", "/notes*", any_of=[WRITE]),
    Rule("*", "/private/*"),
]


async def whoami(request: StarletteRequest) -> JSONResponse:
    who = getattr(request.state, "caller", None)
    return JSONResponse({"sub": who.subject if who else None})


async def ws(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"sub": websocket.state.caller.subject})
    await websocket.close()


def starlette_app(**kw: object) -> ASGIApp:
    routes = [
        Route(p, whoami, methods=["GET", "POST"]) for p in ("/notes", "/notes/1", "/public", "/private/x")
    ]
    app = Starlette(routes=[*routes, WebSocketRoute("/notes/live", ws)])
    return GuardMiddleware(app, verifier=kw.pop("verifier", VERIFIER), rules=RULES, realm="api", **kw)  # type: ignore[arg-type]


def fastapi_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(GuardMiddleware, verifier=VERIFIER, rules=RULES, realm="api")

    @app.get("/notes")
    async def notes(request: Request) -> dict[str, object]:
        return {"sub": request.state.caller.subject}

    @app.post("/notes/{n}")
    async def add(n: int, request: Request) -> dict[str, object]:
        return {"sub": request.state.caller.subject}

    @app.get("/public")
    async def public(request: Request) -> dict[str, object]:
        return {"sub": getattr(request.state, "caller", None)}

    return app


def client(app: ASGIApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://api.test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("make", [starlette_app, fastapi_app])
async def test_rules_guard_matching_routes_and_set_the_caller(make) -> None:  # AUTH0-4
    async with client(make()) as http:
        assert (await http.get("/notes", headers=bearer("reader"))).json() == {"sub": "user-123"}
        assert (await http.post("/notes/1", headers=bearer("writer"))).json() == {"sub": "svc"}
        no_token = await http.get("/notes")
        wrong_scope = await http.post("/notes/1", headers=bearer("reader"))
        bad = await http.get("/notes", headers=bearer("nope"))
        query = await http.get("/notes", params={"access_token": "reader"})
        public = await http.get("/public")
    assert no_token.status_code == 401 and no_token.headers["www-authenticate"] == 'Bearer realm="api"'
    assert wrong_scope.status_code == 403
    assert (
        wrong_scope.headers["www-authenticate"]
        == f'Bearer realm="api", error="insufficient_scope", scope="{WRITE}"'
    )
    assert wrong_scope.json()["error"] == "insufficient_scope"
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in bad.headers["www-authenticate"]
    assert query.status_code == 400 and query.json()["error"] == "invalid_request"
    # Unmatched paths pass through untouched, with no caller.
    assert public.status_code == 200 and public.json() == {"sub": None}


async def test_first_matching_rule_wins_and_prefixes_need_the_star() -> None:
    async with client(starlette_app()) as http:
        # "/notes" (GET, exact) does not cover /notes/1; GET /notes/1 matches no rule at all.
        assert (await http.get("/notes/1")).status_code == 200
        # "POST /notes*" covers /notes itself too.
        assert (await http.post("/notes")).status_code == 401
        # "*" method, any verb.
        assert (await http.post("/private/x")).status_code == 401
        assert (await http.get("/private/x", headers=bearer("reader"))).status_code == 200


async def test_head_is_guarded_like_get() -> None:
    async with client(starlette_app()) as http:
        assert (await http.head("/notes")).status_code == 401
        assert (await http.head("/notes", headers=bearer("reader"))).status_code == 200


async def test_default_deny_refuses_unmatched_paths() -> None:
    async with client(starlette_app(default_deny=True)) as http:
        r = await http.get("/public", headers=bearer("reader"))
        assert r.status_code == 403 and r.json()["error"] == "access_denied"
        assert (await http.get("/notes", headers=bearer("reader"))).status_code == 200


async def test_issuer_down_is_503() -> None:
    issuer = FakeIssuer()
    issuer.down = True
    async with client(starlette_app(verifier=issuer.verifier())) as http:
        r = await http.get("/notes", headers=bearer(issuer.sign()))
    assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"


async def test_real_jwt_through_the_middleware() -> None:
    issuer = FakeIssuer()
    async with client(starlette_app(verifier=issuer.verifier())) as http:
        ok = await http.get("/notes", headers=bearer(issuer.sign()))
        denied = await http.post("/notes", headers=bearer(issuer.sign()))
    assert ok.json() == {"sub": "user-123"} and denied.status_code == 403


def test_websocket_handshake_is_guarded() -> None:
    with TestClient(starlette_app()) as tc:
        with pytest.raises(WebSocketDisconnect) as refused, tc.websocket_connect("/notes/live"):
            pass
        assert refused.value.code == 1008
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            tc.websocket_connect("/notes/live", headers=bearer("writer")),
        ):
            pass
        assert refused.value.code == 1008
        with tc.websocket_connect("/notes/live", headers=bearer("reader")) as conn:
            assert conn.receive_json() == {"sub": "user-123"}


def test_lifespan_passes_through() -> None:
    started: list[bool] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started.append(True)
        yield

    app = GuardMiddleware(Starlette(lifespan=lifespan), verifier=VERIFIER, rules=RULES, default_deny=True)
    with TestClient(app):
        pass
    assert started == [True]
