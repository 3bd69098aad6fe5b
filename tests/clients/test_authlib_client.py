"""Authlib's httpx OAuth2Client against a live server.

AUTH2-1: an installed (public) app on a loopback redirect with a port chosen at run time
(RFC 8252 section 7.3), PKCE S256 mandatory. Service clients: client_credentials with
client_secret_basic and with private_key_jwt (RFC 7523 section 2.2, Authlib's ``PrivateKeyJWT``).
AUTH2-6: revocation (RFC 7009) and introspection (RFC 7662) through the same library.
"""

from __future__ import annotations

import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.jwk import RSAKey

from consentry.storage.tables import Client
from tests.clients.interactive import PASSWORD, approve
from tests.support.browserless import query_of
from tests.support.live import free_port


def _register_jwks(seed, pk: int, *keys: RSAKey) -> None:
    with seed.db.unit_of_work() as s:
        s.get(Client, pk).jwks = {"keys": [k.as_dict(private=False) for k in keys]}


def test_installed_app_loopback_any_port_pkce_and_public_revocation(  # AUTH2-1 AUTH2-6
    live_server, live_browser
):
    server, seed = live_server
    app = seed.client("installed", redirect_uris=["http://127.0.0.1/cb"])
    assert app.client_secret is None
    sub = seed.user("ivy@example.org", PASSWORD)
    redirect = f"http://127.0.0.1:{free_port()}/cb"  # the port the app happens to get at run time

    with OAuth2Client(
        app.client_id,
        redirect_uri=redirect,
        scope="openid email",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    ) as oauth:
        verifier = generate_token(48)
        url, state = oauth.create_authorization_url(
            server.url + "/authorize", code_verifier=verifier, access_type="offline"
        )
        assert query_of(url)["code_challenge_method"] == "S256"
        callback = approve(live_browser, url, "ivy@example.org")
        assert callback.startswith(redirect + "?")
        assert query_of(callback)["state"] == state

        # No secret: client_id in the body (auth method "none") and the PKCE verifier prove the client.
        token = oauth.fetch_token(
            server.url + "/token", authorization_response=callback, code_verifier=verifier
        )
        assert token["token_type"] == "Bearer" and token["id_token"] and token["refresh_token"]
        assert set(token["scope"].split()) == {"openid", "email"}
        info = oauth.get(server.url + "/userinfo")
        assert info.status_code == 200 and info.json()["sub"] == sub

        # A public client refreshes with its client_id alone; the refresh token rotates.
        refreshed = oauth.refresh_token(server.url + "/token", refresh_token=token["refresh_token"])
        assert refreshed["refresh_token"] != token["refresh_token"]

        # A public client may revoke its own tokens (RFC 7009); revoking ends the whole grant.
        r = oauth.revoke_token(
            server.url + "/revoke", token=refreshed["refresh_token"], token_type_hint="refresh_token"
        )
        assert r.status_code == 200, r.text
        gone = oauth.get(server.url + "/userinfo")
        assert gone.status_code == 401 and gone.json()["error"] == "invalid_token"
        with pytest.raises(OAuthError) as err:
            oauth.refresh_token(server.url + "/token", refresh_token=refreshed["refresh_token"])
        assert err.value.error == "invalid_grant"


def test_installed_app_default_loopback_registration_accepts_any_port(  # AUTH2-1
    live_server, live_browser
):
    server, seed = live_server
    app = seed.client("installed")  # registers the default http://127.0.0.1
    assert app.redirect_uris == ["http://127.0.0.1"]
    seed.user("jo@example.org", PASSWORD)
    redirect = f"http://127.0.0.1:{free_port()}/"
    with OAuth2Client(
        app.client_id,
        redirect_uri=redirect,
        scope="openid",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    ) as oauth:
        verifier = generate_token(48)
        url, _state = oauth.create_authorization_url(server.url + "/authorize", code_verifier=verifier)
        callback = approve(live_browser, url, "jo@example.org")
        assert callback.startswith(redirect + "?")
        token = oauth.fetch_token(
            server.url + "/token", authorization_response=callback, code_verifier=verifier
        )
        assert token["access_token"] and "refresh_token" not in token


def test_public_client_without_pkce_is_refused(live_server, live_browser):  # AUTH2-1
    server, seed = live_server
    app = seed.client("installed", redirect_uris=["http://127.0.0.1/cb"])
    redirect = f"http://127.0.0.1:{free_port()}/cb"
    # code_challenge_method unset: Authlib sends no code_challenge at all.
    with OAuth2Client(
        app.client_id, redirect_uri=redirect, scope="openid", token_endpoint_auth_method="none"
    ) as oauth:
        url, state = oauth.create_authorization_url(server.url + "/authorize")
        assert "code_challenge" not in query_of(url)
        resp = live_browser.follow(live_browser.get(url))
    assert resp.status_code == 302
    back = query_of(resp.headers["location"])
    assert resp.headers["location"].startswith(redirect + "?")
    assert back["error"] == "invalid_request" and back["state"] == state and "code" not in back


def test_loopback_redirect_with_another_path_is_refused(live_server, live_browser):  # AUTH2-1
    server, seed = live_server
    app = seed.client("installed", redirect_uris=["http://127.0.0.1/cb"])
    with OAuth2Client(
        app.client_id,
        redirect_uri=f"http://127.0.0.1:{free_port()}/elsewhere",
        scope="openid",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    ) as oauth:
        url, _state = oauth.create_authorization_url(
            server.url + "/authorize", code_verifier=generate_token(48)
        )
    resp = live_browser.follow(live_browser.get(url))
    # An unregistered redirect URI is never redirected to: the user gets an error page.
    assert resp.status_code == 400
    assert "location" not in resp.headers


def test_client_credentials_basic_then_introspect_and_revoke(live_server):  # AUTH2-6
    server, seed = live_server
    svc = seed.client("service")
    cal = f"{server.url}/auth/calendar.readonly"
    with OAuth2Client(
        svc.client_id, svc.client_secret, scope=cal, token_endpoint_auth_method="client_secret_basic"
    ) as oauth:
        token = oauth.fetch_token(server.url + "/token", grant_type="client_credentials")
        assert token["token_type"] == "Bearer" and token["scope"] == cal
        assert token["expires_in"] > 0 and "refresh_token" not in token and "id_token" not in token

        r = oauth.introspect_token(
            server.url + "/introspect", token=token["access_token"], token_type_hint="access_token"
        )
        assert r.status_code == 200, r.text
        meta = r.json()
        assert meta["active"] is True
        assert meta["client_id"] == svc.client_id and meta["scope"] == cal
        assert meta["iss"] == server.url and meta["exp"] > meta["iat"]

        r = oauth.revoke_token(
            server.url + "/revoke", token=token["access_token"], token_type_hint="access_token"
        )
        assert r.status_code == 200, r.text
        r = oauth.introspect_token(server.url + "/introspect", token=token["access_token"])
        assert r.status_code == 200 and r.json() == {"active": False}

    with OAuth2Client(svc.client_id, "not-the-secret", scope=cal) as wrong, pytest.raises(OAuthError) as err:
        wrong.fetch_token(server.url + "/token", grant_type="client_credentials")
    assert err.value.error == "invalid_client"


def test_client_credentials_private_key_jwt(live_server):  # AUTH2-6
    server, seed = live_server
    svc = seed.client("service")
    key = RSAKey.generate_key(2048, parameters={"kid": "app-key-1", "use": "sig", "alg": "RS256"})
    _register_jwks(seed, svc.pk, key)
    token_url = server.url + "/token"
    cal = f"{server.url}/auth/calendar.readonly"

    with OAuth2Client(
        svc.client_id,
        key,
        scope=cal,
        token_endpoint_auth_method="private_key_jwt",
        revocation_endpoint_auth_method="private_key_jwt",
    ) as oauth:
        oauth.register_client_auth_method(PrivateKeyJWT(token_url))
        token = oauth.fetch_token(token_url, grant_type="client_credentials")
        assert token["token_type"] == "Bearer" and token["scope"] == cal

        r = oauth.introspect_token(server.url + "/introspect", token=token["access_token"])
        assert r.status_code == 200, r.text
        assert r.json()["active"] is True and r.json()["client_id"] == svc.client_id

        r = oauth.revoke_token(server.url + "/revoke", token=token["access_token"])
        assert r.status_code == 200, r.text
        r = oauth.introspect_token(server.url + "/introspect", token=token["access_token"])
        assert r.json() == {"active": False}


def test_private_key_jwt_refuses_unknown_key_and_replayed_jti(live_server):  # AUTH2-6
    server, seed = live_server
    svc = seed.client("service")
    registered = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    _register_jwks(seed, svc.pk, registered)
    token_url = server.url + "/token"

    stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with OAuth2Client(svc.client_id, stranger, token_endpoint_auth_method="private_key_jwt") as oauth:
        oauth.register_client_auth_method(PrivateKeyJWT(token_url))
        with pytest.raises(OAuthError) as err:
            oauth.fetch_token(token_url, grant_type="client_credentials")
        assert err.value.error == "invalid_client"

    # The same jti twice: the first assertion is accepted, the second is a replay.
    with OAuth2Client(svc.client_id, registered, token_endpoint_auth_method="private_key_jwt") as oauth:
        oauth.register_client_auth_method(PrivateKeyJWT(token_url, claims={"jti": "once-only"}))
        assert oauth.fetch_token(token_url, grant_type="client_credentials")["access_token"]
        with pytest.raises(OAuthError) as err:
            oauth.fetch_token(token_url, grant_type="client_credentials")
        assert err.value.error == "invalid_client"


def test_private_key_jwt_key_rollover_selects_key_by_kid(live_server):  # AUTH2-6
    server, seed = live_server
    svc = seed.client("service")
    old = RSAKey.generate_key(2048, parameters={"kid": "2024"})
    new = RSAKey.generate_key(2048, parameters={"kid": "2025"})
    _register_jwks(seed, svc.pk, old, new)
    token_url = server.url + "/token"
    # Authlib puts no kid in the assertion header unless told; with two registered keys it must.
    for key in (old, new):
        with OAuth2Client(svc.client_id, key, token_endpoint_auth_method="private_key_jwt") as oauth:
            oauth.register_client_auth_method(PrivateKeyJWT(token_url, headers={"kid": key.kid}))
            assert oauth.fetch_token(token_url, grant_type="client_credentials")["access_token"]
