"""Reporting an app to the reviewers, and asking an app to delete the user's data (LIMIT-6, DATA-2).

Runs on SQLite and PostgreSQL. Every refusal says why, at the app it was about, with what the
user typed kept, and leaves the database as it was.
"""

from __future__ import annotations

from sqlalchemy import select

from consentry.storage.db import Database
from consentry.storage.tables import AppReport, Project, SecurityEvent
from consentry.storage.tables.base import now
from tests.conftest import ISSUER
from tests.integration.account import (
    HTML,
    USER,
    app_card,
    audit_tags,
    csrf,
    error_of,
    grant,
    post,
    project_id,
    sign_in,
    text_of,
)

REVIEWER = "rita@review.example.org"
REASON = "It sent mail in my name to all my contacts."


def _reports(database_url: str) -> list[AppReport]:
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            rows = list(s.scalars(select(AppReport).order_by(AppReport.id)))
            s.expunge_all()
            return rows
    finally:
        db.dispose()


def test_a_user_reports_an_app_with_a_short_reason(database_url, seed, browser, client) -> None:  # LIMIT-6
    seed.user(USER)
    c = seed.client("web", project="Mail Pal")
    seed.client("web", project="Stranger")
    grant(browser, client, c, "mail.readonly")
    pid, stranger = project_id(database_url, "Mail Pal"), project_id(database_url, "Stranger")
    sign_in(browser)
    token = csrf(browser)
    path = f"/account/apps/{pid}/report"

    short = post(browser, path, {"csrf": token, "reason": "bad"})
    assert short.status_code == 400
    assert error_of(short.text) == (
        "invalid_reason",
        "Say in a few words what the app did wrong (at least 5 characters).",
    )
    card = app_card(short.text, pid)
    assert '<details class="act report" open>' in card and ">bad</textarea>" in card
    long = post(browser, path, {"csrf": token, "reason": "x" * 1001})
    assert long.status_code == 400
    assert error_of(long.text)[1] == "Keep the report under 1000 characters (it has 1001)."
    assert post(browser, path, {"reason": REASON}).status_code == 403  # no CSRF field
    assert _reports(database_url) == []

    ok = post(browser, path, {"csrf": token, "reason": f"  {REASON}\r\n"})
    assert ok.status_code == 303 and ok.headers["location"] == "/account?done=reported"
    assert "Thank you. Your report is in the reviewers' queue." in text_of(
        browser.get(ISSUER + ok.headers["location"]).text
    )
    [row] = _reports(database_url)
    assert (row.project_id, row.client_pk, row.reason, row.closed_at) == (pid, c.pk, REASON, None)
    assert "user:app:report" in audit_tags(database_url)

    again = post(browser, path, {"csrf": token, "reason": REASON})
    assert again.status_code == 409
    assert error_of(again.text) == (
        "already_reported",
        "You already reported this app; reviewers will look at your report.",
    )
    # Only an app the user has dealt with: not any project id.
    other = post(browser, f"/account/apps/{stranger}/report", {"csrf": token, "reason": REASON})
    assert other.status_code == 404
    assert error_of(other.text)[1] == "You can report only an app that has had access to your account."
    assert len(_reports(database_url)) == 1


def test_reviewers_see_open_reports_and_close_them(database_url, seed, browser, client) -> None:  # LIMIT-6
    seed.user(USER)
    seed.user(REVIEWER, role="reviewer")
    c = seed.client("web", project="Mail Pal")
    grant(browser, client, c, "mail.readonly")
    pid = project_id(database_url, "Mail Pal")
    sign_in(browser)
    assert (
        post(browser, f"/account/apps/{pid}/report", {"csrf": csrf(browser), "reason": REASON}).status_code
        == 303
    )
    [report] = _reports(database_url)
    close = f"/review/reports/{report.id}/close"
    # A user without the review permission sees nothing and closes nothing.
    assert browser.get(ISSUER + "/review/reports/open", headers=HTML).status_code == 403
    assert post(browser, close, {"csrf": csrf(browser)}).status_code == 403

    sign_in(browser, REVIEWER, "/review")
    queue = browser.get(ISSUER + "/review").text
    assert 'href="/review/reports/open"' in queue
    page = browser.get(ISSUER + "/review/reports/open")
    assert page.status_code == 200
    row = text_of(page.text)
    assert "Mail Pal" in row and REASON in row and f"from {USER}" in row and "0 days ago" in row
    assert f'data-report="{report.id}"' in page.text
    token = csrf(browser)
    assert post(browser, close, {}).status_code == 403
    assert _reports(database_url)[0].closed_at is None

    done = post(browser, close, {"csrf": token})
    assert done.status_code == 303 and done.headers["location"] == "/review/reports/open?done=closed"
    after = browser.get(ISSUER + done.headers["location"]).text
    assert "Report closed." in text_of(after) and 'id="no-reports"' in after
    [closed] = _reports(database_url)
    assert closed.closed_at is not None and closed.closed_by == REVIEWER
    assert "review:report:close" in audit_tags(database_url)

    twice = post(browser, close, {"csrf": token})
    assert twice.status_code == 409
    assert f"This report was already closed by {REVIEWER}." in text_of(twice.text)
    missing = post(browser, "/review/reports/999999/close", {"csrf": token})
    assert missing.status_code == 404 and "No such report." in text_of(missing.text)


def _set(database_url: str, pid: int, **values: object) -> None:
    db = Database(database_url)
    with db.unit_of_work() as s:
        project = s.get(Project, pid)
        assert project is not None
        for k, v in values.items():
            setattr(project, k, v)
    db.dispose()


def _deletions(database_url: str) -> list[SecurityEvent]:
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            rows = list(
                s.scalars(
                    select(SecurityEvent).where(SecurityEvent.event_type.like("%data-deletion-requested"))
                )
            )
            s.expunge_all()
            return rows
    finally:
        db.dispose()


def test_asking_an_app_to_delete_my_data(database_url, seed, browser, client) -> None:  # DATA-2
    seed.user(USER)
    c = seed.client("web", project="Mail Pal")
    seed.client("web", project="Stranger")
    grant(browser, client, c, "openid", "email", "mail.readonly")
    pid, stranger = project_id(database_url, "Mail Pal"), project_id(database_url, "Stranger")
    _set(database_url, pid, support_email="help@mailpal.example.org")
    sign_in(browser)
    token = csrf(browser)
    path = f"/account/apps/{pid}/delete-data"

    # No endpoint registered: the user is told plainly, at the app, and nothing is queued.
    refused = post(browser, path, {"csrf": token})
    assert refused.status_code == 409
    code, message = error_of(app_card(refused.text, pid))
    assert code == "no_events_endpoint" and "has not set up an endpoint for deletion requests" in message
    assert "help@mailpal.example.org" in message
    assert _deletions(database_url) == []

    _set(database_url, pid, events_endpoint="https://mailpal.example.org/events")
    assert post(browser, path, {}).status_code == 403
    ok = post(browser, path, {"csrf": token})
    assert ok.status_code == 303 and ok.headers["location"] == "/account?done=deletion"
    [event] = _deletions(database_url)
    assert event.project_id == pid and event.status == "pending"
    assert "user:deletion:request" in audit_tags(database_url)
    html = browser.get(ISSUER + ok.headers["location"]).text
    assert "Your request was sent to the app. You can follow it below." in text_of(html)
    assert "Waiting for the app" in text_of(app_card(html, pid))
    assert 'data-status="pending"' in html and "Your requests to delete data" in html

    # The app acknowledged it: the page follows; an old unacknowledged one is flagged overdue.
    db = Database(database_url)
    with db.unit_of_work() as s:
        row = s.get(SecurityEvent, event.id)
        assert row is not None
        row.status, row.delivered_at = "delivered", now()
    html = browser.get(ISSUER + "/account").text
    assert "Received by the app" in text_of(app_card(html, pid)) and "Overdue" not in html
    with db.unit_of_work() as s:
        row = s.get(SecurityEvent, event.id)
        assert row is not None
        row.status, row.delivered_at, row.created_at = "pending", None, now() - 40 * 86400
    html = browser.get(ISSUER + "/account").text
    assert "Overdue" in text_of(app_card(html, pid))
    db.dispose()

    # Not for an app the user never dealt with.
    _set(database_url, stranger, events_endpoint="https://stranger.example.org/events")
    other = post(browser, f"/account/apps/{stranger}/delete-data", {"csrf": token})
    assert other.status_code == 404
    assert error_of(other.text)[1] == "You can ask only an app that has had access to your account."
    assert len(_deletions(database_url)) == 1


def test_removing_access_can_also_ask_for_deletion(
    database_url, seed, browser, client
) -> None:  # DATA-1 DATA-2
    seed.user(USER)
    c = seed.client("web", project="Mail Pal")
    other = seed.client("web", project="No Endpoint")
    grant(browser, client, c, "openid", "email", "mail.readonly")
    grant(browser, client, other, "openid", "email")
    pid, quiet = project_id(database_url, "Mail Pal"), project_id(database_url, "No Endpoint")
    _set(database_url, pid, events_endpoint="https://mailpal.example.org/events")
    sign_in(browser)
    token = csrf(browser)
    done = post(browser, f"/account/apps/{pid}/revoke", {"csrf": token, "also_delete": "yes"})
    assert done.headers["location"] == "/account?done=revoked-deletion"
    [event] = _deletions(database_url)
    assert event.project_id == pid
    # An app without an endpoint: access is still removed, and the user is told how else to ask.
    quiet_done = post(browser, f"/account/apps/{quiet}/revoke", {"csrf": token, "also_delete": "yes"})
    assert quiet_done.headers["location"] == "/account?done=revoked-no-deletion"
    html = browser.get(ISSUER + quiet_done.headers["location"]).text
    assert "registered no way to receive deletion requests" in text_of(html)
    assert f'action="/account/apps/{quiet}/revoke"' not in html
