"""RFC 9700 §4.12 307 Redirect.

A 307 after a form post makes the browser post the same body (the user's password, the consent
form) to the next URL, which may be the client's. Every redirect that answers a POST of the
sign-in, account-chooser or consent forms must be 303 See Other.
"""

from __future__ import annotations

from tests.conftest import ISSUER
from tests.security.support import MAIL, USER
from tests.support.browserless import CSRF_RE, FLOW_RE, Browser, form_value, pkce_pair
from tests.support.flows import PASSWORD, auth_params
from tests.support.seed import Seeder


def test_4_12_redirects_after_form_posts_are_303(seed: Seeder, browser: Browser) -> None:
    """RFC 9700 §4.12: sign-in (credentials), account choice and consent (allow and deny) answer
    303 — never 307 (which would replay the body) nor 302 (which RFC 9700 leaves to the browser)."""
    c = seed.client("web")
    seed.user(USER)
    seed.user("second@example.org")
    _v, challenge = pkce_pair()
    signin = browser.authorize(auth_params(c, challenge, f"openid {MAIL}"))
    posted = browser.http.post(
        ISSUER + "/signin",
        data={
            "csrf": form_value(signin.text, CSRF_RE),
            "flow": form_value(signin.text, FLOW_RE),
            "email": USER,
            "password": PASSWORD,
            "next": "",
        },
        follow_redirects=False,
    )
    assert posted.status_code == 303, ("sign-in", posted.status_code)
    consent = browser.follow(posted)
    denied = browser.consent(consent, [MAIL], allow=False)
    assert denied.status_code == 303, ("consent deny", denied.status_code, denied.headers.get("location"))

    # A second account in the same browser: the chooser, then consent (allow).
    page = browser.follow(browser.get(ISSUER + "/signin?next=/account"))
    browser.sign_in(page, "second@example.org", PASSWORD)
    chooser = browser.authorize(auth_params(c, challenge, f"openid {MAIL}"))
    assert chooser.status_code == 200 and 'action="/accounts/choose"' in chooser.text, chooser.text[:500]
    user_id = chooser.text.split('name="user_id" value="', 1)[1].split('"', 1)[0]
    chose = browser.http.post(
        ISSUER + "/accounts/choose",
        data={
            "csrf": form_value(chooser.text, CSRF_RE),
            "flow": form_value(chooser.text, FLOW_RE),
            "user_id": user_id,
        },
        follow_redirects=False,
    )
    assert chose.status_code == 303, ("account chooser", chose.status_code)
    consent = browser.follow(chose)
    allowed = browser.consent(consent, [MAIL])
    assert allowed.status_code == 303, ("consent allow", allowed.status_code, allowed.headers.get("location"))
    assert "code=" in allowed.headers["location"]
