"""The AuthSub access page in a real Chromium (AUTH3-1, AUTH3-4): a registered web app by its name,
an unregistered one by its calling address with the warning and the unverified-app screen, the
denial page and the unknown-scope page. Screenshots at 1280 and 390 pixels go to
``$CONSENTRY_SCREENSHOTS`` (else the test's temporary directory)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.console_helpers import screenshot_dir
from tests.browser.helpers import path_of, query_of, sign_in
from tests.browser.screenshots import at_both_widths
from tests.support.authsub import lines, registered_app, v1_url, v2_url

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

CAL_FEED = "http://www.google.com/calendar/feeds/"
ADA = "ada@example.org"


def shoot(page: Page, directory: Path, name: str) -> None:
    """Full-page PNGs at both widths, styled, never wider than the phone's screen."""
    page.wait_for_load_state("load")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 248, 250)"
    at_both_widths(page, directory, f"authsub-{name}")


def test_registered_app_access_page_then_back_at_the_app(live_server, app_callback, page, tmp_path) -> None:
    # AUTH3-1, AUTH3-2, AUTH3-4: shown by its registered name; the token lands at next, query kept
    server, seeder = live_server
    shots = screenshot_dir(tmp_path)
    seeder.user(ADA)
    registered_app(seeder, "127.0.0.1", name="CalGulp")
    page.goto(v2_url(server.url, app_callback.url + "?view=week", [CAL_FEED]))
    assert path_of(page.url) == "/signin"
    sign_in(page, ADA)
    assert path_of(page.url) == "/accounts/AuthSubRequest"
    assert page.locator(".app-name").first.inner_text() == "CalGulp"
    assert page.get_by_text("cannot confirm this app's identity").count() == 0
    boxes = page.locator('input[type="checkbox"][name="scope"]')
    assert boxes.count() == 1 and not boxes.first.is_checked()  # nothing ticked for the user
    shoot(page, shots, "registered")
    boxes.first.check()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(app_callback.url + "**")
    got = query_of(page.url)
    assert got["view"] == "week" and got["auth_sub_scopes"] == CAL_FEED and got["token"]
    upgrade = httpx.get(
        server.url + "/accounts/AuthSubSessionToken",
        headers={"Authorization": f"AuthSub token={got['token']}"},
        timeout=10,
    )
    assert upgrade.status_code == 200 and lines(upgrade.text)["Token"]


def test_unregistered_app_is_shown_by_its_address_with_a_warning(live_server, page, tmp_path) -> None:
    # AUTH3-4: the calling address, the identity warning, the unverified-app screen; then Cancel
    server, seeder = live_server
    shots = screenshot_dir(tmp_path)
    seeder.user(ADA)
    page.goto(v1_url(server.url, "https://photo-frame.example.net/authsub/return?album=7", CAL_FEED))
    sign_in(page, ADA)
    assert path_of(page.url) == "/accounts/AuthSubRequest"
    assert page.get_by_text("photo-frame.example.net").first.is_visible()
    assert page.get_by_text("cannot confirm this app's identity").first.is_visible()
    shoot(page, shots, "unregistered-screen")
    page.get_by_text("Advanced").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Go to photo-frame.example.net (unsafe)").click()
    assert page.get_by_text("cannot confirm this app's identity").first.is_visible()
    assert page.locator(".app-name").first.inner_text() == "photo-frame.example.net"
    shoot(page, shots, "unregistered-consent")
    with page.expect_navigation():
        page.get_by_role("button", name="Cancel").click()
    assert path_of(page.url) == "/accounts/AuthSubRequest"  # the user stays on our page
    assert page.locator("h1").inner_text() == "You denied access"
    assert page.get_by_role("link", name="Go to photo-frame.example.net").get_attribute("href") == (
        "https://photo-frame.example.net/"
    )
    shoot(page, shots, "denied")


def test_unknown_scope_page_names_the_scope(live_server, page, tmp_path) -> None:
    # AUTH3-1: which scope is unknown, in words
    server, seeder = live_server
    shots = screenshot_dir(tmp_path)
    seeder.user(ADA)
    registered_app(seeder, "calgulp.example.com")
    unknown = "http://www.google.com/m8/feeds/contacts/default/full/with-a-rather-long-path-that-must-wrap"
    page.goto(v1_url(server.url, "https://calgulp.example.com/cb", f"{CAL_FEED} {unknown}"))
    assert page.locator("h1").inner_text() == "This app asked for access we don't know"
    assert page.locator(".authsub-unknown code").inner_text() == unknown
    shoot(page, shots, "unknown-scope")
