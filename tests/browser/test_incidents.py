"""Security incidents in Chromium (SEC-6): a developer reports one from the console, the security
contact reads it on a real SMTP server, a reviewer acknowledges it, adds a note and resolves it,
and the developer sees the state and the platform's notes on their incident page.

A real uvicorn server whose mail loop runs every 10 minutes, so the mail arriving within seconds
is the wake after the report's commit. Screenshots of every page at 1280 and 390 px go to
``$CONSENTRY_SCREENSHOTS`` when set, else the test's temporary directory. Any console error (a CSP
violation among them), script error or unexpected failed load fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select, update

from consentry.settings import Settings
from consentry.storage.tables import Project, ProjectMember, User
from tests.browser.console_helpers import PageErrors, project_url, screenshot_dir, sign_in_to_console
from tests.browser.helpers import path_of, sign_in
from tests.browser.screenshots import DESKTOP, shoot_console
from tests.support.databases import SECRET
from tests.support.live import LiveServer, free_port, start_server
from tests.support.seed import Seeder
from tests.support.smtp import SmtpServer, smtp_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

OWNER = "dev@mailsorter.example.com"
EDITOR = "ed@mailsorter.example.com"
REVIEWER = "rita@review.example.org"
TEAM = "security@platform.example"
PROJECT = "Mail Sorter"


@pytest.fixture
def mail_server() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def server(database_url: str, mail_server: SmtpServer) -> Iterator[tuple[LiveServer, Seeder]]:
    port = free_port()
    env = {
        "CONSENTRY_SECRET_KEY": SECRET,
        "CONSENTRY_SMTP_URL": mail_server.url(),
        "CONSENTRY_MAIL_INTERVAL": "600",
        "CONSENTRY_SECURITY_CONTACT": TEAM,
    }
    issuer = f"http://127.0.0.1:{port}"
    seeder = Seeder(Settings(database_url=database_url, issuer=issuer, secret_key=SECRET, environment="test"))
    live = start_server(database_url, port=port, env=env)
    yield live, seeder
    live.stop()
    seeder.close()


def world(seeder: Seeder) -> None:
    seeder.user(OWNER)
    seeder.user(EDITOR)
    seeder.user(REVIEWER, role="reviewer")
    seeder.client("web", owner=OWNER, project=PROJECT)
    with seeder.db.unit_of_work() as s:
        project = s.scalar(select(Project).where(Project.name == PROJECT))
        editor = s.scalar(select(User).where(User.email == EDITOR))
        assert project is not None and editor is not None
        s.execute(
            update(Project)
            .where(Project.id == project.id)
            .values(support_email="help@mailsorter.example.com", app_name="Mail Sorter")
        )
        s.add(ProjectMember(project_id=project.id, user_id=editor.id, role="editor"))


def report(page: Page, **fields: str) -> None:
    form = page.locator("#report-form")
    form.get_by_label("Summary").fill(fields["summary"])
    form.get_by_label("What happened").fill(fields["details"])
    form.get_by_label("Detected (UTC)").fill(fields["detected"])
    form.get_by_label("Users affected").fill(fields["users"])
    form.locator("input[name=certainty][value=confirmed]").check()
    form.get_by_label("Affected data, scopes and users").fill(fields["affected"])
    form.get_by_label("Containment so far").fill(fields["containment"])
    form.locator("input[name=statement][value=planned]").check()
    form.get_by_label("Statement date (UTC)").fill(fields["statement_at"])
    with page.expect_navigation():
        form.get_by_role("button", name="Report to the security contact").click()


def test_report_acknowledge_resolve_and_the_developer_sees_it(
    server: tuple[LiveServer, Seeder], mail_server: SmtpServer, page: Page, chromium: Browser, tmp_path: Any
) -> None:  # SEC-6
    live, seeder = server
    world(seeder)
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)
    page.set_viewport_size(DESKTOP)
    incidents_url = project_url(live.url, PROJECT, "incidents")

    sign_in_to_console(page, live.url, EDITOR)
    page.goto(project_url(live.url, PROJECT))
    with page.expect_navigation():
        page.locator("nav.tabs").get_by_role("link", name="Incidents").click()
    assert path_of(page.url) == path_of(incidents_url)
    assert page.locator("nav.tabs a[aria-current=page]").inner_text() == "Incidents"
    assert page.locator("#no-incidents").count() == 1 and TEAM in page.locator(".intro").inner_text()
    shoot_console(page, shots, "console-incidents-empty", "1100px")

    good = {
        "summary": "Refresh tokens exposed in a public log bucket",
        "details": "A debug log with refresh tokens was public from 2 to 4 May.\n\nFound by our own bucket scan.",
        "detected": "2026-05-04 09:30",
        "users": "1200",
        "affected": "mail.readonly refresh tokens of users who signed in before May 4",
        "containment": "Bucket made private; every refresh token of the client revoked.",
        "statement_at": "2030-05-10",
    }
    report(page, **{**good, "detected": "2999-01-01 00:00"})
    assert page.locator(".alert.error").get_attribute("data-code") == "invalid_detected_at"
    assert "in the future" in page.locator(".alert.error").inner_text()
    assert page.locator("#report-form textarea[name=containment]").input_value() == good["containment"]
    shoot_console(page, shots, "console-incidents-refused", "1100px")

    report(page, **good)
    assert "/incidents/" in page.url and "Incident reported." in page.locator(".alert.ok").inner_text()
    assert page.locator("#incident-state").get_attribute("data-state") == "reported"
    assert "About 1,200" in page.locator("#incident-facts").inner_text()
    incident_path = path_of(page.url)
    incident_id = incident_path.rsplit("/", 1)[-1]
    shoot_console(page, shots, "console-incident-reported", "1100px")

    mails = mail_server.wait_for(2, timeout=15)
    [to_team] = [m for m in mails if m.rcpt_tos == [TEAM]]
    assert good["summary"] in to_team.message.get_content()
    assert f"Incident #{incident_id} (confirmed): Mail Sorter" in str(to_team.message["Subject"])

    # The reviewer, in a browser of their own.
    reviewer_ctx = chromium.new_context(viewport=DESKTOP, locale="en-US")
    try:
        rp = reviewer_ctx.new_page()
        rerrors = PageErrors().watch(rp)
        rp.goto(live.url + "/review")
        sign_in(rp, REVIEWER)
        with rp.expect_navigation():
            rp.locator("#incidents-link").click()
        row = rp.locator(f"#incident-queue tr[data-incident='{incident_id}']")
        assert row.get_attribute("data-state") == "reported" and "Mail Sorter" in row.inner_text()
        shoot_console(rp, shots, "review-incidents-queue", "1240px")
        with rp.expect_navigation():
            row.get_by_role("link").click()
        assert rp.locator("#incident-state").get_attribute("data-state") == "reported"
        assert good["containment"] in rp.locator("#incident-report").inner_text()
        shoot_console(rp, shots, "review-incident-reported", "1240px")

        rp.locator("#acknowledge-form textarea").fill(
            "Thanks. Keep the bucket's access logs; we look at them now."
        )
        with rp.expect_navigation():
            rp.get_by_role("button", name="Acknowledge").click()
        assert "Acknowledged." in rp.locator(".alert.ok").inner_text()
        rp.locator("#note-form textarea").fill("Did any token get used from outside your servers?")
        with rp.expect_navigation():
            rp.get_by_role("button", name="Add note").click()
        shoot_console(rp, shots, "review-incident-acknowledged", "1240px")

        rp.locator("#resolve-form textarea").fill(
            "Logs show no use of the exposed tokens; all were revoked on May 4."
        )
        with rp.expect_navigation():
            rp.get_by_role("button", name="Close incident").click()
        assert rp.locator("#incident-state").get_attribute("data-state") == "resolved"
        assert rp.locator("#closed").count() == 1
        shoot_console(rp, shots, "review-incident-resolved", "1240px")
        rp.goto(live.url + "/review/incidents/queue?state=all")
        shoot_console(rp, shots, "review-incidents-all", "1240px")
        assert rerrors.unexpected() == []
    finally:
        reviewer_ctx.close()

    # The developer sees the state and the platform's notes.
    page.goto(live.url + incident_path)
    assert page.locator("#incident-state").get_attribute("data-state") == "resolved"
    thread = page.locator("#incident-notes")
    assert thread.locator("li[data-side=platform]").count() == 3
    assert "Did any token get used" in thread.inner_text() and "Logs show no use" in thread.inner_text()
    assert page.locator("#update-form").count() == 0
    shoot_console(page, shots, "console-incident-resolved", "1100px")
    page.goto(incidents_url)
    assert page.locator(f"tr[data-incident='{incident_id}']").get_attribute("data-state") == "resolved"
    shoot_console(page, shots, "console-incidents", "1100px")
    assert len(mail_server.wait_for(5, timeout=15)) >= 5  # + acknowledged, note, resolved to the project
    assert errors.unexpected() == []
