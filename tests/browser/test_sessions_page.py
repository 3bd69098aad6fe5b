"""Sessions, app passwords and account deletion in a real Chromium (ACCT-4, ACCT-5, ACCT-6).

Two browser contexts (two profiles, so two cookie jars: a laptop and a phone) sign in as the
same user; from the laptop's /account/sessions the phone's sign-in is ended, and the phone is
signed out on its next page. Then the app-password pages (the explanation without two-step, the
list, the password shown once) and the deletion pages (refused for a sole owner, the
confirmation, goodbye). Screenshots at 1280 and 390 pixels go to ``$CONSENTRY_SCREENSHOTS``
(else the test's temporary directory); every page is checked for overflow and CSP errors.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from consentry.storage.tables import User
from tests.browser.console_helpers import PageErrors, screenshot_dir
from tests.browser.helpers import path_of, sign_in
from tests.browser.screenshots import DESKTOP, PHONE
from tests.browser.test_account_page import shoot  # the account pages' screenshots and checks
from tests.support.accounts import two_step_on

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.support.live import LiveServer
    from tests.support.seed import Seeder

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

USER = "ada@example.org"
OWNER = "olga@example.org"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)


def _sign_in_to(page: Page, base: str, path: str, email: str = USER) -> None:
    page.goto(base + path)
    sign_in(page, email)
    assert path_of(page.url) == path, page.url


def test_end_another_browser_from_the_sessions_page(
    live_server: tuple[LiveServer, Seeder], page: Page, chromium: Any, tmp_path: Path
) -> None:  # ACCT-5
    server, seeder = live_server
    base = server.url
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)
    seeder.user(USER)
    phone_context = chromium.new_context(viewport=PHONE, user_agent=IPHONE, locale="en-US")
    try:
        phone = phone_context.new_page()
        phone_errors = PageErrors().watch(phone)
        _sign_in_to(phone, base, "/account")
        _sign_in_to(page, base, "/account/sessions")

        rows = page.locator("li.browser")
        assert rows.count() == 2
        assert rows.nth(0).locator(".badge.this").inner_text() == "This browser"
        assert rows.nth(0).locator("h2.device").inner_text() == "Headless Chrome on Linux"
        assert rows.nth(1).locator("h2.device").inner_text() == "Safari on iPhone"
        assert rows.nth(1).locator(".how").inner_text() == "Password"
        shoot(page, shots, "sessions")

        with page.expect_navigation():
            rows.nth(1).get_by_role("button", name="Sign out").click()
        assert page.url.endswith("/account/sessions?done=ended")
        assert "Signed out." in page.locator(".notice.ok").inner_text()
        assert page.locator("li.browser").count() == 1
        shoot(page, shots, "sessions-ended")

        phone.goto(base + "/account")  # its next page load: signed out
        assert path_of(phone.url) == "/signin"
        page.goto(base + "/account")
        assert path_of(page.url) == "/account"  # the laptop stays signed in
        assert phone_errors.unexpected() == []
    finally:
        phone_context.close()
    assert errors.unexpected() == []


def test_app_password_pages(live_server: tuple[LiveServer, Seeder], page: Page, tmp_path: Path) -> None:
    # ACCT-4: the explanation without two-step; with it, the form, the password shown once, the list
    server, seeder = live_server
    base = server.url
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)
    seeder.user(USER)
    _sign_in_to(page, base, "/account/app-passwords")
    assert page.locator("#needs-2sv h2").inner_text() == "Turn on two-step verification first"
    shoot(page, shots, "app-passwords-needs-2sv")

    two_step_on(seeder, USER)
    page.goto(base + "/account/app-passwords")
    page.get_by_label("Name it after the app or device that will use it").fill("Thunderbird on my laptop")
    with page.expect_navigation():
        page.get_by_role("button", name="Create").click()
    shown = page.locator("#app-password code").inner_text()
    assert re.fullmatch(r"[a-z]{4} [a-z]{4} [a-z]{4} [a-z]{4}", shown), shown
    shoot(page, shots, "app-passwords-shown-once")

    with page.expect_navigation():
        page.get_by_role("link", name="Done").click()
    page.get_by_label("Name it after the app or device that will use it").fill("Calendar sync on my phone")
    with page.expect_navigation():
        page.get_by_role("button", name="Create").click()
    page.goto(base + "/account/app-passwords")
    assert page.locator(".ap-name").all_inner_texts() == [
        "Calendar sync on my phone",
        "Thunderbird on my laptop",
    ]
    assert shown not in page.content()
    shoot(page, shots, "app-passwords")

    with page.expect_navigation():
        page.get_by_role("button", name="Revoke Thunderbird on my laptop").click()
    assert page.locator(".ap-name").all_inner_texts() == ["Calendar sync on my phone"]
    assert errors.unexpected() == []


def test_account_deletion_pages(
    live_server: tuple[LiveServer, Seeder], page: Page, chromium: Any, tmp_path: Path
) -> None:  # ACCT-6
    server, seeder = live_server
    base = server.url
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)
    seeder.user(USER)
    seeder.user(OWNER)
    seeder.client("web", owner=OWNER, project="Weather Widget")
    seeder.client("web", owner=OWNER, project="Olga's Notes")

    owner_context = chromium.new_context(viewport=DESKTOP, locale="en-US")
    try:
        owner = owner_context.new_page()
        _sign_in_to(owner, base, "/account/delete", OWNER)
        assert owner.locator("#blocked ul.projects li").all_inner_texts() == [
            "Olga's Notes",
            "Weather Widget",
        ]
        assert owner.locator("#confirm-email").count() == 0
        shoot(owner, shots, "delete-blocked")
    finally:
        owner_context.close()

    _sign_in_to(page, base, "/account/delete")
    page.get_by_label(re.compile("To confirm, type your e-mail address")).fill("not-me@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Delete my account").click()
    assert page.locator(".notice.error").get_attribute("data-code") == "wrong_confirmation"
    page.get_by_label(re.compile("To confirm, type your e-mail address")).fill(USER)
    shoot(page, shots, "delete")
    with page.expect_navigation():
        page.get_by_role("button", name="Delete my account").click()
    assert page.locator("h1").inner_text() == "Your account was deleted"
    shoot(page, shots, "delete-done")
    page.goto(base + "/account")
    assert path_of(page.url) == "/signin"
    with seeder.db.unit_of_work() as s:
        assert s.scalar(select(User).where(User.email == USER)) is None
    assert errors.unexpected() == []
