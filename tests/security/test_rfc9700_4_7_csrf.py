"""RFC 9700 §4.7 Cross-Site Request Forgery (and RFC 6819 §4.4.1.8).

Against the client: ``state`` comes back unchanged, and public clients must use PKCE (RFC 9700
§4.7.1). Against the server's own forms: the consent and sign-in posts need the CSRF token bound to
the browser's session, and a paused flow belongs to the browser that started it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from starlette.testclient import TestClient

from tests.conftest import ISSUER
from tests.security.support import MAIL, USER, redirect_params, single
from tests.support.browserless import CSRF_RE, FLOW_RE, Browser, form_value, pkce_pair
from tests.support.flows import PASSWORD, auth_params
from tests.support.seed import Seeder

#: Characters a client may put in state that a careless server could re-encode or truncate.
STATE = "Zx9-._~ &=+/?%:@!$'()*,;"


def test_4_7_1_state_comes_back_unchanged_and_public_clients_must_use_pkce(
    seed: Seeder, browser: Browser
) -> None:
    """RFC 9700 §4.7.1, RFC 6749 §4.1.2: the exact ``state`` the client sent comes back on error
    and success responses; a public client, which may rely on PKCE instead of ``state``, gets
    ``invalid_request`` (naming PKCE) without a ``code_challenge``."""
    c = seed.client("web")
    seed.user(USER)
    _v, challenge = pkce_pair()
    err = browser.authorize(auth_params(c, challenge, "openid https://nope.example/x", state=STATE))
    q = redirect_params(err)
    assert single(q, "error") == "invalid_scope" and single(q, "state") == STATE
    ok = browser.login_and_consent(auth_params(c, challenge, "openid", state=STATE), USER, PASSWORD)
    assert "code" in ok and ok["state"] == STATE

    public = seed.client("installed")
    q = redirect_params(browser.authorize(auth_params(public, None, "openid")))
    assert single(q, "error") == "invalid_request" and "PKCE" in single(q, "error_description"), q
    assert "code" not in q


# SEC-7 OWASP A01:2021 Broken Access Control: CWE-352: cross-site posts of the consent and sign-in forms are
#   refused.
def test_4_7_the_servers_forms_need_the_sessions_csrf_token_and_flows_stay_in_their_browser(
    seed: Seeder, browser: Browser, client: TestClient, app: Any
) -> None:
    """RFC 6819 §4.4.1.8: a cross-site post of the consent form is 403 "Session check failed" (no
    redirect, no code) whether its token is missing, forged or valid for the attacker's own session;
    the same for the sign-in form (login CSRF), which then sets no cookie. A flow the attacker
    started cannot be finished in the victim's browser: it is "expired" there even with the
    victim's valid token, and nothing is granted. The real forms still work afterwards (control)."""
    c = seed.client("web")
    seed.user(USER)
    attacker = Browser(TestClient(app, base_url=ISSUER), ISSUER)  # another browser, no lifespan of its own
    attackers_token = form_value(attacker.http.get("/signin").text, CSRF_RE)
    _v, challenge = pkce_pair()
    attackers_flow = form_value(attacker.authorize(auth_params(c, challenge, f"openid {MAIL}")).text, FLOW_RE)

    # Login CSRF against /signin.
    signin_page = client.get("/signin")
    form = {"email": USER, "password": PASSWORD, "flow": "", "next": "/account"}
    for forged in ({}, {"csrf": "f" * 64}, {"csrf": attackers_token}):
        r = client.post("/signin", data={**form, **forged}, follow_redirects=False)
        assert r.status_code == 403 and "Session check failed" in r.text, (forged, r.text[:300])
        assert "set-cookie" not in r.headers

    page = browser.sign_in(browser.authorize(auth_params(c, challenge, f"openid {MAIL}")), USER, PASSWORD)
    flow, csrf = form_value(page.text, FLOW_RE), form_value(page.text, CSRF_RE)
    for forged in ({}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": attackers_token}):
        r = browser.http.post(
            ISSUER + "/authorize/consent",
            data={"flow": flow, "action": "allow", "scope": MAIL, **forged},
            follow_redirects=False,
        )
        assert r.status_code == 403 and "location" not in r.headers, (forged, r.status_code)
        assert "Session check failed" in r.text and "<code>csrf</code>" in r.text

    resumed = browser.get(ISSUER + "/authorize/continue?flow=" + attackers_flow)
    assert resumed.status_code == 400 and "<code>expired</code>" in resumed.text, resumed.text[:500]
    posted = browser.http.post(
        ISSUER + "/authorize/consent",
        data={"csrf": csrf, "flow": attackers_flow, "action": "allow", "scope": MAIL},
        follow_redirects=False,
    )
    assert (
        posted.status_code == 400
        and "location" not in posted.headers
        and "<code>expired</code>" in posted.text
    )
    with seed.db.unit_of_work() as s:
        assert s.execute(text("SELECT count(*) FROM authorization_codes")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM consent_grants")).scalar_one() == 0

    q = redirect_params(browser.consent(page, [MAIL]))
    assert "code" in q and single(q, "state") == "xyz"
    ok = client.post(
        "/signin", data={**form, "csrf": form_value(signin_page.text, CSRF_RE)}, follow_redirects=False
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/account"
