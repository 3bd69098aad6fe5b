"""OAuth 1.0a pages in a real Chromium: the ``oob`` verification-code page (AUTH1-8), the device
pages (AUTH1-10), and an unregistered app asking a restricted scope meeting the unverified-app
screen with its self-declared name (AUTH1-11). Screenshots at 1280 and 390 pixels go to
``$CONSENTRY_SCREENSHOTS`` (else the test's temporary directory)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.console_helpers import screenshot_dir
from tests.browser.helpers import path_of, sign_in
from tests.support.oauth1 import access_token, consumer, form_body, request_token, tokens_of

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
EMAIL = "lin@example.org"


def _shots(page: Page, folder: Path, name: str) -> None:
    for width, height in ((1280, 860), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"legacy-oauth1-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})


def test_oob_verification_code_page(live_server, page, tmp_path) -> None:  # AUTH1-8
    server, seed = live_server
    folder = screenshot_dir(tmp_path)
    c = consumer(seed, name="Gadget Sync")
    seed.user(EMAIL)
    with httpx.Client(timeout=10) as http:
        got = tokens_of(
            request_token(http, server.url, c.key, c.secret, f"{server.url}/feeds/calendar/", callback="oob")
        )
        page.goto(f"{server.url}/accounts/OAuthAuthorizeToken?oauth_token={got.token}&btmpl=mobile&hl=en")
        assert path_of(page.url) == "/signin"
        sign_in(page, EMAIL)
        assert page.locator(".app-name").first.inner_text() == "Gadget Sync"
        page.locator('input[name="scope"]').first.check()
        with page.expect_navigation():
            page.get_by_role("button", name="Allow").click()
        assert page.locator("h1").inner_text() == "Your verification code"
        code = page.locator("output.verifier").inner_text()
        assert len(code) == 14 and page.locator(".app-name").inner_text() == "Gadget Sync"
        _shots(page, folder, "oob-code")
        assert access_token(http, server.url, c.key, c.secret, got, code).status_code == 200


def test_device_pages(live_server, page, tmp_path) -> None:  # AUTH1-10
    server, seed = live_server
    folder = screenshot_dir(tmp_path)
    c = consumer(seed, name="Kitchen Display")
    seed.user(EMAIL)
    with httpx.Client(timeout=10) as http:
        r = request_token(
            http,
            server.url,
            c.key,
            c.secret,
            f"{server.url}/feeds/calendar/",
            callback=None,
            extra={"xoauth_device": "1"},
        )
        body, got = form_body(r), tokens_of(r)
        page.goto(body["xoauth_verification_url"])
        sign_in(page, EMAIL)
        assert page.locator("h1").inner_text() == "Connect a device"
        page.get_by_label("Code").fill("WXYZ-WXYZ")
        with page.expect_navigation():
            page.get_by_role("button", name="Next").click()
        assert "wrong or has expired" in page.locator(".alert").inner_text()
        _shots(page, folder, "device-entry")
        page.get_by_label("Code").fill(body["xoauth_user_code"].lower())
        with page.expect_navigation():
            page.get_by_role("button", name="Next").click()
        page.locator('input[name="scope"]').first.check()
        with page.expect_navigation():
            page.get_by_role("button", name="Allow").click()
        assert page.locator("h1").inner_text() == "Device connected"
        _shots(page, folder, "device-done")
        assert (
            access_token(http, server.url, c.key, c.secret, got, body["xoauth_user_code"]).status_code == 200
        )


def test_unregistered_app_restricted_scope_unverified_screen(
    live_server, page, tmp_path
) -> None:  # AUTH1-11 AUTH1-13
    server, seed = live_server
    folder = screenshot_dir(tmp_path)
    seed.user(EMAIL)
    with httpx.Client(timeout=10) as http:
        got = tokens_of(
            request_token(
                http,
                server.url,
                "anonymous",
                "anonymous",
                f"{server.url}/feeds/mail/",
                callback="oob",
                extra={"xoauth_displayname": "Inbox Zero Desktop"},
            )
        )
        page.goto(f"{server.url}/accounts/OAuthAuthorizeToken?oauth_token={got.token}")
        sign_in(page, EMAIL)
        assert page.locator("h1").inner_text() == "This app has not been verified by Consentry"
        assert page.locator(".app-name").first.inner_text() == "Inbox Zero Desktop"
        assert "cannot confirm this app's identity" in page.locator(".notice.warn").first.inner_text()
        _shots(page, folder, "unverified")
        with page.expect_navigation():
            page.get_by_role("button", name="Back to safety").click()
        assert page.locator("h1").inner_text() == "Access denied"
        _shots(page, folder, "denied")
        refused = access_token(http, server.url, "anonymous", "anonymous", got, "x")
        assert form_body(refused)["oauth_problem"] == "permission_denied"
