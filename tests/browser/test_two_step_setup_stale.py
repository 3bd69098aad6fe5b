"""A set-up page left open too long, in a real Chromium (ACCT-3).

The authenticator app's set-up secret rides in the page's form, sealed, for ten minutes. A person
who comes back later and types a code is told why it did not work and shown a new key, on the
account page and at sign-in; the new key then works. Screenshots ``two-step-setup-stale-*`` and
``two-step-verify-setup-stale-*`` at 1280 and 390 pixels; no console error, no overflow.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from consentry.domain.accounts.totp import SETUP_TTL, Totp
from consentry.domain.accounts.two_step_admin import require_two_step
from consentry.settings import Settings
from consentry.storage.tables import User
from tests.browser.console_helpers import PageErrors, screenshot_dir
from tests.browser.helpers import path_of
from tests.browser.test_two_step import USER, App, password, shoot
from tests.support.databases import SECRET
from tests.support.live import LiveServer, start_server
from tests.support.seed import Seeder

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def server(database_url: str) -> Iterator[tuple[LiveServer, Seeder]]:
    live = start_server(database_url, env={"CONSENTRY_SECRET_KEY": SECRET})
    seeder = Seeder(
        Settings(database_url=database_url, issuer=live.url, secret_key=SECRET, environment="test")
    )
    yield live, seeder
    live.stop()
    seeder.close()


def _age_the_form(page: Page, seeder: Seeder, email: str) -> str:
    """Swap the form's sealed secret for one made eleven minutes ago (as if the page sat open);
    returns that old secret."""
    with seeder.db.unit_of_work() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        old = Totp.from_settings(seeder.settings).enrollment(s, user, at=time.time() - SETUP_TTL - 60)
    page.locator('input[name="setup"]').evaluate("(el, v) => { el.value = v; }", old.sealed)
    return old.secret


def test_a_stale_set_up_page_says_why_and_shows_a_new_key(server, page: Page, tmp_path) -> None:
    # ACCT-3: the account page's set-up, then the set-up at sign-in an organization requires
    live, seeder = server
    seeder.user(USER)
    seeder.user("new@strict.test", org="strict.test")
    with seeder.db.unit_of_work() as s:
        require_two_step(s, "strict.test", True, actor="test")
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)

    page.goto(live.url + "/account/security/totp")
    password(page)
    assert path_of(page.url) == "/account/security/totp"
    old = App(_age_the_form(page, seeder, USER))
    page.get_by_label("Code from the app").fill(old.code())
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on").click()
    alert = page.get_by_role("alert")
    assert "open for more than 10 minutes" in alert.inner_text()
    assert alert.get_attribute("data-code") == "setup_expired"
    new_key = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert new_key != old.otp.secret
    shoot(page, shots, "setup-stale")
    page.get_by_label("Code from the app").fill(App(new_key).code())
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on").click()
    assert page.locator("#recovery-codes code").count() == 10

    # At sign-in: the same, on the verify page.
    page.context.clear_cookies()
    page.goto(live.url + "/signin")
    password(page, "new@strict.test")
    assert path_of(page.url) == "/signin/verify"
    old = App(_age_the_form(page, seeder, "new@strict.test"))
    page.get_by_label("Code from the app").fill(old.code())
    with page.expect_navigation():
        page.get_by_role("button", name="Verify and continue").click()
    assert "open for more than 10 minutes" in page.get_by_role("alert").inner_text()
    new_key = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert new_key != old.otp.secret
    shoot(page, shots, "verify-setup-stale")
    page.get_by_label("Code from the app").fill(App(new_key).code())
    with page.expect_navigation():
        page.get_by_role("button", name="Verify and continue").click()
    assert page.locator("#recovery-codes code").count() == 10
    assert errors.unexpected() == []
