"""Passkeys in a real Chromium with its DevTools virtual authenticator (ACCT-3).

One journey: sign in with the password, add a passkey on /account/passkeys, sign out, sign in with
the passkey alone; an app's OIDC code flow signed in by the passkey gets an ID token saying
``amr ["hwk", "user", "mfa"]``; the password then asks for the passkey as the second step; the
passkey is removed. Screenshots at 1280 and 390 pixels go to ``$CONSENTRY_SCREENSHOTS``.

The server runs on ``localhost``: WebAuthn refuses an IP address as the relying party id.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from consentry.storage.tables import Passkey
from tests.browser.console_helpers import screenshot_dir
from tests.browser.helpers import authorize_url, exchange_code, path_of, query_of, sign_in
from tests.browser.screenshots import at_both_widths
from tests.support.accounts import served
from tests.support.browserless import pkce_pair
from tests.support.seed import Seeder

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

    from tests.browser.conftest import AppCallback
    from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

USER = "ada@example.org"


@pytest.fixture
def server(database_url: str) -> Iterator[tuple[LiveServer, Seeder]]:
    with served(database_url, host="localhost") as world:
        yield world


def _authenticator(context: BrowserContext, page: Page) -> Any:
    """Chromium's virtual platform authenticator: resident keys, verifies its user (like Touch ID)."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp


def _shoot(page: Page, directory: Path, name: str) -> None:
    """Full-page screenshots at 1280 and 390 pixels; nothing may be wider than the screen."""
    page.wait_for_load_state("load")
    at_both_widths(page, directory, f"passkeys-{name}", wide="desktop")


def _sign_out(page: Page, base: str) -> None:
    page.goto(base + "/account")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out of all accounts").click()


def _passkey_button(page: Page, name: str) -> Any:
    button = page.get_by_role("button", name=name)
    button.wait_for(state="visible")  # shown by passkeys.js once it found WebAuthn
    return button


def _errors(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append(str(e)))
    page.on("response", lambda r: seen.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    return seen


def test_passkey_enrol_sign_in_second_step_and_remove(
    server: tuple[LiveServer, Seeder],
    context: BrowserContext,
    page: Page,
    app_callback: AppCallback,
    tmp_path: Path,
) -> None:  # ACCT-3
    live, seeder = server
    base = live.url
    shots = screenshot_dir(tmp_path)
    seeder.user(USER)
    errors = _errors(page)
    _authenticator(context, page)

    # Signed in with the password, the account adds a passkey.
    page.goto(base + "/signin?next=/account/passkeys")
    sign_in(page, USER)
    assert path_of(page.url) == "/account/passkeys"
    page.get_by_role("button", name="Add a passkey").wait_for(state="visible")
    _shoot(page, shots, "empty")
    page.get_by_label("Name it").fill("This laptop")
    with page.expect_navigation(url="**/account/passkeys?done=added"):
        page.get_by_role("button", name="Add a passkey").click()
    card = page.locator("article.passkey")
    assert card.count() == 1
    assert "This laptop" in card.inner_text() and "Verifies you" in card.inner_text()
    assert "Not used yet" in card.inner_text()
    _shoot(page, shots, "list")

    # Signed out, the passkey alone signs in: no e-mail, no password.
    _sign_out(page, base)
    page.goto(base + "/signin")
    button = _passkey_button(page, "Continue with a passkey")
    _shoot(page, shots, "signin")
    with page.expect_navigation(url="**/account"):
        button.click()
    assert USER in page.locator("main").inner_text()
    with seeder.db.unit_of_work() as db:
        key = db.scalars(select(Passkey)).one()
        assert key.last_used_at is not None

    # An app's OIDC code flow, signed in by the passkey: the ID token says how.
    _sign_out(page, base)
    client = seeder.client("web", redirect_uris=[app_callback.url])
    verifier, challenge = pkce_pair()
    page.goto(authorize_url(base, client, app_callback.url, scope="openid", state="pk", challenge=challenge))
    assert path_of(page.url) == "/signin"
    with page.expect_navigation():
        _passkey_button(page, "Continue with a passkey").click()
    if not app_callback.landed(page.url):
        page.locator('form button[name="action"][value="allow"]').click()
        page.wait_for_url(app_callback.landed)
    q = query_of(page.url)
    assert q.get("state") == "pk" and q.get("code"), q
    token = exchange_code(base, client, q["code"], app_callback.url, verifier)
    keys = KeySet.import_key_set(httpx.get(base + "/jwks", timeout=10).json())
    claims = jwt.decode(token["id_token"], keys).claims
    assert claims["amr"] == ["hwk", "user", "mfa"] and claims["acr"] == "urn:consentry:acr:2"

    # The password now asks for the passkey as the second step.
    _sign_out(page, base)
    page.goto(base + "/signin?next=/account/passkeys")
    sign_in(page, USER)
    assert path_of(page.url) == "/signin/verify"
    button = _passkey_button(page, "Use your passkey or security key")
    _shoot(page, shots, "second-step")
    with page.expect_navigation(url="**/account/passkeys"):
        button.click()
    assert "Last used" in page.locator("article.passkey").inner_text()

    # Removed, it is gone from the list (and from the server).
    page.get_by_text("Remove", exact=True).click()
    with page.expect_navigation(url="**/account/passkeys?done=removed"):
        page.get_by_role("button", name="Remove this passkey").click()
    assert page.locator("article.passkey").count() == 0
    assert "Passkey removed." in page.get_by_role("status").first.inner_text()
    with seeder.db.unit_of_work() as db:
        assert db.scalars(select(Passkey)).all() == []
    assert errors == [], errors


def test_a_cancelled_passkey_says_so_in_the_live_region(
    server: tuple[LiveServer, Seeder], context: BrowserContext, page: Page, tmp_path: Path
) -> None:  # ACCT-3
    live, _seeder = server
    _authenticator(context, page)  # it holds no passkey for this site
    page.goto(live.url + "/signin")
    _passkey_button(page, "Continue with a passkey").click()
    message = page.locator("[data-passkey-msg]")
    message.filter(has_text="Try again").wait_for(timeout=15_000)
    assert path_of(page.url) == "/signin"
    assert message.get_attribute("aria-live") == "polite"
    assert page.get_by_role("button", name="Continue with a passkey").is_enabled()
    _shoot(page, screenshot_dir(tmp_path), "signin-cancelled")
