"""Security Event Tokens pushed to a real receiver on a socket (RFC 8935), on SQLite and PostgreSQL.

# DATA-4: the app's endpoint receives a SET signed with the key the server publishes at /jwks,
verified here with joserfc exactly as an app would; it is retried with backoff until the app
answers 202, given up on at once when the app refuses it with 400, and each outcome is recorded.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from starlette.testclient import TestClient

from consentry.domain.events.deliver import MAX_ATTEMPTS
from consentry.domain.events.emit import emit
from consentry.storage.tables import AuditEvent, SecurityEvent
from consentry.storage.tables.base import now
from tests.conftest import ISSUER
from tests.integration.events.helpers import World, deliver, events, set_endpoint_row
from tests.integration.events.receiver import set_receiver, verify

DISABLED = "https://schemas.openid.net/secevent/risc/event-type/account-disabled"


def queue_disabled(world: World) -> None:
    with world.seed.db.unit_of_work() as s:
        rows = emit(s, event="account-disabled", user_id=world.bob_id, issuer=ISSUER)
        assert len(rows) == 1


def test_the_app_receives_a_signed_set_it_can_verify(world: World, app: Any, client: TestClient) -> None:
    # DATA-4: pushed as application/secevent+jwt, verified against /jwks, acknowledged with 202
    with set_receiver() as receiver:
        set_endpoint_row(world.seed.db, world.project_id, receiver.url)
        queue_disabled(world)
        report = deliver(app)
    assert (report.claimed, report.delivered, report.failed, report.remaining) == (1, 1, 0, 0)
    assert len(receiver.pushes) == 1
    push = receiver.pushes[0]
    assert push.path == "/security-events"
    assert push.headers["content-type"] == "application/secevent+jwt"
    assert push.headers["accept"] == "application/json"
    header, claims = verify(push.body, client.get("/jwks").json())
    assert header["typ"] == "secevent+jwt" and header["alg"] == "RS256"
    assert header["kid"] in {k["kid"] for k in client.get("/jwks").json()["keys"]}
    [row] = events(world.seed.db)
    assert claims == {
        "iss": ISSUER,
        "aud": world.client.client_id,
        "iat": row["created_at"],
        "jti": row["jti"],
        "sub": world.bob_sub,
        "sub_id": {"format": "iss_sub", "iss": ISSUER, "sub": world.bob_sub},
        "events": {DISABLED: {"subject": {"subject_type": "iss-sub", "iss": ISSUER, "sub": world.bob_sub}}},
    }
    assert row["status"] == "delivered" and row["attempts"] == 1 and row["last_error"] == ""
    assert row["delivered_at"] is not None and row["delivered_at"] >= row["created_at"]
    assert deliver(app).claimed == 0  # acknowledged: never pushed again


def test_an_error_answer_is_retried_with_backoff_until_acknowledged(world: World, app: Any) -> None:
    # DATA-4: 500, then 503, then 202: the same jti each time, on the backoff schedule
    with set_receiver((500, None), (503, None), (202, None)) as receiver:
        set_endpoint_row(world.seed.db, world.project_id, receiver.url)
        queue_disabled(world)
        t0 = now()
        first = deliver(app, now=t0)
        [row] = events(world.seed.db)
        assert (first.failed, first.remaining) == (1, 1)
        assert first.failures == [(row["jti"], "HTTP 500")]
        assert row["status"] == "pending" and row["attempts"] == 1 and row["last_error"] == "HTTP 500"
        assert row["next_attempt_at"] == t0 + 30

        assert deliver(app, now=t0 + 29).claimed == 0  # still waiting out the backoff
        second = deliver(app, now=t0 + 30)
        [row] = events(world.seed.db)
        assert second.failed == 1 and row["attempts"] == 2 and row["next_attempt_at"] == t0 + 30 + 60

        third = deliver(app, now=t0 + 90)
        [row] = events(world.seed.db)
    assert third.delivered == 1 and row["status"] == "delivered" and row["attempts"] == 3
    assert row["last_error"] == ""
    jtis = {verify(p.body, _jwks(app))[1]["jti"] for p in receiver.pushes}
    assert jtis == {row["jti"]} and len(receiver.pushes) == 3


def test_a_400_refusal_fails_the_event_for_good(world: World, app: Any) -> None:
    # DATA-4, RFC 8935 §2.3: {"err": ..., "description": ...} ends the event; the give-up is audited
    refusal = {"err": "invalid_audience", "description": "aud is not one of our client ids"}
    with set_receiver((400, refusal)) as receiver:
        set_endpoint_row(world.seed.db, world.project_id, receiver.url)
        queue_disabled(world)
        report = deliver(app)
        later = deliver(app, now=now() + 86_400)
    [row] = events(world.seed.db)
    assert (report.rejected, report.failed, later.claimed) == (1, 1, 0)
    assert row["status"] == "failed" and row["attempts"] == 1
    assert row["last_error"] == "rejected by the app: invalid_audience: aud is not one of our client ids"
    assert len(receiver.pushes) == 1
    with world.seed.db.unit_of_work() as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.tag == "security_event:give_up")).all()
        assert [(a.data["jti"], a.data["project"], a.data["event"]) for a in audit] == [
            (row["jti"], "Mail Sorter", "account-disabled")
        ]


def test_a_2xx_other_than_202_counts_as_delivered_with_a_note(world: World, app: Any) -> None:  # DATA-4
    with set_receiver((200, {"ok": True})) as receiver:
        set_endpoint_row(world.seed.db, world.project_id, receiver.url)
        queue_disabled(world)
        deliver(app)
    [row] = events(world.seed.db)
    assert row["status"] == "delivered"
    assert row["last_error"] == "acknowledged with HTTP 200 (RFC 8935 asks for 202)"


def test_an_endpoint_that_never_acknowledges_is_given_up_on(world: World, app: Any) -> None:
    # DATA-4: after MAX_ATTEMPTS the event is failed, "gave up", and stays in the table
    with set_receiver((503, None)) as receiver:
        set_endpoint_row(world.seed.db, world.project_id, receiver.url)
        queue_disabled(world)
        with world.seed.db.unit_of_work() as s:
            s.execute(update(SecurityEvent).values(attempts=MAX_ATTEMPTS - 1))
        report = deliver(app)
    [row] = events(world.seed.db)
    assert report.gave_up == 1 and row["status"] == "failed" and row["attempts"] == MAX_ATTEMPTS
    assert row["last_error"] == f"gave up after {MAX_ATTEMPTS} attempts: HTTP 503"


def test_a_dead_endpoint_waits_and_the_fixed_one_gets_the_event(world: World, app: Any) -> None:
    # DATA-4: nothing listening is a retry; the next attempt goes to the endpoint set meanwhile
    with set_receiver() as dead:
        dead_url = dead.url
    set_endpoint_row(world.seed.db, world.project_id, dead_url)
    queue_disabled(world)
    t0 = now()
    first = deliver(app, now=t0)
    [row] = events(world.seed.db)
    assert first.failed == 1 and row["status"] == "pending"
    assert row["last_error"].startswith("could not connect to 127.0.0.1"), row["last_error"]
    with set_receiver() as receiver:
        set_endpoint_row(world.seed.db, world.project_id, receiver.url)
        assert deliver(app, now=t0 + 30).delivered == 1
    assert len(receiver.pushes) == 1


def test_a_key_rotation_between_attempts_signs_with_a_published_key(
    world: World, app: Any, client: TestClient
) -> None:
    # DATA-4: the claims are kept, the signature is made at each attempt with the current key
    with set_receiver((500, None), (202, None)) as receiver:
        set_endpoint_row(world.seed.db, world.project_id, receiver.url)
        queue_disabled(world)
        t0 = now()
        deliver(app, now=t0)
        from consentry.domain.keys.envelope import Envelope
        from consentry.domain.keys.manager import rotate

        with world.seed.db.unit_of_work() as s:
            rotate(s, Envelope(app.state.settings.secret_key))
        app.state.runtime.ctx.keys.refresh()
        deliver(app, now=t0 + 30)
    jwks = client.get("/jwks").json()
    first, second = (verify(p.body, jwks)[1] for p in receiver.pushes)
    assert first == second  # same claims, same jti: the receiver can drop a duplicate


def test_concurrent_runs_never_push_one_event_twice(world: World, app: Any) -> None:
    # DATA-4: the guarded claim gives each due event to one run only
    import threading

    with set_receiver() as receiver:
        set_endpoint_row(world.seed.db, world.project_id, receiver.url)
        for _ in range(5):
            queue_disabled(world)
        reports = []
        threads = [threading.Thread(target=lambda: reports.append(deliver(app))) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(r.delivered for r in reports) == 5
    assert len(receiver.pushes) == 5
    assert len({verify(p.body, _jwks(app))[1]["jti"] for p in receiver.pushes}) == 5


def _jwks(app: Any) -> dict[str, Any]:
    return dict(app.state.runtime.ctx.keys.jwks())
