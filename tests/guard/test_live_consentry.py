"""consentry.guard against a real Consentry server process (AUTH0-4), on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.testclient import TestClient

from consentry.guard import Caller, Guard, RemoteVerifier
from tests.support.live import LiveServer
from tests.support.seed import SeededClient, Seeder


def service_token(url: str, client: SeededClient, scope: str) -> str:
    r = httpx.post(
        f"{url}/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(client.client_id, client.client_secret or ""),
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def guarded_app(verifier: RemoteVerifier, read: str, write: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await verifier.aclose()

    app = FastAPI(lifespan=lifespan)
    guard = Guard(verifier, realm="api")
    guard.install(app)

    @app.get("/events")
    async def events(caller: Caller = Depends(guard.requires(read, write))) -> dict[str, Any]:
        return {
            "subject": caller.subject,
            "client_id": caller.client_id,
            "scopes": sorted(caller.scopes),
            "kind": caller.token_kind,
            "expires_at": caller.expires_at,
        }

    @app.post("/events")
    async def create(caller: Caller = Depends(guard.requires(write))) -> dict[str, Any]:
        return {"ok": True}

    return app


@pytest.fixture
def server(live_server: tuple[LiveServer, Seeder]) -> Iterator[tuple[str, Seeder, SeededClient]]:
    live, seeder = live_server
    resource_server = seeder.client("service", can_introspect=True)
    yield live.url, seeder, resource_server


def test_jwt_and_opaque_tokens_from_a_live_server(server: tuple[str, Seeder, SeededClient]) -> None:
    url, seeder, rs = server
    read, write = f"{url}/auth/calendar.readonly", f"{url}/auth/calendar.events"
    jwt_client = seeder.client("service", access_token_format="jwt")
    opaque_client = seeder.client("service")
    jwt_token = service_token(url, jwt_client, read)
    opaque_token = service_token(url, opaque_client, read)
    assert jwt_token.count(".") == 2 and opaque_token.count(".") != 2

    verifier = RemoteVerifier(url, client_id=rs.client_id, client_secret=rs.client_secret)
    with TestClient(guarded_app(verifier, read, write)) as api:
        as_jwt = api.get("/events", headers={"Authorization": f"Bearer {jwt_token}"})
        assert as_jwt.status_code == 200, as_jwt.text
        body = as_jwt.json()
        # Client-credentials tokens: sub is the client itself.
        assert (body["subject"], body["client_id"], body["scopes"], body["kind"]) == (
            jwt_client.client_id,
            jwt_client.client_id,
            [read],
            "jwt",
        )
        as_opaque = api.get("/events", headers={"Authorization": f"Bearer {opaque_token}"})
        assert as_opaque.status_code == 200, as_opaque.text
        body = as_opaque.json()
        assert (body["subject"], body["client_id"], body["scopes"], body["kind"]) == (
            opaque_client.client_id,
            opaque_client.client_id,
            [read],
            "opaque",
        )
        assert body["expires_at"] > 0

        for token in (jwt_token, opaque_token):
            denied = api.post("/events", headers={"Authorization": f"Bearer {token}"})
            assert denied.status_code == 403
            assert denied.headers["www-authenticate"] == (
                f'Bearer realm="api", error="insufficient_scope", scope="{write}"'
            )
            assert denied.json()["error"] == "insufficient_scope"

        writer = service_token(url, opaque_client, f"{read} {write}")
        assert api.post("/events", headers={"Authorization": f"Bearer {writer}"}).status_code == 200

        # Revoked at the issuer: refused on the next call (no introspection cache by default).
        r = httpx.post(
            f"{url}/revoke",
            data={"token": opaque_token},
            auth=(opaque_client.client_id, opaque_client.client_secret or ""),
        )
        assert r.status_code == 200
        gone = api.get("/events", headers={"Authorization": f"Bearer {opaque_token}"})
        assert gone.status_code == 401 and gone.json()["error"] == "invalid_token"
        assert gone.headers["www-authenticate"].startswith('Bearer realm="api", error="invalid_token"')

        # A made-up opaque string is refused by the issuer too.
        assert api.get("/events", headers={"Authorization": "Bearer cs1.forged"}).status_code == 401


def test_introspection_credentials_matter(server: tuple[str, Seeder, SeededClient]) -> None:
    url, seeder, rs = server
    read = f"{url}/auth/calendar.readonly"
    token = service_token(url, seeder.client("service"), read)
    headers = {"Authorization": f"Bearer {token}"}
    # A wrong secret is this API's fault, not the caller's: 503, so clients keep their token.
    verifier = RemoteVerifier(url, client_id=rs.client_id, client_secret="not-the-secret")
    with TestClient(guarded_app(verifier, read, "w")) as api:
        r = api.get("/events", headers=headers)
    assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"
    # Without --can-introspect, another project's tokens look inactive (docs/guard.md, section 1).
    plain = seeder.client("service")
    verifier = RemoteVerifier(url, client_id=plain.client_id, client_secret=plain.client_secret)
    with TestClient(guarded_app(verifier, read, "w")) as api:
        r = api.get("/events", headers=headers)
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"


def test_the_example_app_against_a_live_server(
    server: tuple[str, Seeder, SeededClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seeder, rs = server
    monkeypatch.setenv("CONSENTRY_ISSUER", url)
    monkeypatch.setenv("GUARD_CLIENT_ID", rs.client_id)
    monkeypatch.setenv("GUARD_CLIENT_SECRET", rs.client_secret or "")
    monkeypatch.delenv("NOTES_READ_SCOPES", raising=False)
    monkeypatch.delenv("NOTES_WRITE_SCOPES", raising=False)
    example = importlib.reload(importlib.import_module("examples.guarded_api.app"))

    svc = seeder.client("service")
    writer = service_token(url, svc, f"{url}/auth/files")
    reader = service_token(
        url, seeder.client("service", access_token_format="jwt"), f"{url}/auth/files.readonly"
    )
    with TestClient(example.app) as api:
        created = api.post("/notes", json={"text": "hello"}, headers={"Authorization": f"Bearer {writer}"})
        assert created.status_code == 201, created.text
        assert created.json() == {"id": 1, "owner": svc.client_id, "text": "hello"}
        mine = api.get("/notes", headers={"Authorization": f"Bearer {writer}"})
        assert mine.json() == [created.json()]
        # Another caller sees its own (empty) list, and may not write with a read-only scope.
        assert api.get("/notes", headers={"Authorization": f"Bearer {reader}"}).json() == []
        denied = api.post("/notes", json={"text": "x"}, headers={"Authorization": f"Bearer {reader}"})
        assert denied.status_code == 403
        assert denied.headers["www-authenticate"] == (
            f'Bearer realm="notes", error="insufficient_scope", scope="{url}/auth/files"'
        )
        assert api.get("/notes").status_code == 401
        assert api.get("/whoami", headers={"Authorization": f"Bearer {reader}"}).json()["token_kind"] == "jwt"
