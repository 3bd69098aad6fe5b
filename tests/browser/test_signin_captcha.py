"""The sign-in page when an account is under attack: a CAPTCHA to solve, not a lock (issue 9 item 2)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.helpers import path_of, sign_in
from tests.support.browserless import CSRF_RE, form_value

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
SHOTS = Path(__file__).parents[2] / "var" / "screenshots"


def _guess(base: str, email: str, times: int) -> None:
    """Wrong passwords from another browser (a script), enough to put the account under protection."""
    with httpx.Client(base_url=base) as http:
        for i in range(times):
            page = http.get("/signin").text
            data = {"csrf": form_value(page, CSRF_RE), "email": email, "password": f"guess-{i}"}
            assert http.post("/signin", data=data).status_code == 401


def test_signin_under_attack_shows_a_captcha_at_desktop_and_phone_width(
    live_server, page: Page, tmp_path
) -> None:
    server, seeder = live_server
    seeder.user("hana@example.org")
    _guess(server.url, "hana@example.org", 10)
    errors: list[str] = []
    # The page itself answers 401 (Chromium logs that as a failed load); anything else is an error,
    # a CSP violation blocking the data: picture first among them.
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "status of 401" not in m.text else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)

    page.goto(server.url + "/signin")
    sign_in(page, "hana@example.org")  # the right password, from a browser the account never used
    assert path_of(page.url) == "/signin"
    alert = page.get_by_role("alert")
    assert "There were many sign-in attempts for this account or from your network." in alert.inner_text()
    assert "Type the characters in the picture" in alert.inner_text()
    picture = page.get_by_alt_text("Distorted characters to type below")
    assert picture.is_visible() and picture.evaluate("img => img.naturalWidth") == 240  # the data: URI loaded
    assert page.get_by_label("Characters in the picture").is_visible()
    assert page.get_by_label("Email").input_value() == "hana@example.org"

    shots = [tmp_path / "signin-captcha-desktop.png", tmp_path / "signin-captcha-390.png"]
    page.screenshot(path=str(shots[0]), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows sideways
    page.screenshot(path=str(shots[1]), full_page=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for shot in shots:
        assert shot.stat().st_size > 10_000
        shutil.copy(shot, SHOTS / shot.name)  # kept for a person to look at (var/ is not committed)

    # A wrong answer keeps the person on the page with a new picture and says what went wrong.
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_label("Characters in the picture").fill("XXXXXX")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert "The characters did not match the picture." in page.get_by_role("alert").inner_text()
    assert errors == []
