"""Security events in Chromium: the developer sets the endpoint and watches a test event arrive,
and a reviewer reads the overdue deletion requests (DATA-2, DATA-4).

A real uvicorn server whose mail thread pushes events every second to a receiver on loopback
(CONSENTRY_FETCH_ALLOW_PRIVATE, as on a test server). Screenshots of each page at 1280 and 390 px
go to ``$CONSENTRY_SCREENSHOTS`` when set, else the test's temporary directory. Any console error
(a CSP violation among them), script error or unexpected failed load fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select, update

from consentry.domain.events import deletion
from consentry.domain.events.emit import emit
from consentry.settings import Settings
from consentry.storage.tables import ConsentGrant, Project, SecurityEvent, User
from consentry.storage.tables.base import now
from tests.browser.console_helpers import PageErrors, project_url, screenshot_dir, sign_in_to_console
from tests.browser.helpers import path_of, sign_in
from tests.browser.screenshots import DESKTOP, shoot_console
from tests.integration.events.receiver import Receiver, set_receiver, verify
from tests.support.databases import SECRET
from tests.support.live import LiveServer, free_port, start_server
from tests.support.seed import Seeder

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

OWNER = "dev@mailsorter.example.com"
BOB = "bob@example.org"
REVIEWER = "rita@review.example.org"
PROJECT = "Mail Sorter"


@pytest.fixture
def pushing_server(database_url: str) -> Iterator[tuple[LiveServer, Seeder]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "CONSENTRY_SECRET_KEY": SECRET,
        "CONSENTRY_MAIL_INTERVAL": "1",
        "CONSENTRY_FETCH_ALLOW_PRIVATE": "true",
    }
    seeder = Seeder(Settings(database_url=database_url, issuer=url, secret_key=SECRET, environment="test"))
    server = start_server(database_url, port=port, env=env)
    yield server, seeder
    server.stop()
    seeder.close()


def world(seeder: Seeder) -> dict[str, Any]:
    seeder.user(OWNER)
    client = seeder.client("web", owner=OWNER, project=PROJECT)
    seeder.user(BOB)
    with seeder.db.unit_of_work() as s:
        bob = s.scalar(select(User).where(User.email == BOB))
        project = s.scalar(select(Project).where(Project.name == PROJECT))
        assert bob is not None and project is not None
        s.add(ConsentGrant(user_id=bob.id, client_pk=client.pk, scopes=["openid", "email"]))
        return {"bob": bob.id, "project": project.id, "client_id": client.client_id}


def wait_for(page: Page, url: str, selector: str, tries: int = 30) -> None:
    """Reload until ``selector`` is on the page (the server pushes once a second)."""
    for _ in range(tries):
        page.goto(url)
        if page.locator(selector).count():
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"{selector} never appeared on {url}")


def test_developer_sets_the_endpoint_and_sees_deliveries(pushing_server, page, tmp_path) -> None:  # DATA-4
    server, seeder = pushing_server
    ids = world(seeder)
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)
    page.set_viewport_size(DESKTOP)
    events_url = project_url(server.url, PROJECT, "events")

    sign_in_to_console(page, server.url, OWNER)
    page.goto(events_url)
    assert page.locator("nav.tabs a[aria-current=page]").inner_text() == "Events"
    assert page.locator("#events-endpoint .badge").inner_text() == "Not set"
    shoot_console(page, shots, "console-events-empty", "1100px")

    form = page.locator("#endpoint-form")
    form.get_by_label("Endpoint URL").fill("http://user:secret@example.com/events")
    with page.expect_navigation():
        form.get_by_role("button", name="Save endpoint").click()
    assert page.locator(".alert.error").get_attribute("data-code") == "invalid_endpoint"
    assert "user name or password" in page.locator(".alert.error").inner_text()
    shoot_console(page, shots, "console-events-refused", "1100px")

    receiver: Receiver
    with set_receiver() as receiver:
        form.get_by_label("Endpoint URL").fill(receiver.url)
        with page.expect_navigation():
            form.get_by_role("button", name="Save endpoint").click()
        assert "Events endpoint saved." in page.locator(".alert.ok").inner_text()
        with page.expect_navigation():
            page.get_by_role("button", name="Send a test event").click()
        with seeder.db.unit_of_work() as s:  # an account change while the endpoint is up
            emit(s, event="account-disabled", user_id=ids["bob"], issuer=server.url)
        wait_for(page, events_url, "#event-list tr[data-status=delivered][data-event=account-disabled]")
        wait_for(page, events_url, "#event-list tr[data-status=delivered][data-event=verification]")
    jwks = page.request.get(server.url + "/jwks").json()
    claims = [verify(p.body, jwks)[1] for p in receiver.pushes]
    assert {next(iter(c["events"])).rsplit("/", 1)[-1] for c in claims} == {
        "verification",
        "account-disabled",
    }
    assert all(c["aud"] == ids["client_id"] for c in claims)

    # One the app refused, one still being retried: how the table shows trouble.
    with seeder.db.unit_of_work() as s:
        emit(s, event="tokens-revoked", user_id=ids["bob"], issuer=server.url)
        emit(s, event="sessions-revoked", user_id=ids["bob"], issuer=server.url)
        s.flush()
        newest = list(s.scalars(select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(2)))
        s.execute(
            update(SecurityEvent)
            .where(SecurityEvent.id == newest[1].id)
            .values(
                status="failed", attempts=1, last_error="rejected by the app: invalid_audience: unknown aud"
            )
        )
        s.execute(
            update(SecurityEvent)
            .where(SecurityEvent.id == newest[0].id)
            .values(attempts=3, next_attempt_at=now() + 3600, last_error="HTTP 503")
        )
    page.goto(events_url)
    assert page.locator("#event-list tbody tr").count() == 4
    assert page.locator("#event-list tr[data-status=failed]").count() == 1
    assert "Retrying" in page.locator("#event-list tbody tr").first.inner_text()
    shoot_console(page, shots, "console-events", "1100px")
    assert errors.unexpected() == []


def test_reviewer_reads_overdue_deletion_requests(pushing_server, page, tmp_path) -> None:  # DATA-2
    server, seeder = pushing_server
    ids = world(seeder)
    seeder.user(REVIEWER, role="reviewer")
    seeder.user("ann@example.org")
    shots = screenshot_dir(tmp_path)
    errors = PageErrors().watch(page)
    with seeder.db.unit_of_work() as s:
        s.execute(
            update(Project)
            .where(Project.id == ids["project"])
            .values(
                events_endpoint="https://mailsorter.example.com/security-events",
                support_email="help@mailsorter.example.com",
            )
        )
        s.flush()
        ann = s.scalar(select(User).where(User.email == "ann@example.org"))
        assert ann is not None
        for user_id, days, attempts, error in (
            (ids["bob"], 41, 57, "could not connect to 203.0.113.7: [Errno 111] Connection refused"),
            (ann.id, 33, 52, "HTTP 503"),
        ):
            event = deletion.request_deletion(
                s, user_id=user_id, project_id=ids["project"], issuer=server.url
            )
            s.flush()
            s.execute(
                update(SecurityEvent)
                .where(SecurityEvent.id == event.id)
                .values(
                    created_at=now() - days * 86_400,
                    attempts=attempts,
                    last_error=error,
                    next_attempt_at=now() + 3600,
                )
            )
    page.set_viewport_size(DESKTOP)
    page.goto(server.url + "/review/deletions/overdue")
    sign_in(page, REVIEWER)
    assert path_of(page.url) == "/review/deletions/overdue"
    rows = page.locator("#overdue-deletions tbody tr")
    assert rows.count() == 2
    assert "41 days" in rows.nth(0).inner_text() and BOB in rows.nth(0).inner_text()
    shoot_console(page, shots, "review-deletions", "1240px")
    assert errors.unexpected() == []
