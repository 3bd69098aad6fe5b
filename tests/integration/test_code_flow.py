"""Authorization code + PKCE, end to end over HTTP (AUTH2-1, AUTH2-2, CONSENT-6)."""

from __future__ import annotations

from joserfc import jwt
from joserfc.jwk import KeySet

from tests.conftest import ISSUER
from tests.support.browserless import pkce_pair

MAIL = f"{ISSUER}/auth/mail.readonly"
CAL = f"{ISSUER}/auth/calendar.readonly"


def _params(c, challenge: str, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    p = {
        "response_type": "code",
        "client_id": c.client_id,
        "redirect_uri": c.redirect_uris[0],
        "scope": f"openid email {MAIL}",
        "state": "st-1",
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    p.update(extra)
    return p


def test_code_flow_with_pkce_issues_tokens_and_id_token(seed, browser, client):  # AUTH2-1 AUTH2-2
    c = seed.client("web")
    sub = seed.user("ann@example.org")
    verifier, challenge = pkce_pair()
    q = browser.login_and_consent(
        _params(c, challenge, access_type="offline"), "ann@example.org", "correct-horse-battery"
    )
    assert q["state"] == "st-1" and "code" in q
    r = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": q["code"],
            "redirect_uri": c.redirect_uris[0],
            "code_verifier": verifier,
        },
        auth=(c.client_id, c.client_secret),
    )
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
    verifier, challenge = pkce_pair()
    q = browser.login_and_consent(
        _params(c, challenge, scope=f"openid {MAIL} {CAL}"),
        "ben@example.org",
        "correct-horse-battery",
        scopes=[CAL],
    )
    r = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": q["code"],
            "redirect_uri": c.redirect_uris[0],
            "code_verifier": verifier,
        },
        auth=(c.client_id, c.client_secret),
    )
    assert set(r.json()["scope"].split()) == {"openid", CAL}
