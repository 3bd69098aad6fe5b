"""Sign-in, consent and the account chooser in a real Chromium (AUTH2-1, AUTH2-7, CONSENT-1, CONSENT-6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.helpers import (
    authorize_url,
    codes_issued,
    exchange_code,
    grants_recorded,
    path_of,
    query_of,
    scope_uri,
    sign_in,
    userinfo,
)
from tests.support.browserless import pkce_pair

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import AppCallback
    from tests.support.live import LiveServer
    from tests.support.seed import SeededClient, Seeder

# One engine is enough here: the storage contract runs on both engines in tests/integration.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

APP_NAME = "Calendar Buddy"


def _scopes(base: str) -> tuple[str, str]:
    return scope_uri(base, "mail.readonly"), scope_uri(base, "calendar.readonly")


def _checkboxes(page: Page) -> dict[str, bool]:
    """Data-scope checkbox value -> checked, as the browser sees them."""
    boxes = page.locator('form input[type="checkbox"][name="scope"]')
    return {
        boxes.nth(i).get_attribute("value") or "": boxes.nth(i).is_checked() for i in range(boxes.count())
    }


def _wait_for_app(page: Page, cb: AppCallback) -> dict[str, str]:
    page.wait_for_url(cb.landed)
    assert page.locator("h1").inner_text() == "Back at the app"
    return query_of(page.url)


def _open_consent(
    page: Page,
    live: tuple[LiveServer, Seeder],
    cb: AppCallback,
    state: str,
    challenge: str,
    email: str = "ann@example.org",
) -> SeededClient:
    """Seed a web client and a user, start /authorize in the browser and sign in: ends on the consent page."""
    server, seeder = live
    client = seeder.client("web", redirect_uris=[cb.url], name=APP_NAME)
    seeder.user(email)
    mail, cal = _scopes(server.url)
    page.goto(
        authorize_url(
            server.url, client, cb.url, scope=f"openid email {mail} {cal}", state=state, challenge=challenge
        )
    )
    assert path_of(page.url) == "/signin"
    assert page.get_by_label("Email").input_value() == ""
    sign_in(page, email)
    assert page.locator("h1").inner_text().endswith("wants to access your account")
    return client


def test_sign_in_and_consent_grants_only_ticked_scope(
    live_server, page, app_callback
) -> None:  # AUTH2-1 CONSENT-6
    """AUTH2-1 (code + PKCE S256 through a real browser), CONSENT-1 (client's name), CONSENT-6."""
    server, seeder = live_server
    mail, cal = _scopes(server.url)
    verifier, challenge = pkce_pair()
    client = _open_consent(page, live_server, app_callback, "st-consent-1", challenge)

    # CONSENT-1: the consent screen names the client as registered.
    assert page.locator(".app-name").inner_text() == APP_NAME
    assert page.get_by_text("Signed in as").inner_text() == "Signed in as ann@example.org"
    # One checkbox per data scope, none ticked in advance (sign-in scopes are listed, not ticked).
    assert _checkboxes(page) == {mail: False, cal: False}

    page.get_by_label("See and download any calendar you can access").check()
    assert _checkboxes(page) == {mail: False, cal: True}
    page.get_by_role("button", name="Allow").click()

    q = _wait_for_app(page, app_callback)
    assert q["state"] == "st-consent-1" and q["code"] and "error" not in q
    assert app_callback.queries() == [q]  # the app's server really got exactly this redirect
    tok = exchange_code(server.url, client, q["code"], app_callback.url, verifier)
    granted = set(tok["scope"].split())
    # CONSENT-6: only the ticked data scope is granted; the unticked one is not.
    assert cal in granted and mail not in granted
    assert granted == {"openid", "email", cal}
    assert grants_recorded(seeder, client) == [sorted({"openid", "email", cal})]


def test_cancel_returns_access_denied(live_server, page, app_callback) -> None:
    """Cancel on the consent page sends the browser back with error=access_denied and the state."""
    _server, seeder = live_server
    _verifier, challenge = pkce_pair()
    client = _open_consent(page, live_server, app_callback, "st-deny-2", challenge)
    page.get_by_label("See and download any calendar you can access").check()  # ticking then cancelling
    page.get_by_role("button", name="Cancel").click()

    q = _wait_for_app(page, app_callback)
    assert q.get("error") == "access_denied" and q.get("state") == "st-deny-2"
    assert app_callback.queries() == [q]
    assert "code" not in q
    assert codes_issued(seeder, client) == 0 and grants_recorded(seeder, client) == []


def test_leaving_the_consent_page_is_not_consent(live_server, page, app_callback) -> None:  # CONSENT-6
    """CONSENT-6: going back or elsewhere from the consent page grants nothing and issues no code."""
    server, seeder = live_server
    mail, cal = _scopes(server.url)
    _verifier, challenge = pkce_pair()
    client = _open_consent(page, live_server, app_callback, "st-leave-3", challenge)
    page.get_by_label("See and download any calendar you can access").check()  # ticked, never submitted

    page.go_back()
    assert "/authorize" not in page.url
    page.goto(server.url + "/")
    page.goto(server.url + "/account")  # still signed in: leaving did not end the session either
    assert path_of(page.url) == "/account"

    assert app_callback.hits == []
    assert codes_issued(seeder, client) == 0
    assert grants_recorded(seeder, client) == []
    # A fresh request still asks, with nothing pre-ticked.
    page.goto(
        authorize_url(
            server.url,
            client,
            app_callback.url,
            scope=f"openid email {mail} {cal}",
            state="st-leave-3b",
            challenge=challenge,
        )
    )
    assert path_of(page.url) == "/authorize"
    assert page.locator(".app-name").inner_text() == APP_NAME
    assert _checkboxes(page) == {mail: False, cal: False}
    assert app_callback.hits == []


def test_account_chooser_login_hint_and_select_account(live_server, page, app_callback) -> None:  # AUTH2-7
    """AUTH2-7: several signed-in accounts -> chooser; login_hint skips it; prompt=select_account forces it."""
    server, seeder = live_server
    client = seeder.client("web", redirect_uris=[app_callback.url], name=APP_NAME)
    sub_ann = seeder.user("ann@example.org")
    sub_bob = seeder.user("bob@example.org")
    navigations: list[str] = []
    page.on("framenavigated", lambda f: navigations.append(f.url) if f == page.main_frame else None)

    def authorize(state: str, **extra: str) -> str:
        verifier, challenge = pkce_pair()
        navigations.clear()
        page.goto(
            authorize_url(
                server.url,
                client,
                app_callback.url,
                scope="openid email",
                state=state,
                challenge=challenge,
                **extra,
            )
        )
        return verifier

    def chooser_emails() -> list[str]:
        assert path_of(page.url) == "/accounts/choose", page.url
        return page.locator("button.account span").all_inner_texts()

    def finish(state: str, verifier: str) -> str:
        """Continue on consent if asked; return the sub the issued code belongs to."""
        if path_of(page.url) == "/authorize/continue" or path_of(page.url) == "/authorize":
            page.get_by_role("button", name="Allow").click()
        q = _wait_for_app(page, app_callback)
        assert q["state"] == state and q["code"]
        tok = exchange_code(server.url, client, q["code"], app_callback.url, verifier)
        return str(userinfo(server.url, tok["access_token"])["sub"])

    # Sign in the first account outside any flow.
    page.goto(server.url + "/signin?next=/account")
    sign_in(page, "ann@example.org")
    assert path_of(page.url) == "/account"

    # prompt=select_account shows the chooser even with a single account.
    verifier = authorize("st-select", prompt="select_account")
    assert chooser_emails() == ["ann@example.org"]
    page.get_by_role("button", name="ann@example.org").click()
    assert page.locator(".who").inner_text() == "Signed in as ann@example.org"
    assert finish("st-select", verifier) == sub_ann

    # Add a second account in the same browser.
    page.goto(server.url + "/signin?next=/account")
    sign_in(page, "bob@example.org")
    assert path_of(page.url) == "/account"
    assert sorted(page.locator(".accounts li span").all_inner_texts()) == [
        "ann@example.org",
        "bob@example.org",
    ]

    # Two accounts and no hint: the chooser lists both; picking the second gives a code for that user.
    verifier = authorize("st-choose")
    assert sorted(chooser_emails()) == ["ann@example.org", "bob@example.org"]
    page.get_by_role("button", name="bob@example.org").click()
    assert page.locator(".who").inner_text() == "Signed in as bob@example.org"  # Bob has not consented yet
    assert finish("st-choose", verifier) == sub_bob

    # login_hint names the first account: no chooser, and the code is Ann's.
    verifier = authorize("st-hint", login_hint="ann@example.org")
    assert finish("st-hint", verifier) == sub_ann
    assert not any("/accounts/choose" in u for u in navigations), navigations
