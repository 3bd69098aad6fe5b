"""Screenshots of the main pages: they render with their stylesheet (not blank, not unstyled)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.helpers import authorize_url, path_of, scope_uri, sign_in
from tests.support.browserless import pkce_pair

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

MIN_BYTES = 5 * 1024


def _shoot(page: Page, path: Path) -> Path:
    # A click that navigates returns once the URL changes; wait for the stylesheet too.
    page.wait_for_load_state("load")
    # The stylesheet really applied (CSP allows only 'self' styles): the card is white on the grey page.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(246, 248, 250)"
    page.screenshot(path=str(path), full_page=True)
    assert path.is_file() and path.stat().st_size > MIN_BYTES, (path, path.stat().st_size)
    return path


def test_screenshots_of_home_signin_and_consent(live_server, page, app_callback, tmp_path) -> None:
    """Home, sign-in and consent pages render fully styled, without errors, into non-trivial PNGs."""
    server, seeder = live_server
    client = seeder.client("web", redirect_uris=[app_callback.url], name="Calendar Buddy")
    seeder.user("gina@example.org")
    errors: list[str] = []  # console errors include CSP violations and failed loads (e.g. a missing favicon)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(server.url + "/")
    assert page.locator("h1").inner_text() == "Consentry"
    _shoot(page, tmp_path / "home.png")

    _verifier, challenge = pkce_pair()
    mail, cal = scope_uri(server.url, "mail.readonly"), scope_uri(server.url, "calendar.readonly")
    page.goto(
        authorize_url(
            server.url,
            client,
            app_callback.url,
            scope=f"openid email profile {mail} {cal}",
            state="st-shot",
            challenge=challenge,
        )
    )
    assert path_of(page.url) == "/signin"
    _shoot(page, tmp_path / "signin.png")

    sign_in(page, "gina@example.org")
    assert page.locator(".app-name").inner_text() == "Calendar Buddy"
    _shoot(page, tmp_path / "consent.png")

    assert errors == []  # no CSP violations or script errors on any page


def test_scope_reference_and_api_reference_pages(live_server, page, tmp_path) -> None:  # SCOPE-1
    """/scopes groups every scope by API and class; /api/docs lists every data operation with its scopes."""
    server, _seeder = live_server
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(server.url + "/")
    page.click("text=Scopes")
    assert path_of(page.url) == "/scopes"
    assert page.locator("section#mail h3.class-restricted").count() == 1
    send = page.locator("tr#mail\\.send")
    assert f"{server.url}/auth/mail.send" in send.inner_text()
    assert "POST /data/v1/mail/messages/send" in send.inner_text()
    # mail.send sits under "sensitive" in the mail section (the table right after that heading).
    assert page.locator("section#mail h3.class-sensitive + table tr#mail\\.send").count() == 1
    assert page.locator("section#files tr#files\\.file .tag").inner_text() == "granted-files"
    assert page.locator("table.scopes tbody tr").count() == 33
    _shoot(page, tmp_path / "scopes.png")
    page.goto(server.url + "/api/docs")
    assert page.locator("section#mail tbody tr").count() == 14
    assert "GET /data/v1/calendar/events" in page.locator("section#calendar").inner_text()
    page.click("section#mail >> text=mail.send")
    assert path_of(page.url) == "/scopes"
    _shoot(page, tmp_path / "api.png")
    assert errors == []
