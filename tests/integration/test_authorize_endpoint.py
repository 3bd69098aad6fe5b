"""The authorization endpoint's parameters and error paths (AUTH2-1, AUTH2-3, AUTH2-7, AUTH0-5)."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.conftest import ISSUER
from tests.support.browserless import pkce_pair, query_of
from tests.support.flows import PASSWORD, auth_params, exchange, get_code

MAIL = f"{ISSUER}/auth/mail.readonly"
CAL = f"{ISSUER}/auth/calendar.readonly"


def _authorize(browser, params):
    return browser.get(ISSUER + "/authorize?" + urlencode(params))


def test_unknown_client_shows_a_page_and_never_redirects(seed, browser):  # RFC 6749 4.1.2.1
    r = _authorize(
        browser,
        {
            "response_type": "code",
            "client_id": "nope",
            "redirect_uri": "https://evil.example/cb",
            "scope": "openid",
        },
    )
    assert r.status_code == 400 and "location" not in r.headers
    assert "invalid_client" in r.text and "text/html" in r.headers["content-type"]


def test_unregistered_redirect_uri_is_not_followed(seed, browser):  # exact matching, RFC 9700 4.1
    c = seed.client("web", redirect_uris=["https://app.example.org/cb"])
    for uri in (
        "https://app.example.org/cb/",
        "https://app.example.org/cb?x=1",
        "https://evil.example/cb",
        "https://app.example.org/CB",
    ):
        r = _authorize(
            browser,
            {"response_type": "code", "client_id": c.client_id, "redirect_uri": uri, "scope": "openid"},
        )
        assert r.status_code == 400 and "location" not in r.headers, uri


def test_missing_redirect_uri_is_an_error_page(seed, browser):
    c = seed.client("web")
    r = _authorize(browser, {"response_type": "code", "client_id": c.client_id, "scope": "openid"})
    assert r.status_code == 400 and "location" not in r.headers


def test_errors_after_validation_go_to_the_redirect_uri_with_state(seed, browser):
    c = seed.client("web")
    _v, ch = pkce_pair()
    r = _authorize(browser, auth_params(c, ch, "openid https://nope.example/auth/x"))
    q = query_of(r.headers["location"])
    assert (
        r.headers["location"].startswith(c.redirect_uris[0])
        and q["error"] == "invalid_scope"
        and q["state"] == "xyz"
    )
    r = _authorize(browser, auth_params(c, ch, "openid", response_type="token"))
    assert query_of(r.headers["location"])["error"] == "unsupported_response_type"


def test_public_clients_must_use_pkce_s256(seed, browser):  # AUTH2-1 RFC 9700 2.1.1
    c = seed.client("installed")
    r = _authorize(browser, auth_params(c, None, "openid"))
    q = query_of(r.headers["location"])
    assert q["error"] == "invalid_request" and "PKCE" in q["error_description"]
    _v, ch = pkce_pair()
    r = _authorize(browser, auth_params(c, ch, "openid", code_challenge_method="plain"))
    assert query_of(r.headers["location"])["error"] == "invalid_request"


def test_installed_app_loopback_redirect_on_any_port(seed, browser, client):  # RFC 8252 7.3
    c = seed.client("installed")
    assert c.redirect_uris == ["http://127.0.0.1"]
    seed.user("u@example.org")
    verifier, ch = pkce_pair()
    params = auth_params(c, ch, "openid", redirect_uri="http://127.0.0.1:53123/cb")
    assert _authorize(browser, {**params, "redirect_uri": "http://127.0.0.1:53123/cb"}).status_code == 400
    c.redirect_uris = ["http://127.0.0.1:53123"]
    q = browser.login_and_consent(auth_params(c, ch, "openid"), "u@example.org", PASSWORD)
    r = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": q["code"],
            "client_id": c.client_id,
            "redirect_uri": "http://127.0.0.1:53123",
            "code_verifier": verifier,
        },
    )
    assert r.status_code == 200, r.text


def test_prompt_none_errors(seed, browser):  # AUTH2-7
    c = seed.client("web")
    _v, ch = pkce_pair()
    r = _authorize(browser, auth_params(c, ch, "openid", prompt="none"))
    assert query_of(r.headers["location"])["error"] == "login_required"
    seed.user("u@example.org")
    get_code(browser, c, "u@example.org", "openid")
    r = _authorize(browser, auth_params(c, ch, f"openid {MAIL}", prompt="none"))
    assert query_of(r.headers["location"])["error"] == "consent_required"
    r = _authorize(browser, auth_params(c, ch, "openid", prompt="none"))
    assert "code" in query_of(r.headers["location"])
    r = _authorize(browser, auth_params(c, ch, "openid", prompt="none consent"))
    assert query_of(r.headers["location"])["error"] == "invalid_request"


def test_second_authorization_skips_consent_unless_prompt_consent(seed, browser):  # AUTH2-7
    c = seed.client("web")
    seed.user("u@example.org")
    get_code(browser, c, "u@example.org", f"openid {MAIL}")
    _v, ch = pkce_pair()
    again = browser.authorize(auth_params(c, ch, f"openid {MAIL}"))
    assert again.status_code == 302 and "code" in query_of(again.headers["location"])
    forced = browser.authorize(auth_params(c, ch, f"openid {MAIL}", prompt="consent"))
    assert forced.status_code == 200 and "/authorize/consent" in forced.text


def test_incremental_authorization_asks_only_new_scopes_and_unions(seed, browser, client):  # AUTH2-3 SCOPE-4
    c = seed.client("web")
    seed.user("u@example.org")
    get_code(browser, c, "u@example.org", f"openid {MAIL}")
    verifier, ch = pkce_pair()
    page = browser.authorize(auth_params(c, ch, CAL, include_granted_scopes="true"))
    assert page.status_code == 200 and CAL in page.text and MAIL not in page.text
    q = query_of(browser.consent(page, [CAL]).headers["location"])
    tok = exchange(client, c, q["code"], verifier).json()
    assert set(tok["scope"].split()) == {"openid", MAIL, CAL}
    # without include_granted_scopes the token carries only what was asked
    code, verifier = get_code(browser, c, "u@example.org", CAL)
    assert exchange(client, c, code, verifier).json()["scope"] == CAL


def test_denied_consent_redirects_access_denied(seed, browser):
    c = seed.client("web")
    seed.user("u@example.org")
    _v, ch = pkce_pair()
    page = browser.authorize(auth_params(c, ch, f"openid {MAIL}"))
    page = browser.sign_in(page, "u@example.org", PASSWORD)
    q = query_of(browser.consent(page, [MAIL], allow=False).headers["location"])
    assert q["error"] == "access_denied" and q["state"] == "xyz"


def test_hosted_domain_restricts_accounts(seed, browser):  # AUTH0-5
    c = seed.client("web")
    seed.user("worker@acme.test", org="acme.test")
    seed.user("home@example.org")
    _v, ch = pkce_pair()
    browser.login_and_consent(auth_params(c, ch, "openid"), "home@example.org", PASSWORD)
    # the signed-in consumer account does not count for hd=acme.test: sign-in is asked again
    r = browser.authorize(auth_params(c, ch, "openid", hd="acme.test"))
    assert r.status_code == 200 and 'action="/signin"' in r.text
    r = browser.authorize(auth_params(c, ch, "openid", hd="default", prompt="none"))
    assert "code" in query_of(r.headers["location"])


def test_hd_claim_in_id_token_for_organization_accounts(seed, browser, client):  # AUTH0-5
    from joserfc import jwt
    from joserfc.jwk import KeySet

    c = seed.client("web")
    seed.user("worker@acme.test", org="acme.test")
    code, verifier = get_code(browser, c, "worker@acme.test", "openid email", hd="acme.test")
    tok = exchange(client, c, code, verifier).json()
    claims = jwt.decode(tok["id_token"], KeySet.import_key_set(client.get("/jwks").json())).claims
    assert claims["hd"] == "acme.test"


def test_login_hint_prefills_sign_in(seed, browser):  # AUTH2-7
    c = seed.client("web")
    _v, ch = pkce_pair()
    r = browser.authorize(auth_params(c, ch, "openid", login_hint="who@example.org"))
    assert 'value="who@example.org"' in r.text


def test_wrong_password_same_error_as_unknown_user(seed, browser):
    c = seed.client("web")
    seed.user("u@example.org")
    _v, ch = pkce_pair()
    page = browser.authorize(auth_params(c, ch, "openid"))
    wrong = browser.sign_in(page, "u@example.org", "not-the-password")
    unknown = browser.sign_in(page, "ghost@example.org", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong.text and "Wrong email or password." in unknown.text


def test_consent_form_needs_csrf_token(seed, browser):  # CSRF on every form
    c = seed.client("web")
    seed.user("u@example.org")
    _v, ch = pkce_pair()
    page = browser.sign_in(browser.authorize(auth_params(c, ch, f"openid {MAIL}")), "u@example.org", PASSWORD)
    r = browser.http.post(
        ISSUER + "/authorize/consent", data={"flow": "x", "action": "allow", "csrf": "forged"}
    )
    assert r.status_code == 403
    assert page.status_code == 200


def test_prompt_none_with_several_accounts_asks_for_selection(seed, browser):  # AUTH2-7
    c = seed.client("web")
    seed.user("one@example.org")
    seed.user("two@example.org")
    get_code(browser, c, "one@example.org", "openid")
    _v, ch = pkce_pair()
    page = browser.follow(browser.get(ISSUER + "/signin?next=/account"))
    browser.sign_in(page, "two@example.org", PASSWORD)
    r = _authorize(browser, auth_params(c, ch, "openid", prompt="none"))
    assert query_of(r.headers["location"])["error"] == "account_selection_required"
    r = _authorize(browser, auth_params(c, ch, "openid", prompt="none", login_hint="one@example.org"))
    assert "code" in query_of(r.headers["location"])


def test_unticking_a_scope_on_repeat_consent_withdraws_it(seed, browser, client):  # CONSENT-6 AUTH0-1
    c = seed.client("web")
    seed.user("u@example.org")
    get_code(browser, c, "u@example.org", f"openid {MAIL} {CAL}")
    verifier, ch = pkce_pair()
    page = browser.authorize(auth_params(c, ch, f"openid {MAIL} {CAL}", prompt="consent"))
    assert MAIL in page.text and CAL in page.text
    q = query_of(browser.consent(page, [CAL]).headers["location"])
    assert set(exchange(client, c, q["code"], verifier).json()["scope"].split()) == {"openid", CAL}


def test_error_page_reads_well_without_response_type(seed, browser):
    r = _authorize(browser, {"client_id": "nope"})
    assert r.status_code == 400 and "response_type=code" in r.text and "'None'" not in r.text
