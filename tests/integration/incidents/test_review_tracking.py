"""The platform tracks reported incidents (SEC-6): the reviewers' queue and the moves, on both engines.

# SEC-6: reported -> acknowledged -> resolved (or closed without finding), each move one conditional
UPDATE, audited, with the platform's notes mailed to the project and shown on its incident page.
Two reviewers acting at once: one wins, the other gets 409 and changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from consentry.domain.actor import Actor
from consentry.domain.audit.tags import Channel
from consentry.domain.incidents.listing import CLOSED_SHOWN
from consentry.domain.incidents.service import Incidents
from consentry.domain.projects.service import Projects
from consentry.domain.scopes.catalogue import Catalogue
from consentry.errors import Conflict
from consentry.storage.repositories.console import SqlConsole
from consentry.storage.repositories.incidents import SqlIncidents
from consentry.storage.tables import SecurityIncident
from consentry.storage.tables.base import now
from tests.conftest import ISSUER
from tests.integration.events.test_console_and_api import signed_in
from tests.integration.incidents.world import (
    CONTACT,
    GOOD,
    HTML,
    MEMBER_REVIEWER,
    OWNER,
    PAGE,
    REVIEWER,
    World,
    audit,
    error_of,
    incidents,
    mails,
    notes,
)

QUEUE = "/review/incidents/queue"


def _reviewer_service(session: Any, email: str, user_id: int) -> Incidents:
    """The service as a reviewer in ``session``: two of them act at once in the race tests."""
    actor = Actor(email=email, user_id=user_id, platform_role="reviewer", channel=Channel.WEB)
    projects = Projects(SqlConsole(session, ISSUER), actor, Catalogue(ISSUER))
    return Incidents(projects, SqlIncidents(session, ISSUER), security_contact=CONTACT, issuer=ISSUER)


def _report(app: Any, **change: str) -> int:
    http, csrf = signed_in(app, OWNER)
    with http:
        r = http.post(PAGE, data={"csrf": csrf, **GOOD, **change}, follow_redirects=False)
        assert r.status_code == 303, r.text[:500]
    return int(r.headers["location"].split("/")[-1].split("?")[0])


def test_a_reviewer_acknowledges_notes_and_resolves(world: World, app: Any) -> None:  # SEC-6
    db = world.seed.db
    first = _report(app)
    second = _report(app, summary="Odd sign-ins from one address", certainty="suspected", statement="none")
    with db.unit_of_work() as s:  # the first report has waited 30 hours: overdue
        s.execute(
            update(SecurityIncident).where(SecurityIncident.id == first).values(reported_at=now() - 30 * 3600)
        )

    http, csrf = signed_in(app, REVIEWER)
    with http:
        queue = http.get(QUEUE)
        assert queue.status_code == 200
        rows = queue.text.index(f'data-incident="{first}"'), queue.text.index(f'data-incident="{second}"')
        assert rows[0] < rows[1]  # the one waiting longest on top
        assert (
            f'data-incident="{first}" data-project="Mail Sorter" data-state="reported" class="old"'
            in queue.text
        )
        assert "30 h" in queue.text and "not acknowledged" in queue.text
        assert 'aria-current="true" data-filter="state:open">Open <span class="n">2</span>' in queue.text
        assert http.get("/review", headers=HTML).text.count('href="/review/incidents/queue"') == 1

        base = f"/review/incidents/{first}"
        page = http.get(base)
        assert page.status_code == 200 and 'id="acknowledge-form"' in page.text
        assert GOOD["containment"] in page.text and "dev@mailsorter.example.com" in page.text

        assert (
            http.post(base + "/acknowledge", data={"note": "x"}, headers=HTML).status_code == 403
        )  # no CSRF
        r = http.post(
            base + "/acknowledge",
            data={"csrf": csrf, "note": "On it; keep the logs."},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == base + "?done=acknowledged"
        again = http.post(base + "/acknowledge", data={"csrf": csrf, "note": ""}, headers=HTML)
        assert again.status_code == 409
        assert error_of(again) == ("wrong_state", "Cannot acknowledge an incident that is acknowledged")

        empty = http.post(base + "/note", data={"csrf": csrf, "note": " "}, headers=HTML)
        assert empty.status_code == 400 and error_of(empty) == ("invalid_note", "Fill in the note.")
        assert (
            http.post(
                base + "/note", data={"csrf": csrf, "note": "Which bucket?"}, follow_redirects=False
            ).status_code
            == 303
        )

        no_note = http.post(
            base + "/resolve", data={"csrf": csrf, "note": "", "outcome": "resolved"}, headers=HTML
        )
        assert no_note.status_code == 400 and error_of(no_note)[0] == "invalid_note"
        r = http.post(
            base + "/resolve",
            data={"csrf": csrf, "note": "Contained; users told.", "outcome": "resolved"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == base + "?done=resolved"
        closed = http.get(r.headers["location"])
        assert 'id="closed"' in closed.text and 'id="resolve-form"' not in closed.text
        twice = http.post(
            base + "/resolve", data={"csrf": csrf, "note": "again", "outcome": "no_finding"}, headers=HTML
        )
        assert twice.status_code == 409 and error_of(twice)[0] == "wrong_state"

        r = http.post(
            f"/review/incidents/{second}/resolve",
            data={"csrf": csrf, "note": "Our own load test.", "outcome": "no_finding"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"].endswith("?done=closed")
        closed_queue = http.get(QUEUE + "?state=closed")
        assert (
            'data-state="resolved"' in closed_queue.text
            and 'data-state="closed_no_finding"' in closed_queue.text
        )
        assert 'id="no-incidents"' in http.get(QUEUE).text

    [one, two] = incidents(db)
    assert (one.state, one.acknowledged_by, one.closed_by) == ("resolved", REVIEWER, REVIEWER)
    assert (
        one.acknowledged_at is not None and one.closed_at is not None and one.closed_at >= one.acknowledged_at
    )
    assert (two.state, two.acknowledged_by) == ("closed_no_finding", REVIEWER)  # closing acknowledges too
    assert notes(db, first) == [
        ("platform", REVIEWER, "acknowledged", "On it; keep the logs."),
        ("platform", REVIEWER, "", "Which bucket?"),
        ("platform", REVIEWER, "resolved", "Contained; users told."),
    ]
    tags = [(t, a, d["incident"], d["channel"]) for t, a, d in audit(db, "review:")]
    assert tags == [
        ("review:incident:acknowledge", REVIEWER, first, "web"),
        ("review:incident:note", REVIEWER, first, "web"),
        ("review:incident:resolve", REVIEWER, first, "web"),
        ("review:incident:close", REVIEWER, second, "web"),
    ]
    to_project = [(subject, body) for to, subject, body, _ in mails(db) if OWNER in to]
    subjects = [s for s, _ in to_project]
    assert subjects[-4:] == [
        f"[Consentry] Mail Sorter App: security incident #{first} acknowledged",
        f"[Consentry] Mail Sorter App: a note on security incident #{first}",
        f"[Consentry] Mail Sorter App: security incident #{first} resolved",
        f"[Consentry] Mail Sorter App: security incident #{second} closed",
    ]
    assert "On it; keep the logs." in to_project[-4][1] and "Before any public statement" in to_project[-4][1]
    assert all(CONTACT not in to for to, *_ in mails(db)[4:])  # the platform's moves go to the project

    # The developer sees the state and the platform's notes; an update is refused once closed.
    dev, dcsrf = signed_in(app, OWNER)
    with dev:
        page = dev.get(f"{PAGE}/{first}")
        assert 'data-state="resolved"' in page.text and "Which bucket?" in page.text
        assert page.text.count('data-side="platform"') == 3 and 'id="update-form"' not in page.text
        late = dev.post(f"{PAGE}/{first}/update", data={"csrf": dcsrf, "update": "more"}, headers=HTML)
        assert late.status_code == 409 and "report anything new as a new incident" in error_of(late)[1]
        assert dev.get(QUEUE, headers=HTML).status_code == 403  # developers have no reviewer pages


def test_reviewers_do_not_handle_their_own_projects_incidents(world: World, app: Any) -> None:  # SEC-6
    db = world.seed.db
    incident = _report(app)
    http, csrf = signed_in(app, MEMBER_REVIEWER)
    with http:
        assert http.get(f"/review/incidents/{incident}").status_code == 200  # reading is fine
        r = http.post(
            f"/review/incidents/{incident}/acknowledge", data={"csrf": csrf, "note": ""}, headers=HTML
        )
        assert r.status_code == 403 and error_of(r)[0] == "conflict_of_interest"
    assert incidents(db)[0].state == "reported" and audit(db, "review:") == []


def test_two_reviewers_acting_at_once_one_wins(world: World, app: Any, database_url: str) -> None:  # SEC-6
    """The move is one conditional UPDATE: a reviewer whose page is stale gets 409, nothing else."""
    db = world.seed.db
    incident = _report(app)

    with db.unit_of_work() as slow:
        late = _reviewer_service(slow, "late@platform.example.org", 10_001)
        stale = late.view(incident)  # the page the late reviewer is looking at, read before ...
        assert stale.incident.state == "reported"
        with db.unit_of_work() as quick:  # ... the quick reviewer acknowledges and commits
            _reviewer_service(quick, REVIEWER, 10_000).acknowledge(incident, "mine")
        with pytest.raises(Conflict) as refused:
            late.acknowledge(incident, "me too")
        assert refused.value.code == "wrong_state"
        assert refused.value.message == "the incident changed meanwhile: reload the page and try again"
        slow.rollback()
    [row] = incidents(db)
    assert (row.state, row.acknowledged_by) == ("acknowledged", REVIEWER)


def test_a_close_from_a_stale_read_keeps_the_first_acknowledgement(
    world: World, app: Any, database_url: str
) -> None:  # SEC-6
    """Reviewer B read the incident while it was still "reported"; A acknowledges and commits; B
    then resolves it. The close is allowed (acknowledged is open), but who acknowledged, and
    when, stay A's: the UPDATE fills them only where still empty."""
    db = world.seed.db
    incident = _report(app)

    with db.unit_of_work() as slow:
        late = _reviewer_service(slow, "late@platform.example.org", 10_001)
        stale = late.view(incident)  # B's read, held (as a request holds it) while ...
        assert (stale.incident.state, stale.incident.acknowledged_at) == ("reported", None)
        with db.unit_of_work() as quick:  # ... A acknowledges and commits
            _reviewer_service(quick, REVIEWER, 10_000).acknowledge(incident, "mine")
        acked = incidents(db)[0].acknowledged_at
        closed = late.resolve(incident, "Contained.")
        assert (closed.incident.acknowledged_by, closed.incident.acknowledged_at) == (REVIEWER, acked)
    [row] = incidents(db)
    assert (row.state, row.closed_by) == ("resolved", "late@platform.example.org")
    assert (row.acknowledged_by, row.acknowledged_at) == (REVIEWER, acked)


def test_an_unknown_outcome_is_refused_not_read_as_resolved(world: World, app: Any) -> None:  # SEC-6
    db = world.seed.db
    incident = _report(app)
    http, csrf = signed_in(app, REVIEWER)
    with http:
        for outcome in ("maybe", ""):
            r = http.post(
                f"/review/incidents/{incident}/resolve",
                data={"csrf": csrf, "note": "Looked into it.", "outcome": outcome},
                headers=HTML,
            )
            assert r.status_code == 400
            assert error_of(r) == (
                "invalid_outcome",
                "Choose how the incident ended: resolved, or no finding.",
            )
            assert "Looked into it." in r.text  # the note is kept
    assert incidents(db)[0].state == "reported" and audit(db, "review:") == []


def test_the_queue_filters_in_the_database_and_lists_the_latest_closed(
    world: World, app: Any
) -> None:  # SEC-6
    """Every open incident, and of the closed ones only the CLOSED_SHOWN latest closes; the counts
    still cover all of them."""
    db = world.seed.db
    at = now()
    with db.unit_of_work() as s:
        for n in range(CLOSED_SHOWN + 2):
            s.add(_closed_row(world.project_id, n, at))
        s.add(_closed_row(world.project_id, -1, at, state="reported"))
    http, _csrf = signed_in(app, REVIEWER)
    with http:
        closed = http.get("/api/v1/review/incidents?state=closed").json()
        shown = [i["summary"] for i in closed["incidents"]]
        assert len(shown) == CLOSED_SHOWN and shown[0] == f"closed {CLOSED_SHOWN + 1}"  # latest first
        assert "closed 0" not in shown and "closed 1" not in shown
        assert closed["counts"] == {
            "open": 1,
            "reported": 1,
            "acknowledged": 0,
            "closed": CLOSED_SHOWN + 2,
            "all": CLOSED_SHOWN + 3,
        }
        both = http.get("/api/v1/review/incidents?state=all").json()["incidents"]
        assert len(both) == CLOSED_SHOWN + 1 and both[0]["state"] == "reported"  # open ones first
        page = http.get(QUEUE + "?state=closed")
        assert f"Showing the {CLOSED_SHOWN} latest closed incidents of {CLOSED_SHOWN + 2}" in page.text
        assert page.text.count("data-incident=") == CLOSED_SHOWN


def _closed_row(project_id: int, n: int, at: int, state: str = "resolved") -> SecurityIncident:
    return SecurityIncident(
        project_id=project_id,
        state=state,
        summary=f"closed {n}" if state != "reported" else "still open",
        details="d",
        certainty="suspected",
        detected_at=at - 10_000,
        affected="a",
        affected_users=None,
        containment="",
        statement="none",
        statement_at=None,
        reported_by=OWNER,
        reported_at=at - 5_000,
        security_contact=CONTACT,
        acknowledged_at=None,
        acknowledged_by="",
        closed_at=None if state == "reported" else at - 1_000 + n,
        closed_by="",
        updated_at=at,
    )
