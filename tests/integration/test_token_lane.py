"""The token path (issue 4, one path since issue 10): group commit, cached clients checked at commit,
reuse races, headers."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import update

from consentry.domain.secrets import Hasher
from consentry.storage.tables import Client, Token
from consentry.storage.tables.base import now
from tests.conftest import ISSUER, SECRET
from tests.support.flows import tokens_for
from tests.support.loops import own_loop

MAIL = f"{ISSUER}/auth/mail.readonly"
CC = {"grant_type": "client_credentials"}


def _gather(app, *requests):
    """Send requests concurrently to the ASGI app, in one event loop, so they can share a batch."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
            return list(await asyncio.gather(*(http.post(path, **kw) for path, kw in requests)))

    return own_loop(run)


def test_concurrent_token_requests_share_one_commit(seed, app):  # issue 4: group commit
    svc = seed.client("service")
    writer = app.state.runtime.token_store.writer
    before_batches, before_items = writer.batches, writer.items
    auth = (svc.client_id, svc.client_secret)
    responses = _gather(app, *[("/token", {"data": CC, "auth": auth})] * 20)
    assert [r.status_code for r in responses] == [200] * 20
    assert writer.items - before_items == 20
    assert writer.batches - before_batches < 20  # several requests per transaction
    # Every token was committed before it was handed out: each one introspects as active.
    intro = _gather(
        app,
        *[("/introspect", {"data": {"token": r.json()["access_token"]}, "auth": auth}) for r in responses],
    )
    assert all(r.json()["active"] is True for r in intro)


def test_a_cached_client_is_checked_again_when_its_token_commits(seed, client):  # issue 4, SEC
    svc = seed.client("service")
    auth = (svc.client_id, svc.client_secret)
    assert client.post("/token", data=CC, auth=auth).status_code == 200  # now cached
    with seed.db.unit_of_work() as s:
        s.execute(update(Client).where(Client.id == svc.pk).values(disabled=True))
    refused = client.post("/token", data=CC, auth=auth)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    with seed.db.unit_of_work() as s:
        s.execute(
            update(Client)
            .where(Client.id == svc.pk)
            .values(disabled=False, secret_hash=Hasher(SECRET).hash("a-rotated-secret"))
        )
    assert client.post("/token", data=CC, auth=auth).status_code == 401  # the old secret is dead at once
    assert client.post("/token", data=CC, auth=(svc.client_id, "a-rotated-secret")).status_code == 200


def test_two_concurrent_uses_of_one_refresh_token_revoke_the_family(seed, browser, app, client):
    # AUTH2-1, RFC 9700 4.14: the race is decided by the commit; the loser is treated as reuse.
    c = seed.client("web")
    seed.user("u@example.org")
    first = tokens_for(browser, client, c, "u@example.org", f"openid {MAIL}", access_type="offline")
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    auth = (c.client_id, c.client_secret)
    a, b = _gather(app, ("/token", {"data": form, "auth": auth}), ("/token", {"data": form, "auth": auth}))
    assert sorted([a.status_code, b.status_code]) == [200, 400]
    winner, loser = (a, b) if a.status_code == 200 else (b, a)
    assert loser.json()["error"] == "invalid_grant"
    intro = client.post("/introspect", data={"token": winner.json()["access_token"]}, auth=auth)
    assert intro.json() == {"active": False}


def test_lane_answers_carry_the_security_headers(seed, client):  # SEC-3
    svc = seed.client("service")
    token = client.post("/token", data=CC, auth=(svc.client_id, svc.client_secret))
    assert token.headers["cache-control"] == "no-store" and token.headers["pragma"] == "no-cache"
    for response in (token, client.get("/jwks"), client.get("/.well-known/openid-configuration")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["content-type"] == "application/json"
    assert client.get("/jwks").headers["cache-control"] == "public, max-age=60"
    assert client.get("/.well-known/openid-configuration").json()["issuer"] == ISSUER


def test_an_oversized_body_is_refused_in_the_protocol_format(client):
    r = client.post(
        "/token",
        content=b"grant_type=client_credentials&x=" + b"a" * 70_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413 and r.json()["error"] == "invalid_request"


def test_new_tokens_key_on_their_ordered_id_and_old_tokens_still_work(seed, client):  # issue 4
    svc = seed.client("service")
    auth = (svc.client_id, svc.client_secret)
    issued = client.post("/token", data=CC, auth=auth).json()["access_token"]
    assert issued.startswith("cs2.") and issued.count(".") == 1
    key = Hasher(SECRET).token_key(issued)
    assert len(key) == 64 and key.startswith(issued[4:20])
    # A token minted before ordered keys (cs1.) is stored under its plain keyed hash and still works.
    legacy = "cs1.0jZpZxG84ffKwow91S1y92g4c7mIq2arv4H-YxhS2s8"
    t = now()
    with seed.db.unit_of_work() as s:
        s.add(
            Token(
                access_hash=Hasher(SECRET).hash(legacy),
                client_pk=svc.pk,
                scope="",
                grant_type="client_credentials",
                issued_at=t,
                expires_at=t + 600,
                family="legacy",
                purge_after=t + 600,
            )
        )
    assert client.post("/introspect", data={"token": legacy}, auth=auth).json()["active"] is True
