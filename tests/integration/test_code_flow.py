"""Authorization code + PKCE, end to end over HTTP (AUTH2-1, AUTH2-2, CONSENT-6)."""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet

from tests.conftest import ISSUER
from tests.support.browserless import pkce_pair, query_of
from tests.support.flows import auth_params, exchange, get_code

MAIL = f"{ISSUER}/auth/mail.readonly"
CAL = f"{ISSUER}/auth/calendar.readonly"


def test_code_flow_with_pkce_issues_tokens_and_id_token(seed, browser, client):  # AUTH2-1 AUTH2-2
    c = seed.client("web")
    sub = seed.user("ann@example.org")
    code, verifier = get_code(
        browser, c, "ann@example.org", f"openid email {MAIL}", nonce="n-1", access_type="offline"
    )
    r = exchange(client, c, code, verifier)
    assert r.status_code == 200, r.text
    tok = r.json()
    assert r.headers["cache-control"] == "no-store"
    assert set(tok["scope"].split()) == {"openid", "email", MAIL}
    assert tok["refresh_token"]
    keys = KeySet.import_key_set(client.get("/jwks").json())
    claims = jwt.decode(tok["id_token"], keys).claims
    assert claims["sub"] == sub and claims["aud"] == c.client_id and claims["nonce"] == "n-1"
    assert claims["iss"] == ISSUER and claims["email"] == "ann@example.org"
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {tok['access_token']}"})
    assert info.status_code == 200 and info.json()["sub"] == sub


def test_unchecked_scope_is_not_granted(seed, browser, client):  # CONSENT-6
    c = seed.client("web")
    seed.user("ben@example.org")
    code, verifier = get_code(browser, c, "ben@example.org", f"openid {MAIL} {CAL}", consent=[CAL])
    assert set(exchange(client, c, code, verifier).json()["scope"].split()) == {"openid", CAL}


def test_nonce_replay_is_refused(seed, browser, client):  # AUTH2-7
    c = seed.client("web")
    seed.user("ann@example.org")
    get_code(browser, c, "ann@example.org", "openid", nonce="same-nonce")
    _v, ch = pkce_pair()
    r = browser.authorize(auth_params(c, ch, "openid", nonce="same-nonce"))
    assert query_of(r.headers["location"])["error"] == "invalid_request"
