"""requests-oauthlib's OAuth2Session against a live server: code flow with PKCE, refresh rotation.

AUTH2-1: authorization code grant with PKCE (S256) for a web app, refresh tokens only with
``access_type=offline``, rotated on every use; a rotated refresh token presented again is reuse and
revokes the whole grant, including the token that replaced it (RFC 9700 section 4.14.2).
"""

from __future__ import annotations

import pytest
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from tests.clients.interactive import PASSWORD, approve
from tests.support.browserless import query_of

REDIRECT = "https://app.example.org/callback"


def _introspect(oauth: OAuth2Session, url: str, auth: HTTPBasicAuth, token: str, hint: str) -> dict:
    r = oauth.post(
        url + "/introspect", data={"token": token, "token_type_hint": hint}, auth=auth, withhold_token=True
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_code_flow_pkce_then_refresh_rotates_and_reuse_revokes_family(  # AUTH2-1
    live_server, live_browser, insecure_transport
):
    server, seed = live_server
    app = seed.client("web", redirect_uris=[REDIRECT])
    sub = seed.user("ann@example.org", PASSWORD)
    mail = f"{server.url}/auth/mail.readonly"
    scope = ["openid", "email", mail]
    auth = HTTPBasicAuth(app.client_id, app.client_secret)

    oauth = OAuth2Session(app.client_id, redirect_uri=REDIRECT, scope=scope, pkce="S256")
    url, state = oauth.authorization_url(server.url + "/authorize", access_type="offline")
    sent = query_of(url)
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43

    callback = approve(live_browser, url, "ann@example.org")
    assert callback.startswith(REDIRECT + "?")
    back = query_of(callback)
    assert back["state"] == state and back["code"]

    # The library sends its code_verifier; the secret goes in HTTP Basic (client_secret_basic).
    token = oauth.fetch_token(
        server.url + "/token", authorization_response=callback, client_secret=app.client_secret
    )
    assert token["token_type"] == "Bearer"
    assert set(token["scope"]) == set(scope)
    assert token["access_token"] and token["id_token"] and token["expires_in"] > 0
    first_access, first_refresh = token["access_token"], token["refresh_token"]

    info = oauth.get(server.url + "/userinfo")
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == sub and info.json()["email"] == "ann@example.org"

    # Rotation: a new refresh token each time, and the new access token works.
    rotated = oauth.refresh_token(server.url + "/token", refresh_token=first_refresh, auth=auth)
    second_refresh = rotated["refresh_token"]
    assert second_refresh != first_refresh
    assert rotated["access_token"] != first_access
    assert set(rotated["scope"]) == set(scope)
    assert oauth.get(server.url + "/userinfo").status_code == 200
    assert _introspect(oauth, server.url, auth, second_refresh, "refresh_token")["active"] is True
    assert _introspect(oauth, server.url, auth, first_refresh, "refresh_token")["active"] is False

    # Reuse of the rotated token: refused...
    with pytest.raises(InvalidGrantError):
        oauth.refresh_token(server.url + "/token", refresh_token=first_refresh, auth=auth)
    # ...and it revoked its successor, refresh and access token alike (reuse detection).
    assert _introspect(oauth, server.url, auth, second_refresh, "refresh_token")["active"] is False
    assert _introspect(oauth, server.url, auth, rotated["access_token"], "access_token")["active"] is False
    with pytest.raises(InvalidGrantError):
        oauth.refresh_token(server.url + "/token", refresh_token=second_refresh, auth=auth)
    gone = oauth.get(server.url + "/userinfo")
    assert gone.status_code == 401 and gone.json()["error"] == "invalid_token"


def test_no_refresh_token_without_access_type_offline(  # AUTH2-1
    live_server, live_browser, insecure_transport
):
    server, seed = live_server
    app = seed.client("web", redirect_uris=[REDIRECT])
    seed.user("bea@example.org", PASSWORD)
    oauth = OAuth2Session(app.client_id, redirect_uri=REDIRECT, scope=["openid", "email"], pkce="S256")
    url, _state = oauth.authorization_url(server.url + "/authorize")
    callback = approve(live_browser, url, "bea@example.org")
    token = oauth.fetch_token(
        server.url + "/token", authorization_response=callback, client_secret=app.client_secret
    )
    assert token["access_token"] and token["id_token"]
    assert "refresh_token" not in token
    assert oauth.get(server.url + "/userinfo").json()["email"] == "bea@example.org"


def test_code_is_bound_to_the_pkce_verifier(live_server, live_browser, insecure_transport):  # AUTH2-1
    server, seed = live_server
    app = seed.client("web", redirect_uris=[REDIRECT])
    seed.user("cid@example.org", PASSWORD)
    oauth = OAuth2Session(app.client_id, redirect_uri=REDIRECT, scope=["openid"], pkce="S256")
    url, _state = oauth.authorization_url(server.url + "/authorize")
    code = query_of(approve(live_browser, url, "cid@example.org"))["code"]
    # Another session has its own verifier: the stolen code is useless to it.
    thief = OAuth2Session(app.client_id, redirect_uri=REDIRECT, scope=["openid"], pkce="S256")
    thief.authorization_url(server.url + "/authorize")
    with pytest.raises(InvalidGrantError):
        thief.fetch_token(server.url + "/token", code=code, client_secret=app.client_secret)
