"""Security headers on the sign-in and consent pages, framing refused by Chromium, and CSRF on /signin."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.browser.helpers import PASSWORD, authorize_url, path_of, sign_in
from tests.support.browserless import pkce_pair
from tests.support.matching import matched

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def _assert_anti_framing(headers: dict[str, str], what: str) -> None:
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in [d.strip() for d in csp.split(";")], f"{what}: CSP is {csp!r}"
    assert headers.get("x-frame-options") == "DENY", f"{what}: {headers}"
    assert headers.get("x-content-type-options") == "nosniff", f"{what}: {headers}"


def _assert_signin_needs_csrf(base: str, email: str) -> None:
    """Over plain HTTP (no browser): the csrf field is what makes /signin accept a post."""
    with httpx.Client(base_url=base, timeout=10) as http:
        page = http.get("/signin")
        assert page.status_code == 200 and "consentry_sid" in http.cookies  # a real session, not a fresh one
        form = {"email": email, "password": PASSWORD, "flow": "", "next": "/account"}

        refused = http.post("/signin", data=form)
        assert refused.status_code == 403
        assert "Session check failed" in refused.text
        assert "set-cookie" not in refused.headers  # no new session id
        assert http.get("/account").headers.get("location", "").startswith("/signin")

        wrong = http.post("/signin", data={**form, "csrf": "0" * 64})
        assert wrong.status_code == 403

        # Control: the same form with the page's token signs in, so the 403s were the CSRF check.
        ok = http.post("/signin", data={**form, "csrf": matched(CSRF_RE, page.text)})
        assert ok.status_code == 303 and ok.headers["location"] == "/account"
        assert http.get("/account").status_code == 200


def test_security_headers_framing_and_csrf(live_server, page, app_callback) -> None:
    """Sign-in and consent pages carry CSP frame-ancestors 'none' and X-Frame-Options DENY (and Chromium
    honours them); a POST to /signin without the csrf field gets 403 and signs nobody in."""
    server, seeder = live_server
    client = seeder.client("web", redirect_uris=[app_callback.url], name="Framed App")
    seeder.user("erin@example.org")
    seeder.user("fred@example.org")
    _verifier, challenge = pkce_pair()

    signin = page.goto(
        authorize_url(
            server.url, client, app_callback.url, scope="openid email", state="st-hdr", challenge=challenge
        )
    )
    assert signin is not None and path_of(signin.url) == "/signin" and signin.status == 200
    _assert_anti_framing(signin.all_headers(), "sign-in page")

    with page.expect_response(lambda r: path_of(r.url) == "/authorize/continue") as consent_info:
        sign_in(page, "erin@example.org")
    consent = consent_info.value
    assert consent.status == 200 and "wants to access your account" in consent.text()
    _assert_anti_framing(consent.all_headers(), "consent page")

    # A page on another origin (the app's) tries to frame the sign-in page: Chromium must refuse to render it.
    page.goto(app_callback.origin + "/framer")
    with page.expect_response(lambda r: path_of(r.url) == "/signin") as framed_info:
        page.set_content(f'<iframe id="f" src="{server.url}/signin" width="600" height="400"></iframe>')
    assert framed_info.value.status == 200  # the server answered; the browser must not show it
    page.wait_for_load_state("load")
    frame = page.frame_locator("#f")
    assert frame.locator('form[action="/signin"]').count() == 0
    assert page.main_frame.child_frames and page.main_frame.child_frames[0].url != server.url + "/signin"

    _assert_signin_needs_csrf(server.url, "fred@example.org")
