"""Bad input gets a protocol error, never a 500 or a stack trace; security headers everywhere."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ISSUER

PAGES = ["/", "/signin", "/docs", "/device", "/.well-known/openid-configuration", "/jwks"]


def test_security_headers_on_every_page(client):
    for path in PAGES:
        r = client.get(path, follow_redirects=False)
        assert r.status_code < 500
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"


def test_session_cookie_flags(client):
    r = client.get("/signin")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # http issuer


def test_token_endpoint_error_formats(client):
    r = client.post("/token", data={"grant_type": "password", "username": "a", "password": "b"})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = client.post("/token", json={"grant_type": "client_credentials"})
    assert r.status_code == 400 and "error" in r.json()
    r = client.post(
        "/token",
        content=b"\xff\xfe\x00garbage",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400
    r = client.post("/token", data={"grant_type": "authorization_code", "code": "x", "client_id": "nobody"})
    assert r.status_code in (400, 401) and r.json()["error"] == "invalid_client"


def test_discovery_lists_every_endpoint_and_legacy_section(client):
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        meta = client.get(path).json()
        assert meta["issuer"] == ISSUER
        for key in (
            "authorization_endpoint",
            "token_endpoint",
            "userinfo_endpoint",
            "jwks_uri",
            "revocation_endpoint",
            "introspection_endpoint",
            "device_authorization_endpoint",
        ):
            assert meta[key].startswith(ISSUER)
        assert meta["code_challenge_methods_supported"] == ["S256"]
        assert set(meta["consentry_legacy_endpoints"]) == {
            "oauth1_request_token",
            "oauth1_authorize",
            "oauth1_access_token",
            "authsub_request",
            "authsub_session_token",
            "authsub_revoke_token",
            "authsub_token_info",
            "client_login",
            "unlock_captcha",
            "gadget_proxy",
        }


def test_discovery_validates_with_authlib_metadata_models(client):
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
    from authlib.oidc.discovery import OpenIDProviderMetadata

    meta = client.get("/.well-known/openid-configuration").json()
    OpenIDProviderMetadata(meta).validate()
    AuthorizationServerMetadata(meta).validate()


text = st.text(alphabet=string.printable + "éü\u202e", max_size=60)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "response_type",
                "client_id",
                "redirect_uri",
                "scope",
                "state",
                "prompt",
                "code_challenge",
                "code_challenge_method",
                "hd",
                "login_hint",
                "access_type",
                "nonce",
            ]
        ),
        text,
        max_size=8,
    )
)
def test_authorize_never_crashes(client, params):
    r = client.get("/authorize", params=params, follow_redirects=False)
    assert r.status_code in (200, 302, 303, 400), r.text[:500]
    assert "Traceback" not in r.text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    form=st.dictionaries(
        st.sampled_from(
            [
                "grant_type",
                "code",
                "client_id",
                "client_secret",
                "refresh_token",
                "redirect_uri",
                "code_verifier",
                "scope",
                "device_code",
                "token",
                "client_assertion",
                "client_assertion_type",
            ]
        ),
        text,
        max_size=8,
    ),
    path=st.sampled_from(["/token", "/revoke", "/introspect", "/device/code", "/tokeninfo"]),
)
def test_protocol_endpoints_never_crash(client, form, path):
    r = client.post(path, data=form)
    assert r.status_code in (200, 400, 401, 403), r.text[:500]
    assert r.headers["content-type"].startswith("application/json")


def test_non_ascii_values_with_a_real_client_get_protocol_errors(seed, client):
    c = seed.client("web")
    base = {"response_type": "code", "client_id": c.client_id, "scope": "openid", "state": "s"}
    r = client.get(
        "/authorize", params={**base, "redirect_uri": "https://app.example.org/cbé"}, follow_redirects=False
    )
    assert r.status_code == 400 and "location" not in r.headers
    r = client.get(
        "/authorize",
        params={**base, "redirect_uri": c.redirect_uris[0], "scope": "openid é\u202e"},
        follow_redirects=False,
    )
    assert r.status_code == 302 and "error=invalid_scope" in r.headers["location"]
    r = client.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": "é"},
        auth=(c.client_id, c.client_secret),
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_metrics_count_protocol_responses(app):
    from starlette.testclient import TestClient

    # /metrics answers loopback only by default (ISSUE-9.13); TestClient's peer is "testclient".
    with TestClient(app, base_url=ISSUER, client=("127.0.0.1", 50000)) as client:
        client.post("/token", data={"grant_type": "nope"})
        body = client.get("/metrics").text
    assert 'consentry_protocol_responses_total{endpoint="/token",status="400"} 1.0' in body
