"""RFC 9700 §4.8 PKCE Downgrade Attack (and RFC 7636).

An attacker who strips or weakens PKCE can redeem an intercepted code. Consentry accepts only
S256 and ties the token request to what the authorization request said: a challenge demands a
verifier, and a verifier without a challenge is refused.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.security.support import USER, code_for, db_state, redirect_params, single
from tests.support.browserless import Browser, pkce_pair
from tests.support.flows import PASSWORD, auth_params, exchange
from tests.support.seed import Seeder


# SEC-7 OWASP A02:2021 Cryptographic Failures: CWE-327: PKCE only with SHA-256; 'plain' and unknown methods
#   are refused.
def test_4_8_pkce_cannot_be_downgraded(seed: Seeder, browser: Browser, client: TestClient) -> None:
    """RFC 9700 §4.8.2, §2.1.1: ``plain`` (the verifier travels with the request), a missing method
    (RFC 7636 would default to plain) and unknown methods are ``invalid_request`` for public and
    confidential clients; discovery lists S256 only. At the token endpoint, dropping the verifier
    is refused ("Missing 'code_verifier'") and changes nothing (the rightful request with the
    verifier still works: control), and a verifier for a code issued without a challenge is refused
    too (the sign that the challenge was stripped)."""
    verifier, challenge = pkce_pair()
    for client_type in ("installed", "web"):
        c = seed.client(client_type)
        for extra in (
            {"code_challenge": verifier, "code_challenge_method": "plain"},
            {"code_challenge": challenge, "code_challenge_method": "S512"},
            {"code_challenge": challenge, "code_challenge_method": "s256"},
            {"code_challenge": challenge},
        ):
            params = {**auth_params(c, None, "openid"), **extra}
            q = redirect_params(browser.authorize(params))
            assert single(q, "error") == "invalid_request" and "code" not in q, (client_type, extra, q)
    meta = client.get("/.well-known/oauth-authorization-server").json()
    assert meta["code_challenge_methods_supported"] == ["S256"]

    web = seed.client("web")
    seed.user(USER)
    code, verifier = code_for(browser, web)
    before = db_state(seed.db)
    r = client.post(
        "/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": web.redirect_uris[0]},
        auth=(web.client_id, web.client_secret),
    )
    assert r.status_code == 400, r.text
    assert r.json() == {"error": "invalid_request", "error_description": "Missing 'code_verifier'"}
    assert db_state(seed.db) == before, "a refused code redemption changed the database"
    honest = exchange(client, web, code, verifier)
    assert honest.status_code == 200, honest.text

    no_pkce = browser.login_and_consent(auth_params(web, None, "openid"), USER, PASSWORD)
    assert "code" in no_pkce, no_pkce
    attacker_verifier, _challenge = pkce_pair()
    r = exchange(client, web, no_pkce["code"], attacker_verifier)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request", r.text
    assert "code_challenge" in r.json()["error_description"]
