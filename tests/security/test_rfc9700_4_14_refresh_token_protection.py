"""RFC 9700 §4.14 Refresh Token Protection (and RFC 6819 §5.2.2.2, §5.2.2.3, §5.2.1.1).

Refresh tokens of confidential clients are bound to the client; every refresh rotates the token,
and presenting a rotated token again (theft: two parties hold it) revokes the whole grant. A token
presented by the wrong client, on either path of the token endpoint, is refused and changes nothing
(issue 9.6).
"""

from __future__ import annotations

from sqlalchemy import text
from starlette.testclient import TestClient

from tests.security.support import USER, db_state, introspect, offline_tokens, refresh
from tests.support.browserless import Browser
from tests.support.seed import Seeder

#: Any client_assertion field takes the refresh off the token lane onto the FastAPI route.
ROUTE = {"client_assertion": ""}  # empty: no second authentication method beside Basic


# SEC-7 OWASP A07:2021 Identification and Authentication Failures: CWE-294: a replayed refresh token revokes
#   the whole grant.
def test_4_14_2_sender_constraint_rotation_and_replay_revokes_the_whole_grant(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """RFC 9700 §4.14.2, RFC 6819 §5.2.2.3 and §5.2.1.1: a confidential client's refresh needs its
    secret (without it, or with a wrong one: 401 ``invalid_client``, token untouched); each refresh
    gives a new refresh token; the old one presented again is ``invalid_grant``, every token of the
    family (the newest refresh token and every access token) dies, and the reuse is audited."""
    c = seed.client("web")
    seed.user(USER)
    t1 = offline_tokens(browser, client, c)
    before = db_state(seed.db)
    form = {"grant_type": "refresh_token", "refresh_token": t1["refresh_token"]}
    for r in (
        client.post("/token", data={**form, "client_id": c.client_id}),
        client.post("/token", data=form, auth=(c.client_id, "wrong-secret")),
        client.post("/token", data={**form, **ROUTE, "client_id": c.client_id}),
    ):
        assert r.status_code == 401 and r.json()["error"] == "invalid_client", r.text
    assert db_state(seed.db) == before

    r2 = refresh(client, c, t1["refresh_token"])
    assert r2.status_code == 200, r2.text
    t2 = r2.json()
    assert t2["refresh_token"] != t1["refresh_token"] and t2["access_token"] != t1["access_token"]
    assert introspect(client, c, t1["refresh_token"]) == {"active": False}  # rotated away
    replay = refresh(client, c, t1["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant", replay.text
    for token in (t1["access_token"], t2["access_token"], t2["refresh_token"]):
        assert introspect(client, c, token) == {"active": False}
    r3 = refresh(client, c, t2["refresh_token"])
    assert r3.status_code == 400 and r3.json()["error"] == "invalid_grant"
    with seed.db.unit_of_work() as s:
        tags = list(s.execute(text("SELECT tag FROM audit_events")).scalars())
    assert "token:refresh:reuse" in tags, tags


def test_4_14_a_refresh_token_presented_by_another_client_is_refused_and_changes_nothing(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """RFC 9700 §4.14.2, RFC 6819 §5.2.2.2 (issue 9.6): a stranger client with valid credentials of
    its own (basic or post auth, on the token lane or the FastAPI route) gets ``invalid_grant``; the
    database is unchanged, and the victim's access token and refresh token still work."""
    victim = seed.client("web")
    stranger = seed.client("web")
    seed.user(USER)
    tokens = offline_tokens(browser, client, victim)
    before = db_state(seed.db)
    for extra in ({}, ROUTE):
        form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], **extra}
        basic = client.post("/token", data=form, auth=(stranger.client_id, stranger.client_secret))
        post = client.post(
            "/token",
            data={**form, "client_id": stranger.client_id, "client_secret": stranger.client_secret or ""},
        )
        for r in (basic, post):
            assert r.status_code == 400 and r.json()["error"] == "invalid_grant", (extra, r.text)
            assert "access_token" not in r.json()
        assert db_state(seed.db) == before, f"a refused refresh changed the database ({extra or 'lane'})"
    assert introspect(client, victim, tokens["access_token"])["active"] is True
    honest = refresh(client, victim, tokens["refresh_token"])
    assert honest.status_code == 200, honest.text
