"""``consentry review``: the reviewers' queue and decisions from the shell (VERIFY-6, VERIFY-7, SEC-5).

The real ``consentry`` executable, on SQLite and PostgreSQL. The developer's side (brand, domain
proof, answers, submission) has no command, so ``submit_project`` drives the domain services on
the same database; everything the reviewer does then goes through the CLI, and what it changed
(the request, the project's approved scopes, the outbox, the audit log) is read back with SQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.test_cli import ISSUER, consentry, db_file, failed, ok, pg_url, query, sqlite_url
from tests.integration.review import submit_project

__all__ = ["db_file", "pg_url", "sqlite_url"]  # fixtures of test_cli, used through ``url``

MAIL = f"{ISSUER}/auth/mail.readonly"
SEND = f"{ISSUER}/auth/mail.send"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database migrated by ``consentry db upgrade``, on each engine."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
        return
    pg: str = request.getfixturevalue("pg_url")
    ok(pg, "db", "upgrade")
    yield pg


def _json(value: Any) -> Any:
    """JSON columns come back as text from SQLite and as objects from PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def state(url: str, project: str) -> tuple[str, list[str], list[str]]:
    """(request state, request's reasons, project's approved scopes) as stored."""
    row = query(
        url,
        "SELECT r.state, r.reasons, p.approved_scopes FROM verification_requests r "
        "JOIN projects p ON p.id = r.project_id WHERE p.name = :p ORDER BY r.id DESC",
        p=project,
    )[0]
    return row[0], _json(row[1]), _json(row[2])


def mails(url: str, reason: str) -> list[tuple[list[str], str]]:
    rows = query(url, "SELECT recipients, body FROM outbox_mail WHERE reason = :r ORDER BY id", r=reason)
    return [(_json(r[0]), r[1]) for r in rows]


def test_a_reviewer_works_the_queue_from_the_shell(url: str) -> None:  # VERIFY-6 VERIFY-7
    submit_project(url, ISSUER, "Mailer", submitted_days_ago=9)
    submit_project(url, ISSUER, "Calendar", scopes=("calendar.readonly",), owner="cal@example.org")

    queue = ok(url, "review", "list")
    assert [(r["project"], r["state"], r["needs"], r["age_days"], r["old"]) for r in queue["requests"]] == [
        ("Mailer", "submitted", "restricted", 9, True),
        ("Calendar", "submitted", "sensitive", 0, False),
    ]
    assert queue["requests"][0]["scopes"] == {"restricted": [MAIL], "sensitive": [SEND]}
    assert queue["counts"]["open"] == 2 and queue["counts"]["decided"] == 0
    assert [r["project"] for r in ok(url, "review", "list", "--needs", "sensitive")["requests"]] == [
        "Calendar"
    ]

    # show: the state, the scopes by class and what is missing.
    shown = ok(url, "review", "show", "Mailer")
    assert shown["state"] == "submitted" and shown["age_days"] == 9
    assert shown["scopes"] == {"non-sensitive": [], "sensitive": [SEND], "restricted": [MAIL]}
    assert {m["code"] for m in shown["missing"]} == {"scopes_unapproved", "assessment_missing"}
    assert [s["scope"] for s in shown["requested_scopes"]] == [MAIL, SEND]
    assert shown["requested_scopes"][0]["narrower"] == ["mail.metadata"]
    assert [p["passed"] for p in shown["prechecks"]] == [True, False]
    assert shown["submission"]["video_url"] == "https://video.example.com/watch/unlisted-123"

    # Approve only mail.send: the approval covers exactly that scope.
    approved = ok(url, "review", "approve", "Mailer", "--scope", "mail.send")
    assert approved["state"] == "approved" and approved["approved_scopes"] == [SEND]
    assert state(url, "Mailer") == ("approved", [], [SEND])
    [(to, body)] = mails(url, "review:project:approve")
    assert to == ["dev@mailer.example.com", "support@mailer.example.com"] and "mail.send" in body
    # Deciding twice is a conflict: exit 2 with the reason, nothing changes.
    err = failed(url, "review", "approve", "Mailer")
    assert err["error"] == "wrong_state" and "approved" in err["message"]
    assert state(url, "Mailer") == ("approved", [], [SEND])

    # Ask, then reject (a reason is required).
    asked = ok(url, "review", "ask", "Calendar", "--message", "Why the whole calendar?")
    assert asked["state"] == "waiting_for_developer"
    [(to, body)] = mails(url, "review:project:ask")
    assert "support@calendar.example.com" in to and "Why the whole calendar?" in body
    assert failed(url, "review", "reject", "Calendar")["error"] == "invalid_request"
    assert failed(url, "review", "ask", "Calendar", "--message", " ")["error"] == "invalid_request"
    assert state(url, "Calendar")[0] == "waiting_for_developer"
    rejected = ok(
        url, "review", "reject", "Calendar", "--reason", "No answer needed", "--reason", "Too broad"
    )
    assert rejected["reasons"] == ["No answer needed", "Too broad"]
    assert state(url, "Calendar") == ("rejected", ["No answer needed", "Too broad"], [])
    assert [r["project"] for r in ok(url, "review", "list", "--state", "decided")["requests"]] == [
        "Calendar",
        "Mailer",
    ]
    assert failed(url, "review", "list", "--state", "pending")["error"] == "invalid_state"
    assert failed(url, "review", "show", "Nowhere")["error"] == "not_found"

    # Every decision is audited with the CLI as its channel.
    events = [
        (tag, _json(data).get("channel"))
        for tag, data in query(
            url, "SELECT tag, data FROM audit_events WHERE tag LIKE 'review:%' ORDER BY id"
        )
    ]
    assert ("review:project:approve", "cli") in events and ("review:project:reject", "cli") in events
    assert ("review:project:ask", "cli") in events


def test_security_assessment_from_the_shell(url: str) -> None:  # SEC-5 SEC-8 VERIFY-9
    submit_project(url, ISSUER, "Mailer")
    letter = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=10)
    args: tuple[str, ...] = ("review", "assess", "Mailer", "--assessor", "Acme Labs", "--tier", "3")
    args += ("--letter-date", letter.isoformat(), "--scope", "mail.readonly")
    # SEC-8: the assessment must have checked deletion on request.
    assert failed(url, *args)["error"] == "deletion_unchecked"
    assert failed(url, *args[:6], "9", *args[7:], "--deletion-checked")["error"] == "invalid_tier"
    assert failed(url, *args, "--scope", "mail.send", "--deletion-checked")["error"] == "invalid_scope"
    assert query(url, "SELECT count(*) FROM security_assessments")[0][0] == 0

    out = ok(url, *args, "--deletion-checked")
    assert out["assessor"] == "Acme Labs" and out["tier"] == 3 and out["scopes"] == [MAIL]
    assert out["letter_date"] == letter.isoformat()
    assert out["lapses_on"] == (letter + dt.timedelta(days=365)).isoformat() and out["lapsed"] is False
    shown = ok(url, "review", "show", "Mailer")
    assert "assessment_missing" not in {m["code"] for m in shown["missing"]}
    assert shown["assessment"]["lapses_on"] == out["lapses_on"]
    # The readable form prints the same, without a traceback.
    human = consentry(url, "review", "show", "Mailer")
    assert human.code == 0 and "mail.readonly" in human.stdout and "restricted" in human.stdout
