"""Who is told of what: the RISC rule for emitting, and deletion requests tracked to completion.

# DATA-4: events go only to projects whose clients the user granted ``profile`` or ``email``, and
only to projects with an endpoint. # DATA-2: a deletion request is refused without an endpoint,
queued once while it waits, delivered like any SET, and overdue when unacknowledged too long.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from consentry.domain.events import deletion
from consentry.domain.events.emit import emit, listening_projects
from consentry.errors import Conflict, InvalidInput, NotFound
from consentry.storage.tables import AuditEvent, SecurityEvent
from consentry.storage.tables.base import now
from tests.conftest import ISSUER
from tests.integration.events.helpers import BOB, World, deliver, events, grant, set_endpoint_row
from tests.integration.events.receiver import set_receiver, verify

DELETION = f"{ISSUER}/secevent/event-type/data-deletion-requested"
DAY = 86_400


def test_only_identity_grants_on_projects_with_an_endpoint_are_told(world: World) -> None:  # DATA-4
    seed = world.seed
    profile = seed.client("web", owner="a@example.com", project="Profile App")
    email_no_endpoint = seed.client("web", owner="b@example.com", project="Quiet App")
    openid_only = seed.client("web", owner="c@example.com", project="Openid App")
    seed.user("carol@example.org")
    grant(seed, BOB, profile.pk, ["openid", "profile"])
    grant(seed, BOB, email_no_endpoint.pk, ["email"])
    grant(seed, BOB, openid_only.pk, ["openid", f"{ISSUER}/auth/mail.readonly"])
    grant(seed, "carol@example.org", profile.pk, ["email"])  # someone else's grant
    ids = _project_ids(world, "Mail Sorter", "Profile App", "Quiet App", "Openid App")
    for name in ("Mail Sorter", "Profile App", "Openid App"):
        set_endpoint_row(seed.db, ids[name], f"https://{name.split()[0].lower()}.example.com/events")

    with seed.db.unit_of_work() as s:
        assert [p.name for p in listening_projects(s, world.bob_id)] == ["Mail Sorter", "Profile App"]
        rows = emit(s, event="account-purged", user_id=world.bob_id, issuer=ISSUER)
        assert len(rows) == 2
    stored = events(seed.db)
    assert sorted(r["project_id"] for r in stored) == sorted([ids["Mail Sorter"], ids["Profile App"]])
    assert {r["event_type"] for r in stored} == {
        "https://schemas.openid.net/secevent/risc/event-type/account-purged"
    }
    profile_row = next(r for r in stored if r["project_id"] == ids["Profile App"])
    assert profile_row["claims"]["aud"] == profile.client_id and profile_row["claims"]["sub"] == world.bob_sub


def test_a_named_project_is_told_if_it_has_an_endpoint(world: World) -> None:  # DATA-4
    seed = world.seed
    with seed.db.unit_of_work() as s:
        assert (
            emit(s, event="tokens-revoked", user_id=world.bob_id, project_id=world.project_id, issuer=ISSUER)
            == []
        )
    set_endpoint_row(seed.db, world.project_id, "https://app.example.com/events")
    with seed.db.unit_of_work() as s:
        [row] = emit(
            s, event="tokens-revoked", user_id=world.bob_id, project_id=world.project_id, issuer=ISSUER
        )
        assert row.status == "pending" and row.user_id == world.bob_id


def test_unknown_events_users_and_projects_are_refused(world: World) -> None:
    with world.seed.db.unit_of_work() as s:
        with pytest.raises(InvalidInput) as bad:
            emit(s, event="account-stolen", user_id=world.bob_id, issuer=ISSUER)
        assert bad.value.code == "invalid_event" and "account-disabled" in bad.value.message
        with pytest.raises(NotFound):
            emit(s, event="account-disabled", user_id=999_999, issuer=ISSUER)
        with pytest.raises(NotFound):
            emit(s, event="account-disabled", user_id=world.bob_id, project_id=999_999, issuer=ISSUER)


def test_a_deletion_request_needs_an_endpoint(world: World) -> None:  # DATA-2
    with world.seed.db.unit_of_work() as s, pytest.raises(Conflict) as refused:
        deletion.request_deletion(s, user_id=world.bob_id, project_id=world.project_id, issuer=ISSUER)
    assert refused.value.code == "no_events_endpoint"
    assert refused.value.message.startswith("Mail Sorter has not set up an endpoint for deletion requests")
    assert events(world.seed.db) == []


def test_a_deletion_request_is_delivered_and_tracked_to_completion(world: World, app: Any) -> None:
    # DATA-2: queued once, pushed as a SET of Consentry's type, "delivered" once the app says 202
    seed = world.seed
    with set_receiver() as receiver:
        set_endpoint_row(seed.db, world.project_id, receiver.url)
        with seed.db.unit_of_work() as s:
            first = deletion.request_deletion(
                s, user_id=world.bob_id, project_id=world.project_id, issuer=ISSUER
            )
            s.flush()
            again = deletion.request_deletion(
                s, user_id=world.bob_id, project_id=world.project_id, issuer=ISSUER
            )
            assert again.id == first.id  # still waiting: the same request, not a second one
        with seed.db.unit_of_work() as s:
            [status] = deletion.for_user(s, world.bob_id)
            assert (status.project, status.status, status.delivered_at, status.overdue) == (
                "Mail Sorter",
                "pending",
                None,
                False,
            )
        assert deliver(app).delivered == 1
    _header, claims = verify(receiver.pushes[0].body, app.state.runtime.ctx.keys.jwks())
    assert list(claims["events"]) == [DELETION]
    assert claims["events"][DELETION]["subject"]["sub"] == world.bob_sub
    with seed.db.unit_of_work() as s:
        [status] = deletion.for_user(s, world.bob_id)
        assert status.status == "delivered" and status.delivered_at is not None and not status.overdue
        tags = s.scalars(select(AuditEvent).where(AuditEvent.tag == "user:deletion:request")).all()
        assert [(a.actor, a.data["project"], a.data["sub"]) for a in tags] == [
            (BOB, "Mail Sorter", world.bob_sub)
        ]


def test_an_unacknowledged_request_becomes_overdue_for_reviewers(world: World) -> None:  # DATA-2
    seed = world.seed
    set_endpoint_row(seed.db, world.project_id, "https://app.example.com/events")
    with seed.db.unit_of_work() as s:
        deletion.request_deletion(s, user_id=world.bob_id, project_id=world.project_id, issuer=ISSUER)
    with seed.db.unit_of_work() as s:
        assert deletion.overdue(s, 30) == [] and deletion.waiting(s) == 1
        s.execute(
            update(SecurityEvent).values(created_at=now() - 31 * DAY, attempts=40, last_error="HTTP 503")
        )
    with seed.db.unit_of_work() as s:
        [late] = deletion.overdue(s, 30)
        assert (late.project, late.user_email, late.sub, late.age_days, late.status) == (
            "Mail Sorter",
            BOB,
            world.bob_sub,
            31,
            "pending",
        )
        assert late.attempts == 40 and late.last_error == "HTTP 503"
        assert late.endpoint == "https://app.example.com/events"
        assert deletion.overdue(s, 32) == []  # the threshold is the setting's
        [status] = deletion.for_user(s, world.bob_id, days=30)
        assert status.overdue is True
        s.execute(update(SecurityEvent).values(status="delivered", delivered_at=now()))
    with seed.db.unit_of_work() as s:
        assert deletion.overdue(s, 30) == [] and deletion.waiting(s) == 0
        assert deletion.for_user(s, world.bob_id)[0].overdue is False


def _project_ids(world: World, *names: str) -> dict[str, int]:
    from consentry.storage.tables import Project

    with world.seed.db.unit_of_work() as s:
        return {p.name: p.id for p in s.scalars(select(Project).where(Project.name.in_(names)))}
