"""The account page in a real Chromium (DATA-1): two apps with access, then one taken back.

The user consents to two apps through the real consent screen; the account page lists both,
with what each can reach; the user removes one app's access (open the confirmation, confirm),
and the app's next data-API call with its old access token is refused with 401, its refresh
token with ``invalid_grant``. Screenshots at 1280 and 390 pixels go to ``$CONSENTRY_SCREENSHOTS``
(else the test's temporary directory).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import select

from consentry.storage.tables import Project
from tests.browser.console_helpers import PageErrors, logo_png, screenshot_dir
from tests.browser.helpers import authorize_url, exchange_code, path_of, query_of, scope_uri, sign_in
from tests.browser.screenshots import DESKTOP, at_both_widths, shoot_console
from tests.support.browserless import pkce_pair

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import AppCallback
    from tests.support.live import LiveServer
    from tests.support.seed import SeededClient, Seeder

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

USER = "ada@example.org"


def shoot(page: Page, directory: Path, name: str) -> None:
    """Full-page screenshots at 1280 and 390 pixels; the stylesheet applied and nothing overflows."""
    shoot_console(page, directory, f"account-{name}", "880px")


def _consent(
    page: Page, base: str, cb: AppCallback, client: SeededClient, scopes: list[str], state: str
) -> dict[str, Any]:
    """Authorize in the browser, tick every data scope, allow; the app exchanges the code."""
    verifier, challenge = pkce_pair()
    page.goto(
        authorize_url(
            base,
            client,
            cb.url,
            scope=" ".join(scopes),
            state=state,
            challenge=challenge,
            access_type="offline",
        )
    )
    if path_of(page.url) == "/signin":
        sign_in(page, USER)
    boxes = page.locator('form input[type="checkbox"][name="scope"]')
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.locator('form button[name="action"][value="allow"]').click()
    page.wait_for_url(cb.landed)
    q = query_of(page.url)
    assert q.get("state") == state and q.get("code"), q
    return exchange_code(base, client, q["code"], cb.url, verifier)


def _mail(base: str, token: str) -> httpx.Response:
    return httpx.get(
        base + "/data/v1/mail/messages", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_revoke_from_the_account_page_and_the_app_is_refused(
    live_server: tuple[LiveServer, Seeder], page: Page, app_callback: AppCallback, tmp_path: Path
) -> None:  # DATA-1
    server, seeder = live_server
    base = server.url
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)
    seeder.user(USER)
    seeder.sample_data(USER)
    mail_app = seeder.client("web", project="Mail Pal", redirect_uris=[app_callback.url], name="Mail Pal")
    cal_app = seeder.client("web", project="Cal Buddy", redirect_uris=[app_callback.url], name="Cal Buddy")
    with seeder.db.unit_of_work() as s:
        project = s.scalar(select(Project).where(Project.name == "Cal Buddy"))
        assert project is not None
        project.logo_png = logo_png(tmp_path / "logo.png", size=120, colour=(20, 140, 90)).read_bytes()

    mail = _consent(
        page,
        base,
        app_callback,
        mail_app,
        ["openid", "email", scope_uri(base, "mail.readonly"), scope_uri(base, "calendar.readonly")],
        "st-mail",
    )
    _consent(
        page, base, app_callback, cal_app, ["openid", "profile", scope_uri(base, "calendar.events")], "st-cal"
    )
    assert _mail(base, mail["access_token"]).status_code == 200  # the app reads mail: one log entry

    page.goto(base + "/account")
    cards = page.locator("article.app")
    assert cards.count() == 2
    assert [cards.nth(i).locator(".app-name").inner_text() for i in range(2)] == ["Cal Buddy", "Mail Pal"]
    mail_card = page.locator("article.app", has_text="Mail Pal")
    assert "View your email messages and settings" in mail_card.locator("ul.reach").inner_text()
    assert "(highly sensitive data)" in mail_card.locator("ul.reach").inner_text()
    assert (
        page.locator("article.app", has_text="Cal Buddy")
        .locator("img.app-logo")
        .evaluate("i => i.naturalWidth")
        > 0
    )
    mail_card.locator("details.activity summary").click()
    assert "List messages with their headers and labels" in mail_card.locator("ol.log").inner_text()
    shoot(page, shots, "two-apps")

    # The report form, opened, as the user sees it before sending.
    mail_card.locator("details.report summary").click()
    mail_card.get_by_label("What did the app do wrong?").fill("It reads my mail but shows nothing of it.")
    shoot(page, shots, "report-open")
    mail_card.locator("details.report summary").click()

    # Remove access: open the confirmation, then confirm.
    mail_card.get_by_text("Remove access", exact=True).click()
    confirm = mail_card.get_by_role("button", name="Remove Mail Pal\u2019s access")
    assert confirm.is_visible()
    shoot(page, shots, "revoke-confirm")
    with page.expect_navigation():
        confirm.click()
    assert page.url.endswith("/account?done=revoked")
    assert "Access removed" in page.locator(".notice.ok").inner_text()
    assert page.locator("article.app").count() == 1
    assert page.locator("article.app .app-name").inner_text() == "Cal Buddy"
    shoot(page, shots, "after-revoke")

    # The app's next call with its old access token: 401. Its refresh token: invalid_grant.
    after = _mail(base, mail["access_token"])
    assert after.status_code == 401 and after.json()["error"] == "invalid_token"
    refresh = httpx.post(
        base + "/token",
        data={"grant_type": "refresh_token", "refresh_token": mail["refresh_token"]},
        auth=(mail_app.client_id, mail_app.client_secret or ""),
        timeout=10,
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"

    page.goto(base + "/account/receipts")
    assert page.locator("h1").inner_text() == "Your consent receipts"
    shoot(page, shots, "receipts")
    assert errors.unexpected() == []


def _shoot_review(page: Page, directory: Path, name: str) -> None:
    """The reviewer console's pages: same checks, the console's own width."""
    page.wait_for_load_state("load")
    at_both_widths(page, directory, f"review-{name}", wide="desktop")


def test_report_and_deletion_request_then_a_reviewer_closes_the_report(
    live_server: tuple[LiveServer, Seeder],
    page: Page,
    chromium: Any,
    app_callback: AppCallback,
    tmp_path: Path,
) -> None:  # DATA-2 LIMIT-6
    server, seeder = live_server
    base = server.url
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)
    seeder.user(USER)
    seeder.user("rita@review.example.org", role="reviewer")
    app = seeder.client("web", project="Mail Pal", redirect_uris=[app_callback.url], name="Mail Pal")
    _consent(page, base, app_callback, app, ["openid", "email", scope_uri(base, "mail.readonly")], "st-1")
    with seeder.db.unit_of_work() as s:
        project = s.scalar(select(Project).where(Project.name == "Mail Pal"))
        assert project is not None
        project.events_endpoint = "https://mailpal.example.org/secevents"

    page.goto(base + "/account")
    card = page.locator("article.app", has_text="Mail Pal")
    card.get_by_text("Ask to delete my data", exact=True).click()
    with page.expect_navigation():
        card.get_by_role("button", name="Send the request").click()
    assert "Your request was sent to the app" in page.locator(".notice.ok").inner_text()
    assert page.locator("#deletions tbody tr").count() == 1
    assert "You asked it to delete your data" in card.locator(".deletion-status").inner_text()

    card.get_by_text("Report this app", exact=True).click()
    card.get_by_label("What did the app do wrong?").fill("It sent mail in my name.")
    with page.expect_navigation():
        card.get_by_role("button", name="Send report").click()
    assert "Your report is in the reviewers' queue" in page.locator(".notice.ok").inner_text()
    shoot(page, shots, "deletion-and-report")
    assert errors.unexpected() == []

    # The reviewer, in another browser profile, sees the report and closes it.
    reviewer = chromium.new_context(viewport=DESKTOP, locale="en-US").new_page()
    try:
        reviewer_errors = PageErrors().watch(reviewer)
        reviewer.goto(base + "/review")
        sign_in(reviewer, "rita@review.example.org")
        assert path_of(reviewer.url) == "/review"
        reviewer.get_by_role("link", name="Reports from users").click()
        assert path_of(reviewer.url) == "/review/reports/open"
        row = reviewer.locator("table.reports tbody tr")
        assert (
            row.count() == 1 and "It sent mail in my name." in row.inner_text() and USER in row.inner_text()
        )
        _shoot_review(reviewer, shots, "reports")
        with reviewer.expect_navigation():
            row.get_by_role("button", name="Close").click()
        assert "Report closed" in reviewer.locator(".alert.ok").inner_text()
        assert reviewer.locator("#no-reports").is_visible()
        _shoot_review(reviewer, shots, "reports-closed")
        assert reviewer_errors.unexpected() == []
    finally:
        reviewer.context.close()
