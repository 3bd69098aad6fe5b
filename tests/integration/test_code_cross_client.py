"""An authorization code redeemed wrongly changes nothing; replayed by its own client, it revokes.

RFC 9700 4.5 (code injection): a stolen code presented by another client, or without the right
PKCE verifier, or with another redirect URI, is refused and the code stays redeemable by its owner.
RFC 6749 4.1.2: the owner presenting it a second time revokes what the first use issued.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consentry.storage.tables import AuthorizationCode
from tests.support.browserless import pkce_pair
from tests.support.flows import exchange, get_code

SCOPE = "openid email"


def _used(seed) -> list[int | None]:
    with seed.db.unit_of_work() as s:
        return list(s.scalars(select(AuthorizationCode.used_at)))


@pytest.mark.parametrize(
    "attack",
    ["other_client", "wrong_verifier", "no_verifier", "other_redirect_uri"],
)
def test_a_refused_redemption_leaves_the_code_to_its_owner(seed, browser, client, attack: str) -> None:
    # RFC 9700 4.5, issue 9 (a token presented by the wrong client must change nothing).
    victim = seed.client("web")
    thief = seed.client("web", redirect_uris=victim.redirect_uris)
    seed.user("vic@example.org")
    code, verifier = get_code(browser, victim, "vic@example.org", SCOPE)
    if attack == "other_client":
        r = exchange(client, thief, code, verifier)
    elif attack == "wrong_verifier":
        r = exchange(client, victim, code, pkce_pair()[0])
    elif attack == "no_verifier":
        r = exchange(client, victim, code, "")
    else:
        r = exchange(client, victim, code, verifier, redirect_uri="https://app.example.org/other")
    assert r.status_code == 400 and r.json()["error"] in ("invalid_grant", "invalid_request"), r.text
    assert _used(seed) == [None]  # not consumed
    honest = exchange(client, victim, code, verifier)
    assert honest.status_code == 200, honest.text
    assert client.post(
        "/introspect",
        data={"token": honest.json()["access_token"]},
        auth=(victim.client_id, victim.client_secret),
    ).json()["active"]


def test_the_owner_replaying_its_code_revokes_what_it_issued(seed, browser, client) -> None:
    # RFC 6749 4.1.2
    c = seed.client("web")
    seed.user("rep@example.org")
    code, verifier = get_code(browser, c, "rep@example.org", SCOPE)
    first = exchange(client, c, code, verifier)
    assert first.status_code == 200
    again = exchange(client, c, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    intro = client.post(
        "/introspect", data={"token": first.json()["access_token"]}, auth=(c.client_id, c.client_secret)
    )
    assert intro.json() == {"active": False}


def test_a_used_code_replayed_without_its_verifier_revokes_nothing(seed, browser, client) -> None:
    # RFC 9700 4.5: a public client's used code, picked from a log or history by someone without the
    # PKCE verifier, must not let them revoke the owner's grant; the owner's own replay still does.
    c = seed.client("installed")
    seed.user("pub@example.org")
    code, verifier = get_code(browser, c, "pub@example.org", SCOPE)
    first = exchange(client, c, code, verifier)
    assert first.status_code == 200, first.text
    bearer = {"Authorization": f"Bearer {first.json()['access_token']}"}
    for wrong in ("", pkce_pair()[0]):
        replay = exchange(client, c, code, wrong)
        assert replay.status_code == 400 and replay.json()["error"] in ("invalid_grant", "invalid_request")
        assert client.get("/userinfo", headers=bearer).status_code == 200
    assert exchange(client, c, code, verifier).json()["error"] == "invalid_grant"
    assert client.get("/userinfo", headers=bearer).status_code == 401
