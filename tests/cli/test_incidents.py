"""``consentry incident``: report an incident for a project and track it from the shell (SEC-6).

The real ``consentry`` executable, on SQLite and PostgreSQL; what each command changed (the
incident, its notes, the outbox, the audit log) is read back with SQL.

# SEC-6: the report goes through the outbox to CONSENTRY_SECURITY_CONTACT with a copy to the
project; the platform's moves are audited, and a wrong move is refused with exit 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.test_cli import consentry, db_file, ok, pg_url, query, sqlite_url

__all__ = ["db_file", "pg_url", "sqlite_url"]  # fixtures of test_cli, used through ``url``

TEAM = "security@platform.example"
ENV = {"CONSENTRY_SECURITY_CONTACT": TEAM}
OWNER = "owner@inbox.example"
REPORT = (
    "incident",
    "report",
    "Inbox Zen",
    "--summary",
    "Signing key of the app's backend leaked",
    "--details",
    "A backup with the key was readable by anyone for a day.",
    "--affected",
    "Access tokens for mail.readonly",
    "--certainty",
    "confirmed",
    "--detected",
    "2026-05-04 09:30",
    "--affected-users",
    "300",
    "--statement",
    "planned",
    "--statement-at",
    "2030-05-12",
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database migrated by ``consentry db upgrade`` with one project, on each engine."""
    if request.param == "sqlite":
        chosen: str = request.getfixturevalue("sqlite_url")
    else:
        chosen = request.getfixturevalue("pg_url")
        ok(chosen, "db", "upgrade")
    ok(chosen, "user", "add", OWNER, "--password-stdin", stdin="correct-horse-battery\n")
    ok(chosen, "project", "create", "Inbox Zen", "--owner", OWNER)
    yield chosen


def run(url: str, *args: str) -> tuple[int, dict[str, Any]]:
    r = consentry(url, *args, "--json", env=ENV)
    return r.code, json.loads(r.stdout)


def test_report_list_show_and_the_platforms_moves(url: str) -> None:  # SEC-6
    code, out = run(url, *REPORT)
    assert code == 0, out
    incident = out["id"]
    assert (out["state"], out["certainty"], out["affected_users"], out["security_contact"]) == (
        "reported",
        "confirmed",
        300,
        TEAM,
    )
    assert out["detected_at"] == 1777887000 and out["reported_by"] == "cli" and "outbox" in out["mail"]
    rows = query(url, "SELECT recipients, subject, reason FROM outbox_mail ORDER BY id")
    recipients = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]
    assert recipients == [[TEAM], [OWNER]]
    assert rows[0][1] == f"[Consentry security] Incident #{incident} (confirmed): Inbox Zen"
    assert {r[2] for r in rows} == {"project:incident:report"}

    code, listed = run(url, "incident", "list")
    assert code == 0 and [(i["id"], i["state"], i["overdue"]) for i in listed["incidents"]] == [
        (incident, "reported", False)
    ]
    assert listed["counts"]["open"] == 1
    assert run(url, "incident", "list", "--state", "closed")[1]["incidents"] == []
    assert [i["id"] for i in run(url, "incident", "list", "--project", "Inbox Zen")[1]["incidents"]] == [
        incident
    ]

    code, acked = run(url, "incident", "acknowledge", str(incident), "--note", "Rotate the key now.")
    assert code == 0 and acked["state"] == "acknowledged" and acked["acknowledged_by"] == "cli"
    code, again = run(url, "incident", "acknowledge", str(incident))
    assert code == 2 and again == {
        "error": "wrong_state",
        "message": "cannot acknowledge an incident that is acknowledged",
    }
    assert run(url, "incident", "note", str(incident), "--note", "Key rotated by the developer.")[0] == 0
    code, done = run(url, "incident", "resolve", str(incident), "--note", "Contained; no misuse.")
    assert code == 0 and done["state"] == "resolved" and done["closed_by"] == "cli"

    code, shown = run(url, "incident", "show", str(incident))
    assert code == 0 and shown["details"].startswith("A backup with the key")
    assert [(n["side"], n["action"], n["body"]) for n in shown["notes"]] == [
        ("platform", "acknowledged", "Rotate the key now."),
        ("platform", "", "Key rotated by the developer."),
        ("platform", "resolved", "Contained; no misuse."),
    ]
    tags = [r[0] for r in query(url, "SELECT tag FROM audit_events WHERE tag LIKE '%incident%' ORDER BY id")]
    assert tags == [
        "project:incident:report",
        "review:incident:acknowledge",
        "review:incident:note",
        "review:incident:resolve",
    ]
    channels = query(url, "SELECT data FROM audit_events WHERE tag LIKE '%incident%'")
    assert {(json.loads(d[0]) if isinstance(d[0], str) else d[0])["channel"] for d in channels} == {"cli"}
    assert len(query(url, "SELECT id FROM outbox_mail")) == 5  # report x2, then one per move to the owner

    text = consentry(url, "incident", "show", str(incident), env=ENV)
    assert text.code == 0 and "Signing key of the app's backend leaked" in text.stdout


def test_bad_input_exits_2_and_stores_nothing(url: str) -> None:  # SEC-6
    cases = [
        (("--certainty", "perhaps"), "invalid_certainty"),
        (("--detected", "tomorrow-ish"), "invalid_detected_at"),
        (("--affected-users", "lots"), "invalid_affected_users"),
        (("--statement", "made", "--statement-at", "2999-01-01"), "invalid_statement_at"),
        (("--summary", ""), "invalid_summary"),
    ]
    for extra, error in cases:
        code, out = run(url, *REPORT, *extra)
        assert code == 2 and out["error"] == error, (extra, out)
    code, out = run(url, *("incident", "report", "No Such Project", *REPORT[3:]))
    assert code == 2 and out == {"error": "not_found", "message": "no project 'No Such Project'"}
    assert run(url, "incident", "show", "41") == (2, {"error": "not_found", "message": "no incident #41"})
    assert run(url, "incident", "list", "--state", "sometimes")[1]["error"] == "invalid_state"
    code, out = run(url, "incident", "resolve", "41", "--note", "x")
    assert code == 2 and out["error"] == "not_found"
    assert query(url, "SELECT id FROM security_incidents") == []
    assert query(url, "SELECT id FROM outbox_mail") == []


def test_markup_in_what_people_typed_is_printed_as_typed(url: str) -> None:  # SEC-6
    """A summary or note holding Rich markup is text: ``[/x]`` made `incident list` and `show`
    crash (MarkupError), and ``[link=...]`` could dress up what the operator reads."""
    hostile = "Leak [/x] [link=https://evil.example]see[/link] [bold red]FAKE[/]"
    args = list(REPORT)
    args[args.index("--summary") + 1] = hostile
    code, out = run(url, *args)
    assert code == 0, out
    incident = str(out["id"])
    assert run(url, "incident", "note", incident, "--note", "Which bucket? [/i] [link=x]y[/link]")[0] == 0
    wide = {**ENV, "COLUMNS": "300"}
    shown = consentry(url, "incident", "show", incident, env=wide)
    assert shown.code == 0, shown.stderr
    assert hostile in shown.stdout and "Which bucket? [/i] [link=x]y[/link]" in shown.stdout
    listed = consentry(url, "incident", "list", env=wide)
    assert listed.code == 0, listed.stderr
    assert hostile in listed.stdout
