"""Two-step verification in a real Chromium (ACCT-3): enrol, sign in with a code, with a recovery code.

A person sets up an authenticator app from the account page, typing the key shown on the page into
"the app" (pyotp here) and its first code back; saves the ten recovery codes shown once; signs out;
signs in with the password and a code from the app; signs out; signs in with a recovery code; and
that same recovery code is refused the next time. Screenshots at 1280 and 390 pixels of the sign-in
page (with its new links), the verify page, the security page, the set-up page and the recovery
codes go to ``$CONSENTRY_SCREENSHOTS`` (else the test's temporary directory), named ``two-step-*``.
No page may log a console error (a CSP violation among them) or be wider than the phone's screen.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyotp
import pytest

from consentry.domain.accounts.totp import PERIOD
from consentry.domain.accounts.two_step_admin import require_two_step
from tests.browser.console_helpers import PageErrors, screenshot_dir
from tests.browser.helpers import PASSWORD, path_of
from tests.browser.screenshots import at_both_widths
from tests.support.accounts import served
from tests.support.live import LiveServer
from tests.support.seed import Seeder

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

USER = "tess@example.org"


@pytest.fixture
def two_step_server(database_url: str) -> Iterator[tuple[LiveServer, Seeder]]:
    with served(database_url, {"CONSENTRY_SIGNUP": "open"}) as world:  # the sign-in page links to sign-up
        yield world


def shoot(page: Page, directory: Path, name: str) -> None:
    """Full-page screenshots at 1280 and 390 pixels; the stylesheets applied, nothing overflows."""
    page.wait_for_load_state("load")
    assert page.evaluate("[...document.styleSheets].some(s => (s.href || '').endsWith('/security.css'))")
    at_both_widths(page, directory, f"two-step-{name}", wide="desktop")


def password(page: Page, email: str = USER) -> None:
    assert path_of(page.url) == "/signin", page.url
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page, base: str) -> None:
    page.goto(base + "/account")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out of all accounts").click()
    assert page.goto(base + "/account") is not None and path_of(page.url) == "/signin"


class App:
    """The authenticator app on the person's phone: a code for a time step not used before."""

    def __init__(self, secret: str) -> None:
        self.otp = pyotp.TOTP(secret)
        self.last = 0

    def code(self) -> str:
        while True:
            step = int(time.time() // PERIOD)
            for candidate in (step, step + 1):
                if candidate > self.last:
                    self.last = candidate
                    return str(self.otp.generate_otp(candidate))
            time.sleep(1)


def test_enrol_then_sign_in_with_a_code_and_with_a_recovery_code(
    two_step_server, page: Page, tmp_path
) -> None:
    # ACCT-3: TOTP enrolment from the account page, sign-in with the code, a recovery code used once
    server, seeder = two_step_server
    base = server.url
    seeder.user(USER)
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)

    # The sign-in page, with its links; the account's security page asks for it.
    page.goto(base + "/account/security")
    assert path_of(page.url) == "/signin"
    assert page.get_by_role("link", name="Forgot your password?").get_attribute("href") == "/password/forgot"
    assert page.get_by_role("link", name="Create an account").get_attribute("href") == "/signup"
    shoot(page, shots, "signin")
    password(page)
    assert path_of(page.url) == "/account/security"
    assert page.locator("#two-step-state").inner_text() == "Off"
    shoot(page, shots, "security-off")

    # Set up the app: the key shown on the page goes into the app, its code comes back.
    with page.expect_navigation():
        page.get_by_role("link", name="Set up an authenticator app").click()
    assert path_of(page.url) == "/account/security/totp"
    assert page.locator("svg.qr").is_visible()
    assert page.locator("svg.qr").bounding_box()["width"] >= 150  # type: ignore[index]
    shoot(page, shots, "totp-setup")
    app = App(page.locator("#totp-secret").inner_text().replace(" ", ""))
    page.get_by_label("Code from the app").fill(app.code())
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on").click()
    codes = [c.strip() for c in page.locator("#recovery-codes code").all_inner_texts()]
    assert len(codes) == 10 and all(len(c) == 11 and c[5] == "-" for c in codes), codes
    assert page.get_by_role("button", name="Print").is_visible()
    shoot(page, shots, "recovery-codes")
    with page.expect_navigation():
        page.get_by_role("link", name="I have saved them").click()
    assert path_of(page.url) == "/account/security"
    assert page.locator("#two-step-state").inner_text() == "On"
    assert page.locator("#codes-left").inner_text() == "10 left"
    assert "The authenticator app is set up." in page.get_by_role("status").inner_text()
    shoot(page, shots, "security-on")

    # Sign out, then in: the password, then a code from the app.
    sign_out(page, base)
    page.goto(base + "/signin")
    password(page)
    assert path_of(page.url) == "/signin/verify"
    assert page.get_by_role("heading", name="2-Step Verification").is_visible()
    code_field = page.get_by_label("Enter the code")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    assert code_field.get_attribute("inputmode") == "numeric"
    shoot(page, shots, "verify")
    code_field.fill(app.code())
    with page.expect_navigation():
        page.get_by_role("button", name="Verify", exact=True).click()
    assert path_of(page.url) == "/account", page.url

    # Sign out, then in with a recovery code ("Try another way").
    sign_out(page, base)
    page.goto(base + "/signin")
    password(page)
    page.get_by_text("Try another way").click()
    page.get_by_label("Recovery code").fill(codes[0])
    shoot(page, shots, "verify-recovery")
    with page.expect_navigation():
        page.get_by_role("button", name="Use a recovery code").click()
    assert path_of(page.url) == "/account", page.url
    page.goto(base + "/account/security")
    assert page.locator("#codes-left").inner_text() == "9 left"

    # The same recovery code a second time: refused, with the tries left.
    sign_out(page, base)
    page.goto(base + "/signin")
    password(page)
    page.get_by_text("Try another way").click()
    page.get_by_label("Recovery code").fill(codes[0])
    with page.expect_navigation():
        page.get_by_role("button", name="Use a recovery code").click()
    assert path_of(page.url) == "/signin/verify"
    alert = page.get_by_role("alert").inner_text()
    assert "That code didn't work." in alert and "4 tries left" in alert
    assert page.get_by_label("Recovery code").is_visible()  # the recovery form stays open
    shoot(page, shots, "verify-wrong")
    assert errors.unexpected() == []


def test_an_org_that_requires_two_step_has_its_member_set_it_up_at_sign_in(
    two_step_server, page: Page, tmp_path
) -> None:
    # ACCT-3: the organization requires two-step; a member without it sets up an app before signing in
    server, seeder = two_step_server
    seeder.user("new@strict.test", org="strict.test")
    with seeder.db.unit_of_work() as s:
        require_two_step(s, "strict.test", True, actor="test")
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)
    page.goto(server.url + "/signin")
    password(page, "new@strict.test")
    assert path_of(page.url) == "/signin/verify"
    assert "Your organization requires two-step verification." in page.locator("#setup-required").inner_text()
    assert page.locator("svg.qr").is_visible()
    shoot(page, shots, "verify-setup")
    app = App(page.locator("#totp-secret").inner_text().replace(" ", ""))
    page.get_by_label("Code from the app").fill(app.code())
    with page.expect_navigation():
        page.get_by_role("button", name="Verify and continue").click()
    assert len(page.locator("#recovery-codes code").all_inner_texts()) == 10
    with page.expect_navigation():
        page.get_by_role("link", name="I have saved them, continue").click()
    assert path_of(page.url) == "/account", page.url
    assert errors.unexpected() == []
