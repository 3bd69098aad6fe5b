"""The FastAPI dependency: where the token may come from, and the RFC 6750 §3 answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import Depends, FastAPI, Request

from consentry.guard import Caller, Guard
from tests.guard import READ, WRITE, StaticVerifier, caller

pytestmark = pytest.mark.anyio
ADMIN = "https://issuer.test/auth/admin"
VERIFIER = StaticVerifier(
    {
        "reader": caller(READ),
        "writer": caller(WRITE, subject="svc", client_id="svc"),
        "both": caller(READ, WRITE, ADMIN),
    }
)


def build(verifier: StaticVerifier = VERIFIER, *, install: bool = True) -> FastAPI:
    guard = Guard(verifier, realm="api")
    app = FastAPI()
    if install:
        guard.install(app)

    @app.get("/notes")
    async def list_notes(
        request: Request, who: Caller = Depends(guard.requires(READ, WRITE))
    ) -> dict[str, object]:
        return {"sub": who.subject, "state_is_same": request.state.caller is who}

    @app.post("/notes")
    async def add_note(who: Caller = Depends(guard.requires(WRITE))) -> dict[str, object]:
        return {"client_id": who.client_id}

    @app.delete("/notes")
    async def purge(who: Caller = Depends(guard.requires(WRITE, all_of=[ADMIN]))) -> dict[str, object]:
        return {"ok": True}

    @app.get("/me")
    async def me(who: Caller = Depends(guard.requires())) -> dict[str, object]:
        return {"scopes": sorted(who.scopes)}

    return app


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(build()), base_url="http://api.test") as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_valid_token_with_any_of_the_scopes_passes(http: httpx.AsyncClient) -> None:  # AUTH0-4
    r = await http.get("/notes", headers=bearer("reader"))
    assert r.status_code == 200 and r.json() == {"sub": "user-123", "state_is_same": True}
    assert (await http.get("/notes", headers=bearer("writer"))).status_code == 200
    assert (await http.post("/notes", headers=bearer("writer"))).json() == {"client_id": "svc"}
    assert (await http.get("/me", headers={"authorization": "bearer reader"})).json() == {"scopes": [READ]}


async def test_no_credentials_is_401_without_error_code(http: httpx.AsyncClient) -> None:  # RFC 6750 §3.1
    r = await http.get("/notes")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="api"'
    assert "error" not in r.json() and r.json()["error_description"]
    # Another scheme is "no bearer credentials", not an invalid token.
    r = await http.get("/notes", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == 'Bearer realm="api"'


async def test_invalid_token_is_401_invalid_token(http: httpx.AsyncClient) -> None:
    r = await http.get("/notes", headers=bearer("revoked"))
    assert r.status_code == 401
    assert r.json() == {"error": "invalid_token", "error_description": "the token is not active"}
    assert r.headers["www-authenticate"] == (
        'Bearer realm="api", error="invalid_token", error_description="the token is not active"'
    )


@pytest.mark.parametrize("value", ["Bearer", "Bearer   ", 'Bearer a"b', "Bearer a b", "Bearer " + "a" * 9000])
async def test_malformed_header_is_invalid_token(http: httpx.AsyncClient, value: str) -> None:
    r = await http.get("/notes", headers={"Authorization": value})
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    assert r.headers["www-authenticate"].startswith('Bearer realm="api", error="invalid_token"')


async def test_token_in_query_string_is_refused(http: httpx.AsyncClient) -> None:  # RFC 9700 §4.3.2
    r = await http.get("/notes", params={"access_token": "reader"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert 'error="invalid_request"' in r.headers["www-authenticate"]
    # Even alongside a valid header (RFC 6750 §3.1: more than one method).
    r = await http.get("/notes", params={"access_token": "reader"}, headers=bearer("reader"))
    assert r.status_code == 400


async def test_missing_scope_is_403_with_the_scopes_that_would_do(http: httpx.AsyncClient) -> None:
    r = await http.post("/notes", headers=bearer("reader"))
    assert r.status_code == 403
    assert r.headers["www-authenticate"] == f'Bearer realm="api", error="insufficient_scope", scope="{WRITE}"'
    assert r.json()["error"] == "insufficient_scope" and WRITE in r.json()["error_description"]
    r = await http.delete("/notes", headers=bearer("writer"))
    assert r.status_code == 403
    assert r.headers["www-authenticate"].endswith(f'scope="{ADMIN} {WRITE}"')
    assert (await http.delete("/notes", headers=bearer("both"))).status_code == 200


async def test_issuer_unreachable_is_503_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    app = build(StaticVerifier({}, unavailable=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://api.test") as http:
        r = await http.get("/notes", headers=bearer("reader"))
    assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"
    assert "www-authenticate" not in r.headers
    assert [rec.message for rec in caplog.records if rec.name == "consentry.guard"] == [
        "consentry.guard: answering 503: the issuer cannot be reached"
    ]


async def test_without_install_status_and_challenge_are_still_right() -> None:
    app = build(install=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://api.test") as http:
        missing = await http.get("/notes")
        denied = await http.post("/notes", headers=bearer("reader"))
        ok = await http.get("/notes", headers=bearer("reader"))
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == 'Bearer realm="api"'
    assert denied.status_code == 403 and 'error="insufficient_scope"' in denied.headers["www-authenticate"]
    assert "detail" in denied.json()  # FastAPI's own body shape
    assert ok.status_code == 200


async def test_token_is_verified_once_per_request() -> None:
    verifier = StaticVerifier({"both": caller(READ, WRITE)})
    guard = Guard(verifier)
    app = FastAPI()

    @app.get("/x", dependencies=[Depends(guard.requires(READ))])
    async def x(who: Caller = Depends(guard.requires(WRITE))) -> dict[str, bool]:
        return {"ok": True}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://api.test") as http:
        assert (await http.get("/x", headers=bearer("both"))).status_code == 200
    assert verifier.seen == ["both"]


def test_openapi_declares_the_bearer_scheme() -> None:
    schema = build().openapi()
    schemes = schema["components"]["securitySchemes"]
    assert list(schemes.values()) == [{"type": "http", "scheme": "bearer"}]
    assert schema["paths"]["/notes"]["get"]["security"] == [{next(iter(schemes)): []}]
