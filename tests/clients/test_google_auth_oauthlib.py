"""google-auth-oauthlib's Flow and google-auth's credentials against a live server.

AUTH2-1: a "web" client config pointed at our endpoints, ``access_type=offline`` and
``prompt=consent``, PKCE S256 (the library generates the verifier), offline access with a refresh token
that google-auth's own refresh rotates. AUTH2-2: the ID token verifies with google-auth's JWT code
against our JWKS, and ``AuthorizedSession`` reads /userinfo.
"""

from __future__ import annotations

import httpx
import pytest
from google.auth import jwt as google_jwt
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from joserfc.jwk import ECKey, RSAKey

from tests.clients.interactive import PASSWORD, approve
from tests.support.browserless import query_of

REDIRECT = "https://app.example.org/oauth2callback"


def _client_config(base: str, client_id: str, secret: str) -> dict:
    return {
        "web": {
            "client_id": client_id,
            "client_secret": secret,
            "auth_uri": base + "/authorize",
            "token_uri": base + "/token",
            "redirect_uris": [REDIRECT],
        }
    }


def _jwks_as_pem(base: str) -> dict[str, bytes]:
    """google-auth verifies with PEM keys by key id; our /jwks publishes JWKs."""
    keys = httpx.get(base + "/jwks", timeout=10).json()["keys"]
    kinds: dict[str, type[RSAKey] | type[ECKey]] = {"RSA": RSAKey, "EC": ECKey}
    return {k["kid"]: kinds[k["kty"]].import_key(k).as_pem(private=False) for k in keys}


def test_web_flow_offline_consent_userinfo_and_refresh(  # AUTH2-1 AUTH2-2
    live_server, live_browser, insecure_transport
):
    server, seed = live_server
    app = seed.client("web", redirect_uris=[REDIRECT])
    sub = seed.user("gia@example.org", PASSWORD)
    cal = f"{server.url}/auth/calendar.readonly"
    scopes = ["openid", "email", cal]

    flow = Flow.from_client_config(
        _client_config(server.url, app.client_id, app.client_secret), scopes=scopes, redirect_uri=REDIRECT
    )
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    sent = query_of(url)
    assert sent["access_type"] == "offline" and sent["prompt"] == "consent"
    assert sent["code_challenge_method"] == "S256" and flow.code_verifier

    callback = approve(live_browser, url, "gia@example.org")
    assert callback.startswith(REDIRECT + "?") and query_of(callback)["state"] == state
    flow.fetch_token(authorization_response=callback)

    creds = flow.credentials
    assert creds.token and creds.refresh_token and creds.id_token
    assert creds.client_id == app.client_id and creds.token_uri == server.url + "/token"
    assert set(creds.granted_scopes) == set(scopes)

    claims = google_jwt.decode(creds.id_token, certs=_jwks_as_pem(server.url), audience=app.client_id)
    assert claims["iss"] == server.url and claims["sub"] == sub and claims["email"] == "gia@example.org"

    session = AuthorizedSession(creds)
    info = session.get(server.url + "/userinfo")
    assert info.status_code == 200, info.text
    assert info.json() == {"sub": sub, "email": "gia@example.org", "email_verified": True}

    # google-auth refreshes on its own (client_secret_post, scopes in the body) and keeps the rotated
    # refresh token the server returns.
    old_access, old_refresh = creds.token, creds.refresh_token
    creds.refresh(Request())
    assert creds.token != old_access and creds.refresh_token != old_refresh
    assert session.get(server.url + "/userinfo").json()["email"] == "gia@example.org"

    # The refresh token it dropped is dead; presenting it is reuse, which also ends the new one.
    stale = Credentials(
        None,
        refresh_token=old_refresh,
        token_uri=creds.token_uri,
        client_id=app.client_id,
        client_secret=app.client_secret,
    )
    with pytest.raises(RefreshError, match="invalid_grant"):
        stale.refresh(Request())
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(Request())


def test_denied_consent_returns_access_denied(live_server, live_browser, insecure_transport):  # AUTH2-1
    server, seed = live_server
    app = seed.client("web", redirect_uris=[REDIRECT])
    seed.user("hal@example.org", PASSWORD)
    flow = Flow.from_client_config(
        _client_config(server.url, app.client_id, app.client_secret),
        scopes=["openid", "email"],
        redirect_uri=REDIRECT,
    )
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    page = live_browser.sign_in(live_browser.follow(live_browser.get(url)), "hal@example.org", PASSWORD)
    resp = live_browser.consent(page, ["openid", "email"], allow=False)
    assert resp.status_code == 303  # after the consent form POST (RFC 9700 4.12)
    back = query_of(resp.headers["location"])
    assert back["error"] == "access_denied" and back["state"] == state and "code" not in back
