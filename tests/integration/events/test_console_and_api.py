"""The developer sets the events endpoint in the console and over ``/api/v1`` (DATA-2, DATA-4).

Every refusal says what is wrong and changes nothing; writes need the edit permission and the
CSRF check; the page lists the recent deliveries with their status.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import httpx
from sqlalchemy import select
from starlette.testclient import TestClient

from consentry.domain.permissions import ProjectRole
from consentry.storage.tables import AuditEvent, Project, ProjectMember, User
from tests.conftest import ISSUER
from tests.integration.events.helpers import OWNER, PROJECT, World, deliver, events
from tests.integration.events.receiver import set_receiver
from tests.support.browserless import CSRF_RE, Browser
from tests.support.flows import PASSWORD

PAGE = "/console/projects/Mail%20Sorter/events"
API = "/api/v1/projects/Mail%20Sorter/events-endpoint"
ERROR_RE = re.compile(r'<div class="alert error" role="alert" data-code="([^"]+)"><p>(.*?)</p>', re.S)
HTML = {"accept": "text/html"}


def signed_in(app: Any, email: str) -> tuple[TestClient, str]:
    http = TestClient(app, base_url=ISSUER)
    browser = Browser(http, ISSUER)
    landing = browser.sign_in(browser.follow(browser.get("/console")), email, PASSWORD)
    assert landing.status_code == 200, landing.text[:500]
    match = CSRF_RE.search(landing.text)
    assert match
    return http, match.group(1)


def endpoint_of(world: World) -> str:
    with world.seed.db.unit_of_work() as s:
        project = s.scalar(select(Project).where(Project.name == PROJECT))
        assert project is not None
        return project.events_endpoint


def error_of(r: httpx.Response) -> tuple[str, str]:
    match = ERROR_RE.search(r.text)
    assert match, r.text[:2000]
    return match.group(1), unescape(match.group(2))


def add_viewer(world: World, email: str) -> None:
    world.seed.user(email, password=PASSWORD)
    with world.seed.db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        s.add(ProjectMember(project_id=world.project_id, user_id=user.id, role=ProjectRole.VIEWER.value))


def test_console_sets_the_endpoint_and_refuses_unsafe_ones(world: World, app: Any) -> None:  # DATA-4
    world.seed.user(OWNER + ".x")  # unrelated account: nothing to do with the project
    _owner_password(world)
    http, csrf = signed_in(app, OWNER)
    with http:
        page = http.get(PAGE)
        assert page.status_code == 200
        assert 'id="events-endpoint" data-endpoint=""' in page.text and "Not set" in page.text
        assert 'aria-current="page">Events</a>' in page.text

        for bad, words in (
            ("ftp://app.example.com/x", "must be an https:// URL"),
            ("https://app.example.com/x#frag", "#fragment"),
        ):
            r = http.post(PAGE, data={"csrf": csrf, "events_endpoint": bad}, headers=HTML)
            assert r.status_code == 400
            code, message = error_of(r)
            assert code == "invalid_endpoint" and words in message
            assert f'value="{bad}"' in r.text  # the input is kept
            assert endpoint_of(world) == ""

        r = http.post(PAGE, data={"events_endpoint": "https://app.example.com/e"}, follow_redirects=False)
        assert r.status_code == 403 and endpoint_of(world) == ""  # no CSRF field

        with set_receiver() as receiver:
            r = http.post(PAGE, data={"csrf": csrf, "events_endpoint": receiver.url}, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == PAGE + "?saved=endpoint"
            assert endpoint_of(world) == receiver.url
            shown = http.get(r.headers["location"])
            assert "Events endpoint saved." in shown.text and "Send a test event" in shown.text

            r = http.post(PAGE + "/verify", data={"csrf": csrf}, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == PAGE + "?saved=verify"
            [queued] = events(world.seed.db)
            assert queued["event_type"] == "https://schemas.openid.net/secevent/risc/event-type/verification"
            assert queued["user_id"] is None and "state" in next(iter(queued["claims"]["events"].values()))
            deliver(app)
        listed = http.get(PAGE).text
        assert f'data-jti="{queued["jti"]}" data-status="delivered" data-event="verification"' in listed

        r = http.post(PAGE, data={"csrf": csrf, "events_endpoint": ""}, follow_redirects=False)
        assert r.headers["location"] == PAGE + "?saved=cleared" and endpoint_of(world) == ""
        r = http.post(PAGE + "/verify", data={"csrf": csrf}, headers=HTML)
        assert r.status_code == 409 and error_of(r) == ("no_events_endpoint", "Set the events endpoint first")
    with world.seed.db.unit_of_work() as s:
        changes = s.scalars(
            select(AuditEvent).where(AuditEvent.tag == "project:events_endpoint:change")
        ).all()
        assert [(a.actor, a.data["endpoint"]) for a in changes] == [(OWNER, receiver.url), (OWNER, "")]


def test_a_viewer_sees_the_page_but_cannot_change_the_endpoint(world: World, app: Any) -> None:  # DATA-4
    add_viewer(world, "viewer@example.com")
    http, csrf = signed_in(app, "viewer@example.com")
    with http:
        page = http.get(PAGE)
        assert page.status_code == 200 and "<fieldset disabled>" in page.text
        assert "Owners and editors set the endpoint." in page.text
        r = http.post(PAGE, data={"csrf": csrf, "events_endpoint": "https://app.example.com/e"}, headers=HTML)
        assert r.status_code == 403 and endpoint_of(world) == ""
        r = http.post(PAGE + "/verify", data={"csrf": csrf}, headers=HTML)
        assert r.status_code == 403


def test_api_reads_and_sets_the_endpoint(world: World, app: Any) -> None:  # DATA-4
    _owner_password(world)
    http, _csrf = signed_in(app, OWNER)
    with http:
        token = http.get("/api/v1/session").json()["csrf_token"]
        r = http.get(API)
        assert r.status_code == 200
        assert r.json() == {
            "events_endpoint": "",
            "delivery_method": "urn:ietf:rfc:8935",
            "counts": {"pending": 0, "delivered": 0, "failed": 0},
        }
        r = http.put(API, json={"events_endpoint": "https://app.example.com/events"})
        assert r.status_code == 403 and r.json()["error"] == "csrf"
        r = http.put(
            API,
            json={"events_endpoint": "https://user:pw@app.example.com/e"},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 400
        assert r.json() == {
            "error": "invalid_endpoint",
            "error_description": "the events endpoint cannot carry a user name or password",
        }
        r = http.put(API, json={"endpoint": "https://app.example.com/e"}, headers={"X-CSRF-Token": token})
        assert r.status_code == 400 and r.json()["error"] == "invalid_request"  # misspelt field
        assert endpoint_of(world) == ""

        r = http.put(
            API, json={"events_endpoint": "https://app.example.com/events"}, headers={"X-CSRF-Token": token}
        )
        assert r.status_code == 200 and r.json()["events_endpoint"] == "https://app.example.com/events"
        assert endpoint_of(world) == "https://app.example.com/events"

        r = http.post(
            API.replace("events-endpoint", "events/verify"),
            json={"state": "t-1"},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 202
        verification = r.json()
        assert verification["event"] == "verification" and verification["status"] == "pending"
        assert verification["sub"] is None
        listed = http.get(API.replace("events-endpoint", "events")).json()
        assert listed["counts"] == {"pending": 1, "delivered": 0, "failed": 0}
        assert [e["jti"] for e in listed["events"]] == [verification["jti"]]
        assert http.get(API.replace("events-endpoint", "events") + "?status=bogus").status_code == 400

        assert http.get("/api/v1/projects/Nope/events-endpoint").status_code == 404
    with TestClient(app, base_url=ISSUER) as anonymous:
        r = anonymous.get(API)
        assert r.status_code == 401 and r.json()["error"] == "unauthenticated"


def _owner_password(world: World) -> None:
    """The seeder creates the owner with its own password; sign-in here uses PASSWORD."""
    from consentry.domain.accounts.passwords import hash_password

    with world.seed.db.unit_of_work() as s:
        owner = s.scalar(select(User).where(User.email == OWNER))
        assert owner is not None
        owner.password_hash = hash_password(PASSWORD)
