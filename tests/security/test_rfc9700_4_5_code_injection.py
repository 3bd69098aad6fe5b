"""RFC 9700 §4.5 Authorization Code Injection (and RFC 6819 §4.4.1.13, §5.2.4.4, §5.2.4.6).

An attacker who stole a code tries to redeem it in another context: with their own PKCE verifier
(injected into their own session with the victim's client), through another client, or with another
redirect URI. Each attempt gets ``invalid_grant`` and changes nothing (issue 9.6: a credential
presented in the wrong context must not burn it, or the attacker could deny the victim's sign-in);
the code still works once for its rightful client, and a replay revokes what the code gave.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.security.support import MAIL, USER, code_for, db_state, introspect, refresh
from tests.support.browserless import Browser, pkce_pair
from tests.support.flows import exchange
from tests.support.seed import Seeder


# SEC-7 OWASP A07:2021 Identification and Authentication Failures: CWE-294: a stolen code cannot be redeemed
#   in another context.
def test_4_5_an_injected_code_is_refused_and_changes_nothing(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """RFC 9700 §4.5.3.1, RFC 6819 §5.2.4.4 and §5.2.4.6: the stolen code redeemed with the
    attacker's own PKCE verifier ("Code challenge failed."), by another confidential client (with
    its own valid secret and the victim's verifier), or with another registered redirect URI is
    ``invalid_grant``, issues nothing and leaves the database as it was; then the rightful client,
    with its verifier and redirect URI, redeems it (control)."""
    victim = seed.client("web", redirect_uris=["https://app.example.org/cb", "https://app.example.org/other"])
    attacker = seed.client("web")
    seed.user(USER)
    code, verifier = code_for(browser, victim, f"openid {MAIL}")
    before = db_state(seed.db)

    attacker_verifier, _challenge = pkce_pair()
    r = exchange(client, victim, code, attacker_verifier)
    assert r.status_code == 400 and r.json() == {
        "error": "invalid_grant",
        "error_description": "Code challenge failed.",
    }, r.text
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": victim.redirect_uris[0],
    }
    for r in (
        client.post("/token", data=form, auth=(attacker.client_id, attacker.client_secret)),
        client.post(
            "/token",
            data={**form, "client_id": attacker.client_id, "client_secret": attacker.client_secret or ""},
        ),
        exchange(client, victim, code, verifier, redirect_uri="https://app.example.org/other"),
    ):
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
        assert "access_token" not in r.json()
    assert db_state(seed.db) == before, "a refused code redemption changed the database"

    honest = exchange(client, victim, code, verifier)
    assert honest.status_code == 200 and honest.json()["access_token"], honest.text


def test_4_5_redeeming_a_used_code_revokes_every_token_it_gave(
    seed: Seeder, browser: Browser, client: TestClient
) -> None:
    """RFC 9700 §4.5, RFC 6749 §4.1.2: a second redemption means the code leaked. It is refused
    with ``invalid_grant`` and the access token, the refresh token and userinfo access issued from
    the first redemption all stop working."""
    c = seed.client("web")
    seed.user(USER)
    code, verifier = code_for(browser, c, f"openid {MAIL}", access_type="offline")
    first = exchange(client, c, code, verifier)
    assert first.status_code == 200, first.text
    tokens = first.json()
    assert introspect(client, c, tokens["access_token"])["active"] is True
    second = exchange(client, c, code, verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant", second.text
    assert introspect(client, c, tokens["access_token"]) == {"active": False}
    assert introspect(client, c, tokens["refresh_token"]) == {"active": False}
    dead = refresh(client, c, tokens["refresh_token"])
    assert dead.status_code == 400 and dead.json()["error"] == "invalid_grant", dead.text
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 401 and 'error="invalid_token"' in info.headers["www-authenticate"]
