"""The organization admin console in Chromium (issue 14, AUTH0-5, VERIFY-10).

An admin writes the organization's message and blocks an app a member uses; the member's next
sign-in to it is refused with that message; the member asks for access from the refusal page; the
admin approves in the queue; the member gets in. Screenshots of every admin page and of the
member's request form at 1280 and 390 px go to ``$CONSENTRY_SCREENSHOTS`` (else the test's tmp
dir); nothing may be wider than the screen, and any console error, script error or failed load
fails the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.console_helpers import screenshot_dir
from tests.browser.helpers import authorize_url, path_of, query_of, scope_uri, sign_in
from tests.browser.screenshots import DESKTOP, at_both_widths
from tests.integration.service_accounts.support import JWT_BEARER, service_account
from tests.support.browserless import pkce_pair

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.browser.conftest import AppCallback
    from tests.support.live import LiveServer
    from tests.support.seed import Seeder

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

ORG = "corp.example"
ADMIN = "ada@corp.example"
MEMBER = "mo@corp.example"
MESSAGE = "Corp IT reviews every app first: write to it@corp.example."
REASON = "Our client shares their project plans through it."


def shoot(page: Page, directory: Path, name: str) -> None:
    """Full-page PNGs at both widths; nothing wider than the screen."""
    page.wait_for_load_state("load")
    at_both_widths(page, directory, f"org-admin-{name}")


def watch(page: Page, errors: list[str]) -> None:
    # Chromium logs every 4xx answer as a console error; the responses are checked just below.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    # The refusal page answers 403 by design; anything else at 400 or more is a failure.
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}") if r.status >= 400 and "/authorize" not in r.url else None
        ),
    )


def sign_in_to_app(page: Page, base: str, client, app_callback, scope: str, state: str) -> None:
    _verifier, challenge = pkce_pair()
    page.goto(authorize_url(base, client, app_callback.url, scope=scope, state=state, challenge=challenge))


def test_admin_blocks_member_asks_admin_approves(
    live_server: tuple[LiveServer, Seeder], chromium: Browser, app_callback: AppCallback, tmp_path: Path
) -> None:  # AUTH0-5 VERIFY-10
    server, seeder = live_server
    base = server.url
    seeder.user(ADMIN, org=ORG, role="admin")
    seeder.user(MEMBER, org=ORG)
    seeder.user("lee@corp.example", org=ORG)
    client = seeder.client("web", redirect_uris=[app_callback.url], project="Project Planner")
    other = seeder.client("web", project="Notes", verified=False)
    service = service_account(seeder, project="Nightly reports")  # with its key file
    cal = scope_uri(base, "calendar.readonly")
    shots = screenshot_dir(tmp_path)
    errors: list[str] = []
    member_ctx = chromium.new_context(viewport=DESKTOP, locale="en-US")
    admin_ctx = chromium.new_context(viewport=DESKTOP, locale="en-US")
    try:
        member, admin = member_ctx.new_page(), admin_ctx.new_page()
        watch(member, errors)
        watch(admin, errors)

        # The member uses the app: it is among the organization's apps.
        sign_in_to_app(member, base, client, app_callback, f"openid {cal}", "st-1")
        sign_in(member, MEMBER)
        member.get_by_label("See and download any calendar you can access").check()
        member.get_by_role("button", name="Allow").click()
        member.wait_for_url(app_callback.landed)
        assert query_of(member.url)["code"]

        # The admin: the overview, then the message on the policy page.
        admin.goto(base + "/admin")
        sign_in(admin, ADMIN)
        assert path_of(admin.url) == "/admin"
        assert admin.locator("#stat-members .n").inner_text() == "3"
        admin.locator("nav.tabs a[data-tab=policy]").click()
        admin.get_by_label("Shown to members whenever your rules refuse an app").fill(MESSAGE)
        with admin.expect_navigation():
            admin.get_by_role("button", name="Save policy").click()
        assert "Policy saved." in admin.locator(".alert.ok").inner_text()

        # Block the app on its page.
        admin.locator("nav.tabs a[data-tab=apps]").click()
        row = admin.locator("tr", has_text="Project Planner")
        assert row.locator("td[data-label='Users']").inner_text() == "1"
        row.get_by_role("link", name="Project Planner").click()
        admin.locator("label.choice", has_text="Blocked").click()
        with admin.expect_navigation():
            admin.get_by_role("button", name="Save access").click()
        assert admin.locator("#app .access").first.get_attribute("data-access") == "blocked"

        # The member's next sign-in is refused with the organization's message.
        sign_in_to_app(member, base, client, app_callback, f"openid {cal}", "st-2")
        member.wait_for_load_state("load")
        heading = member.locator("h1").inner_text()
        assert "Project Planner" in heading and "can't be used" in heading
        assert MESSAGE in member.locator("main").inner_text()
        assert "admin_policy_enforced" in member.locator("main").inner_text()
        assert len(app_callback.queries()) == 1  # nothing went back to the app
        shoot(member, shots, "refusal")

        # The member asks for access, with a reason.
        member.get_by_role("link", name="Ask your admins for access").click()
        assert path_of(member.url) == "/account/organization/request"
        shoot(member, shots, "request-form")
        member.get_by_label("Why do you need it?").fill(REASON)
        with member.expect_navigation():
            member.get_by_role("button", name="Send to your admins").click()
        assert "Request sent." in member.locator("#notice").inner_text()
        assert member.locator("#my-requests li").get_attribute("data-status") == "pending"
        shoot(member, shots, "request-sent")

        # The admin's queue: the request, with its reason; approve with an answer.
        admin.goto(base + "/admin/requests")
        assert admin.locator("nav.tabs .n-pending").inner_text() == "1"
        request = admin.locator("article.request")
        assert REASON in request.inner_text() and MEMBER in request.inner_text()
        shoot(admin, shots, "requests")
        request.get_by_label("Your answer").fill("Approved for the client project.")
        with admin.expect_navigation():
            request.get_by_role("button", name="Approve").click()
        assert "Approved." in admin.locator(".alert.ok").inner_text()
        assert admin.locator("#decided tr[data-status='approved']").count() == 1

        # The member gets in (consent again: blocking took the earlier grant back).
        sign_in_to_app(member, base, client, app_callback, f"openid {cal}", "st-3")
        member.get_by_label("See and download any calendar you can access").check()
        member.get_by_role("button", name="Allow").click()
        member.wait_for_url(app_callback.landed)
        q = query_of(member.url)
        assert q["state"] == "st-3" and q["code"] and "error" not in q
        member.goto(base + "/account/organization/request")
        assert member.locator("#my-requests li").get_attribute("data-status") == "approved"
        shoot(member, shots, "request-approved")

        # Screenshots of every admin page, with a little more to show.
        admin.goto(base + "/admin/apps")
        admin.get_by_label("Client ID").fill(other.client_id)
        with admin.expect_navigation():
            admin.get_by_role("button", name="Find the app").click()
        with admin.expect_navigation():
            admin.get_by_role("button", name="Install for everyone").click()
        shoot(admin, shots, "app")
        admin.goto(base + "/admin/delegation")
        admin.get_by_label("Client ID of the service account").fill(service.client_id)
        admin.locator("label.check", has_text="calendar.readonly").locator("input").check()
        admin.locator("label.check", has_text="mail.readonly").locator("input").check()
        with admin.expect_navigation():
            admin.get_by_role("button", name="Save delegation").click()
        entry = admin.locator(f"tr[data-client='{service.client_id}']")
        assert "calendar.readonly" in entry.inner_text() and "mail.readonly" in entry.inner_text()
        # The service account now acts for the member: a JWT bearer grant with sub, then a data call.
        token_url = base + "/token"
        assertion = service.assertion(token_url, scope=cal, sub=MEMBER)
        got = httpx.post(token_url, data={"grant_type": JWT_BEARER, "assertion": assertion}, timeout=10)
        assert got.status_code == 200, got.text
        events = httpx.get(
            base + "/data/v1/calendar/events",
            headers={"authorization": f"Bearer {got.json()['access_token']}"},
            timeout=10,
        )
        assert events.status_code == 200 and "events" in events.json()
        for name, path in (
            ("overview", "/admin"),
            ("members", "/admin/members"),
            ("apps", "/admin/apps"),
            ("policy", "/admin/policy"),
            ("delegation", "/admin/delegation"),
        ):
            admin.goto(base + path)
            shoot(admin, shots, name)
        assert errors == []
    finally:
        member_ctx.close()
        admin_ctx.close()
