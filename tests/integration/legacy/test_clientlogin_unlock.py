"""The unlock page and the account page for ClientLogin (AUTH4-4; issue 15 "Everywhere").

An app locked out behind ``CaptchaRequired`` is let in by its owner from a browser; the token it
then gets shows on the account page and goes with "Remove access".
"""

from __future__ import annotations

import re

from sqlalchemy import select

from consentry.domain.legacy.unregistered import PROJECT
from consentry.storage.tables import AuditEvent, Project
from tests.conftest import ISSUER
from tests.integration.account import HTML, csrf, post, sign_in, text_of
from tests.integration.legacy.clientlogin_steps import (
    ANSWER,
    calendar,
    http,
    legacy_app,
    login,
    parsed,
    seeded,
    small,
)
from tests.support.browserless import CSRF_RE, Browser, form_value

__all__ = ["http", "legacy_app", "seeded", "small"]  # fixtures
ADA = "ada@example.org"
PAGE = "/accounts/DisplayUnlockCaptcha"
CAPTCHA_ID_RE = re.compile(r'name="captcha_id" value="([^"]+)"')


def locked(http, email: str) -> None:
    for _ in range(3):
        login(http, email, "wrong-password")
    assert parsed(login(http, email))["Error"] == "CaptchaRequired"


def unlock(browser: Browser, answer: str):
    page = browser.get(ISSUER + PAGE, headers=HTML).text
    data = {
        "csrf": form_value(page, CSRF_RE),
        "captcha_id": form_value(page, CAPTCHA_ID_RE),
        "captcha": answer,
    }
    return post(browser, PAGE, data)


def test_the_owner_unlocks_in_a_browser_and_the_original_request_succeeds(http, seeded) -> None:
    # AUTH4-4: DisplayUnlockCaptcha, then the app's same request (no CAPTCHA fields) gets through
    seeded.user(ADA)
    browser = Browser(http, ISSUER)
    assert sign_in(browser, ADA).status_code == 200  # the owner's browser, signed in already
    locked(http, ADA)
    page = browser.get(ISSUER + PAGE, headers=HTML)
    assert page.status_code == 200 and 'src="data:image/png;base64,' in page.text
    assert "tried to sign in to ada@example.org" in text_of(page.text)
    wrong = unlock(browser, "NOPE42")
    assert wrong.status_code == 400 and "did not match the picture" in text_of(wrong.text)
    assert parsed(login(http, ADA))["Error"] == "CaptchaRequired"  # still locked
    done = unlock(browser, ANSWER)
    assert done.status_code == 200 and 'id="unlocked"' in done.text
    assert "For the next 10 minutes" in text_of(done.text)
    answer = login(http, ADA)
    assert answer.status_code == 200, answer.text
    # Unlocked is not unchecked: a wrong password still fails.
    assert parsed(login(http, ADA, "wrong-password"))["Error"] == "BadAuthentication"
    with seeded.db.unit_of_work() as s:
        tags = list(s.scalars(select(AuditEvent.tag).where(AuditEvent.tag == "user:clientlogin:unlock")))
    assert tags == ["user:clientlogin:unlock"]


def test_the_unlock_page_needs_a_signed_in_owner_and_a_csrf_token(http, seeded) -> None:
    # AUTH4-4: nobody else can unlock an account (nor learn whether it exists)
    seeded.user(ADA)
    page = http.get(PAGE, headers=HTML, follow_redirects=False)
    assert page.status_code in (302, 303) and page.headers["location"].startswith("/signin")
    browser = Browser(http, ISSUER)
    sign_in(browser, ADA)
    forged = post(browser, PAGE, {"csrf": "forged", "captcha_id": "x", "captcha": ANSWER})
    assert forged.status_code == 403


def test_clientlogin_access_is_listed_and_removed_on_the_account_page(http, seeded) -> None:
    # Issue 15: legacy grants appear on the account page and are revoked by the same click
    seeded.user(ADA)
    auth = parsed(login(http, ADA))["Auth"]
    browser = Browser(http, ISSUER)
    sign_in(browser, ADA)
    account = text_of(browser.get(ISSUER + "/account", headers=HTML).text)
    assert "Unregistered older apps Access since" in account
    assert "See, edit, share, and permanently delete all the calendars you can access" in account
    with seeded.db.unit_of_work() as s:
        pid = s.scalar(select(Project.id).where(Project.name == PROJECT))
    removed = post(browser, f"/account/apps/{pid}/revoke", {"csrf": csrf(browser)})
    assert removed.status_code == 303
    assert calendar(http, f"GoogleLogin auth={auth}").status_code == 401
