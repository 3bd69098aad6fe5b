"""prompt=login and max_age ask for a fresh sign-in; the ID token says how the user signed in.

ACCT-3 (amr/acr in ID tokens; prompt=login and max_age re-ask), OIDC Core §3.1.2.1.
"""

from __future__ import annotations

from typing import Any

from tests.support.accounts import id_token_claims
from tests.support.browserless import Browser, pkce_pair, query_of
from tests.support.flows import PASSWORD, auth_params, exchange, get_code

EMAIL = "fresh@example.org"


def _signed_in(seed: Any, browser: Browser) -> Any:
    c = seed.client("web")
    seed.user(EMAIL)
    get_code(browser, c, EMAIL, "openid")  # the browser is now signed in
    return c


def test_password_signin_id_token_says_pwd_and_one_factor(seed, browser, client):  # ACCT-3
    c = _signed_in(seed, browser)
    code, verifier = get_code(browser, c, EMAIL, "openid email")
    claims = id_token_claims(client, exchange(client, c, code, verifier).json())
    assert claims["amr"] == ["pwd"]
    assert claims["acr"] == "urn:consentry:acr:1"


def test_prompt_login_asks_the_password_again(seed, browser, client):  # ACCT-3
    c = _signed_in(seed, browser)
    _v, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, "openid", prompt="login"))
    assert page.status_code == 200 and 'action="/signin"' in page.text
    assert f'value="{EMAIL}"' in page.text  # the signed-in account is asked, by name
    done = browser.sign_in(page, EMAIL, PASSWORD)
    assert done.status_code in (302, 303) and "code" in query_of(done.headers["location"])


def test_without_prompt_login_the_session_is_enough(seed, browser, client):  # ACCT-3
    c = _signed_in(seed, browser)
    _v, challenge = pkce_pair()
    r = browser.authorize(auth_params(c, challenge, "openid"))
    assert r.status_code in (302, 303) and "code" in query_of(r.headers["location"])


def test_max_age_zero_asks_again_and_a_long_max_age_does_not(seed, browser, client):  # ACCT-3
    c = _signed_in(seed, browser)
    _v, challenge = pkce_pair()
    relaxed = browser.authorize(auth_params(c, challenge, "openid", max_age="3600"))
    assert relaxed.status_code in (302, 303) and "code" in query_of(relaxed.headers["location"])
    page = browser.authorize(auth_params(c, challenge, "openid", max_age="0"))
    assert page.status_code == 200 and 'action="/signin"' in page.text
    done = browser.sign_in(page, EMAIL, PASSWORD)
    code = query_of(done.headers["location"])["code"]
    assert code


def test_stale_sign_in_with_prompt_none_is_login_required(seed, browser, client):  # ACCT-3
    c = _signed_in(seed, browser)
    _v, challenge = pkce_pair()
    r = browser.authorize(auth_params(c, challenge, "openid", prompt="none", max_age="0"))
    q = query_of(r.headers["location"])
    assert q["error"] == "login_required" and q["state"] == "xyz"


def test_malformed_max_age_is_invalid_request(seed, browser, client):  # ACCT-3
    c = _signed_in(seed, browser)
    _v, challenge = pkce_pair()
    for bad in ("-1", "soon", "1.5", "99999999999"):
        r = browser.authorize(auth_params(c, challenge, "openid", max_age=bad))
        q = query_of(r.headers["location"])
        assert q["error"] == "invalid_request", (bad, q)
        assert "max_age" in q["error_description"]


def test_prompt_login_is_listed_and_combines_with_consent(seed, browser, client):  # ACCT-3
    meta = client.get("/.well-known/openid-configuration").json()
    assert "login" in meta["prompt_values_supported"]
    assert meta["acr_values_supported"] == ["urn:consentry:acr:1", "urn:consentry:acr:2"]
    assert {"amr", "acr"} <= set(meta["claims_supported"])
    c = _signed_in(seed, browser)
    _v, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, "openid", prompt="login consent"))
    assert 'action="/signin"' in page.text
    consent = browser.sign_in(page, EMAIL, PASSWORD)
    assert consent.status_code == 200 and "/authorize/consent" in consent.text
