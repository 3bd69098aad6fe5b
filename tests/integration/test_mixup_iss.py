"""ISSUE-9.8 RFC 9207: every authorization response, success or error, names its issuer once.

A client that uses several authorization servers learns from ``iss`` which one answered, so a code
from one is never sent to another (the mix-up attack, RFC 9700 section 4.4).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from consentry.protocol.oauth2.issuer import with_issuer
from tests.conftest import ISSUER
from tests.support.browserless import pkce_pair
from tests.support.flows import PASSWORD, auth_params

CAL = f"{ISSUER}/auth/calendar.readonly"
#: After the consent form's POST: 303 (RFC 9700 section 4.12, another item of issue 9), else 302.
POST_REDIRECT = (302, 303)


def _query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


def _assert_one_iss(location: str) -> dict[str, list[str]]:
    q = _query(location)
    assert q["iss"] == [ISSUER], location  # exactly once, our issuer
    return q


def test_discovery_announces_the_iss_parameter(client):  # ISSUE-9.8 RFC 9207 section 3
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.json()["authorization_response_iss_parameter_supported"] is True, path


def test_success_redirect_names_the_issuer(seed, browser):  # ISSUE-9.8 RFC 9207 section 2
    c = seed.client("web")
    seed.user("ann@example.org")
    _v, challenge = pkce_pair()
    resp = browser.authorize(auth_params(c, challenge, "openid"))
    resp = browser.sign_in(resp, "ann@example.org", PASSWORD)
    resp = browser.consent(resp, [])
    assert resp.status_code in POST_REDIRECT and resp.headers["location"].startswith(c.redirect_uris[0] + "?")
    q = _assert_one_iss(resp.headers["location"])
    assert q["state"] == ["xyz"] and len(q["code"]) == 1


def test_error_redirect_after_validation_names_the_issuer(seed, browser):  # ISSUE-9.8 RFC 9207 section 2
    c = seed.client("web")
    _v, challenge = pkce_pair()
    r = browser.get(
        ISSUER + "/authorize?" + urlencode(auth_params(c, challenge, "openid https://nope.example/x"))
    )
    assert r.status_code == 302 and r.headers["location"].startswith(c.redirect_uris[0] + "?")
    q = _assert_one_iss(r.headers["location"])
    assert q["error"] == ["invalid_scope"]
    assert q["error_description"] == ["The request names a scope this server does not know."]
    assert q["state"] == ["xyz"]


def test_denied_consent_names_the_issuer(seed, browser):  # ISSUE-9.8 RFC 9207 section 2
    c = seed.client("web")
    seed.user("ann@example.org")
    _v, challenge = pkce_pair()
    page = browser.sign_in(
        browser.authorize(auth_params(c, challenge, f"openid {CAL}")), "ann@example.org", PASSWORD
    )
    r = browser.consent(page, [CAL], allow=False)
    assert r.status_code in POST_REDIRECT
    q = _assert_one_iss(r.headers["location"])
    assert q["error"] == ["access_denied"] and q["state"] == ["xyz"]
    assert q["error_description"] == ["The resource owner or authorization server denied the request"]


def test_prompt_none_errors_name_the_issuer(seed, browser):  # ISSUE-9.8 RFC 9207 section 2
    c = seed.client("web")
    _v, challenge = pkce_pair()
    r = browser.get(ISSUER + "/authorize?" + urlencode(auth_params(c, challenge, "openid", prompt="none")))
    assert r.status_code == 302
    q = _assert_one_iss(r.headers["location"])
    assert q["error"] == ["login_required"] and q["state"] == ["xyz"]
    assert "error_description" not in q  # Authlib sends none for login_required


def test_an_iss_in_the_registered_redirect_uri_is_replaced(seed, browser):  # ISSUE-9.8 RFC 9207 section 2
    c = seed.client(
        "web", redirect_uris=["https://app.example.org/cb?tenant=7&iss=https%3A%2F%2Fevil.example"]
    )
    _v, challenge = pkce_pair()
    r = browser.get(
        ISSUER + "/authorize?" + urlencode(auth_params(c, challenge, "openid https://nope.example/x"))
    )
    assert r.status_code == 302
    q = _assert_one_iss(r.headers["location"])
    assert q["tenant"] == ["7"] and q["error"] == ["invalid_scope"]


def test_an_error_page_is_not_a_redirect(seed, browser):  # ISSUE-9.8: no redirect URI, nothing to name
    r = browser.get(
        ISSUER + "/authorize?" + urlencode({"response_type": "code", "client_id": "nope", "scope": "openid"})
    )
    assert r.status_code == 400 and "location" not in r.headers and "invalid_client" in r.text


def test_with_issuer_keeps_the_query_and_adds_iss_once():  # ISSUE-9.8 RFC 9207 section 2
    loc = with_issuer("https://a.example/cb?x=a%20b&iss=old&code=c#frag", "https://id.example")
    assert loc == "https://a.example/cb?x=a%20b&code=c&iss=https%3A%2F%2Fid.example#frag"
    assert (
        with_issuer("https://a.example/cb", "https://id.example")
        == "https://a.example/cb?iss=https%3A%2F%2Fid.example"
    )
    assert with_issuer("", "https://id.example") == ""
