"""The reviewer console in Chromium: the queue, a review page, and an approval (VERIFY-6, VERIFY-7).

Screenshots of the queue and the review page at desktop (1280 px) and phone (390 px) width go to
``$CONSENTRY_SCREENSHOTS`` when set (CI keeps them), else the test's temporary directory. Any
console error (a CSP violation among them), script error or failed load fails the test.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.scopes.scanner import build_report, scan
from tests.browser.helpers import path_of, scope_uri, sign_in
from tests.browser.screenshots import DESKTOP, shoot_console
from tests.cli.test_cli import query
from tests.integration.review import submit_project

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scan"
REVIEWER = "rita@review.example.org"


def screenshot_dir(fallback: Path) -> Path:
    chosen = os.environ.get("CONSENTRY_SCREENSHOTS")
    path = Path(chosen) if chosen else fallback
    path.mkdir(parents=True, exist_ok=True)
    return path


def shoot(page: Page, directory: Path, name: str) -> list[Path]:
    """The reviewer console's page at both widths."""
    return shoot_console(page, directory, f"review-{name}", "1240px", wide="1280")


def scan_report(issuer: str) -> dict[str, Any]:
    catalogue = Catalogue(issuer)
    report = build_report(scan(str(FIXTURES / "python_mail_notifier"), catalogue), catalogue)
    return dict(json.loads(json.dumps(report, default=str)))


def test_reviewer_reads_the_queue_and_approves_some_scopes(live_server, page, database_url, tmp_path) -> None:
    server, seeder = live_server
    submit_project(
        database_url, server.url, "Mailer", scan_report=scan_report(server.url), submitted_days_ago=9
    )
    submit_project(
        database_url, server.url, "Calendar", scopes=("calendar.readonly",), owner="cal@example.org"
    )
    seeder.user(REVIEWER, role="reviewer")
    shots = screenshot_dir(tmp_path)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.set_viewport_size(DESKTOP)

    # The queue, oldest first; the nine-day-old request is highlighted.
    page.goto(server.url + "/review")
    sign_in(page, REVIEWER)
    assert path_of(page.url) == "/review"
    rows = page.locator("#queue tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-project") == "Mailer" and "old" in (
        rows.nth(0).get_attribute("class") or ""
    )
    assert "9 days" in rows.nth(0).inner_text() and "0 days" in rows.nth(1).inner_text()
    shoot(page, shots, "queue")
    page.locator("a[data-filter='needs:sensitive']").click()
    assert page.locator("#queue tbody tr").count() == 1
    assert page.locator("#queue tbody tr").get_attribute("data-project") == "Calendar"
    page.locator("a[data-filter='needs:any']").click()

    # The review page: the submission, the evidence and the decision forms.
    page.get_by_role("link", name="Mailer Reminders").click()
    assert path_of(page.url) == "/review/Mailer"
    page.wait_for_load_state("load")
    assert page.locator("img.logo-lg").evaluate("img => img.naturalWidth") > 0  # the logo loaded
    assert page.locator("#prechecks li.fail").count() == 1
    assert page.locator("#scan-table tr.mismatch").count() >= 2
    shoot(page, shots, "page")

    with page.expect_navigation():
        page.get_by_role("button", name="Start review").click()
    assert page.locator("#state").get_attribute("data-state") == "in_review"
    approve = page.locator("#approve-form")
    approve.locator(f"input[value='{scope_uri(server.url, 'mail.readonly')}']").uncheck()
    with page.expect_navigation():
        approve.get_by_role("button", name="Approve ticked scopes").click()
    assert page.locator("#state").get_attribute("data-state") == "approved"
    assert "Approved." in page.locator(".alert.ok").inner_text()
    shoot(page, shots, "approved")
    stored = query(database_url, "SELECT approved_scopes FROM projects WHERE name = 'Mailer'")[0][0]
    assert (json.loads(stored) if isinstance(stored, str) else stored) == [scope_uri(server.url, "mail.send")]
    assert errors == []  # no CSP violations, script errors or failed loads on any page
