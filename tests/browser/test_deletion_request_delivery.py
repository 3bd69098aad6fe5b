"""A deletion request from the account page reaches the app as a signed SET (DATA-2, DATA-4).

In a real Chromium: a user consents to an app on the real consent screen, opens /account and asks
the app to delete their data. The request is a Security Event Token (RFC 8417) that the server's
own mail thread pushes (``CONSENTRY_MAIL_INTERVAL=1``) to the app's events endpoint: a real HTTP
server on loopback (tests/browser/deletion_helpers.py) that verifies the signature against the
server's /jwks with joserfc, the ``secevent+jwt`` type, the issuer, the deletion-request event
type and the user's ``sub`` before it answers 202. The account page then shows the request
received. An endpoint that first answers 500 leaves the request waiting on the page; the retry
(the same SET, same ``jti``) is acknowledged and the page shows it received.

Screenshots at 1280 and 390 pixels go to ``$CONSENTRY_SCREENSHOTS`` (else the test's temporary
directory). Any console error, script error or unexpected failed load fails the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from consentry.domain.events.types import deletion_uri
from tests.browser.console_helpers import PageErrors, screenshot_dir
from tests.browser.deletion_helpers import (
    DeletionReceiver,
    deletion_receiver,
    deliver_later,
    event_row,
    project_id_of,
    wait_until,
)
from tests.browser.helpers import scope_uri, userinfo
from tests.browser.screenshots import DESKTOP
from tests.browser.test_account_page import USER, _consent, shoot
from tests.browser.test_security_events import (
    pushing_server,  # noqa: F401 (a fixture: the server's mail thread pushes events every second)
    wait_for,
)
from tests.integration.events.helpers import set_endpoint_row

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import AppCallback
    from tests.support.live import LiveServer
    from tests.support.seed import Seeder

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

APP = "Mail Pal"


def _granted(
    server: LiveServer, seeder: Seeder, page: Page, app_callback: AppCallback
) -> tuple[dict[str, Any], int, str]:
    """USER allows Mail Pal on the real consent screen: the app's tokens, project id, client id."""
    seeder.user(USER)
    app = seeder.client("web", project=APP, redirect_uris=[app_callback.url], name=APP)
    tokens = _consent(
        page,
        server.url,
        app_callback,
        app,
        ["openid", "email", scope_uri(server.url, "mail.readonly")],
        "st-del",
    )
    return tokens, project_id_of(seeder, APP), app.client_id


def _ask_deletion(page: Page, base: str) -> None:
    """On /account, open "Ask to delete my data" at the app and send the request."""
    page.goto(base + "/account")
    card = page.locator("article.app", has_text=APP)
    card.get_by_text("Ask to delete my data", exact=True).click()
    with page.expect_navigation():
        card.get_by_role("button", name="Send the request").click()
    assert page.url.endswith("/account?done=deletion")
    assert "Your request was sent to the app" in page.locator(".notice.ok").inner_text()


def _assert_checked(receiver: DeletionReceiver, sub: str, client_id: str) -> dict[str, Any]:
    """Every push passed the app's checks; returns the claims of the last one."""
    assert receiver.pushes, "the app's endpoint was never called"
    assert receiver.problems() == [], receiver.problems()
    checked = receiver.checked[-1]
    assert checked.header["typ"] == "secevent+jwt" and checked.header["alg"] == "RS256"
    claims = checked.claims
    assert claims["iss"] == receiver.issuer
    assert list(claims["events"]) == [deletion_uri(receiver.issuer)]
    assert claims["sub"] == sub
    assert claims["sub_id"] == {"format": "iss_sub", "iss": receiver.issuer, "sub": sub}
    assert claims["events"][deletion_uri(receiver.issuer)]["subject"] == {
        "subject_type": "iss-sub",
        "iss": receiver.issuer,
        "sub": sub,
    }
    assert claims["aud"] == client_id
    return claims


def test_deletion_request_reaches_the_app_and_the_page_shows_it_received(
    pushing_server: tuple[LiveServer, Seeder],  # noqa: F811
    page: Page,
    app_callback: AppCallback,
    tmp_path: Path,
) -> None:  # DATA-2 DATA-4
    server, seeder = pushing_server
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)
    page.set_viewport_size(DESKTOP)
    tokens, project_id, client_id = _granted(server, seeder, page, app_callback)
    sub = userinfo(server.url, tokens["access_token"])["sub"]  # who the app knows the user as

    with deletion_receiver(server.url, sub) as receiver:
        set_endpoint_row(seeder.db, project_id, receiver.url)
        _ask_deletion(page, server.url)
        assert receiver.arrived.wait(15), "the server did not push the request within 15 s"
        # DATA-2: tracked to completion — the page, reloaded, shows the app's acknowledgement.
        wait_for(page, server.url + "/account", "#deletions tbody tr[data-status=delivered]")

    claims = _assert_checked(receiver, sub, client_id)
    assert len(receiver.pushes) == 1
    row = event_row(seeder)
    assert row.jti == claims["jti"] and row.status == "delivered" and row.attempts == 1
    assert row.last_error == "" and row.delivered_at is not None

    card = page.locator("article.app", has_text=APP)
    status = card.locator(".deletion-status")
    assert status.get_attribute("data-status") == "delivered"
    assert "Received by the app" in status.inner_text()
    table_row = page.locator("#deletions tbody tr")
    assert table_row.count() == 1
    assert APP in table_row.inner_text() and "Received by the app" in table_row.inner_text()
    assert "Overdue" not in page.locator("#deletions").inner_text()
    shoot(page, shots, "deletion-delivered")
    assert errors.unexpected() == []


def test_an_endpoint_failing_first_leaves_the_request_waiting_then_received(
    pushing_server: tuple[LiveServer, Seeder],  # noqa: F811
    page: Page,
    app_callback: AppCallback,
    tmp_path: Path,
) -> None:  # DATA-2 DATA-4
    server, seeder = pushing_server
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)
    page.set_viewport_size(DESKTOP)
    tokens, project_id, client_id = _granted(server, seeder, page, app_callback)
    sub = userinfo(server.url, tokens["access_token"])["sub"]

    with deletion_receiver(server.url, sub, (500, None), (202, None)) as receiver:
        set_endpoint_row(seeder.db, project_id, receiver.url)
        _ask_deletion(page, server.url)
        assert receiver.arrived.wait(15), "the server did not push the request within 15 s"
        wait_until(lambda: event_row(seeder).attempts == 1, "the failed push recorded")
        first = event_row(seeder)
        assert first.status == "pending" and first.last_error == "HTTP 500", first.last_error
        assert first.next_attempt_at > first.created_at  # retried later, with backoff

        # DATA-2: not acknowledged, so the page says it is still waiting, not received.
        page.goto(server.url + "/account")
        status = page.locator("article.app", has_text=APP).locator(".deletion-status")
        assert status.get_attribute("data-status") == "pending"
        assert "Waiting for the app" in status.inner_text()
        assert page.locator("#deletions tbody tr[data-status=pending]").count() == 1
        assert "Received by the app" not in page.locator("#deletions").inner_text()
        shoot(page, shots, "deletion-waiting")

        # The backoff elapses: the server's delivery run pushes the same SET again; the app says 202.
        report = deliver_later(seeder, first.attempts)
        assert report.failed == 0, report.failures
        wait_for(page, server.url + "/account", "#deletions tbody tr[data-status=delivered]")

    claims = _assert_checked(receiver, sub, client_id)
    assert len(receiver.pushes) == 2
    assert receiver.checked[0].claims["jti"] == claims["jti"] == first.jti  # a redelivery, same jti
    row = event_row(seeder)
    assert row.status == "delivered" and row.attempts == 2 and row.last_error == ""
    status = page.locator("article.app", has_text=APP).locator(".deletion-status")
    assert status.get_attribute("data-status") == "delivered"
    assert "Received by the app" in status.inner_text()
    shoot(page, shots, "deletion-retried-delivered")
    assert errors.unexpected() == []
