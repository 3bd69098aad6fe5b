"""``consentry events ...`` and the RISC events the ``consentry user`` commands raise.

# DATA-4, ACCT-6: disabling, enabling, deleting a user and setting their password queue events for
the apps they signed in to with ``email``; ``events deliver`` pushes them (progress, report);
every command takes --json and prints one JSON object; bad input exits 2.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from typer.testing import CliRunner

from consentry.cli.main import app as cli
from tests.conftest import ISSUER
from tests.integration.events.helpers import BOB, World, events
from tests.integration.events.receiver import set_receiver, verify
from tests.support.databases import SECRET
from tests.support.suite_env import SUITE

RISC = "https://schemas.openid.net/secevent/risc/event-type/"


@pytest.fixture
def operator_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in [n for n in os.environ if n.startswith("CONSENTRY_")]:
        monkeypatch.delenv(name)
    for name, value in SUITE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CONSENTRY_DATABASE_URL", database_url)
    monkeypatch.setenv("CONSENTRY_ISSUER", ISSUER)
    monkeypatch.setenv("CONSENTRY_SECRET_KEY", SECRET)
    monkeypatch.setenv("CONSENTRY_ENVIRONMENT", "test")
    monkeypatch.setenv("CONSENTRY_FETCH_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("COLUMNS", "200")
    return database_url


def run(*args: str, stdin: str | None = None) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, [*args, "--json"], input=stdin)
    data = json.loads(result.stdout)  # one JSON object and nothing else
    assert isinstance(data, dict), result.stdout
    return result.exit_code, data


def test_user_commands_tell_the_apps_and_deliver_pushes_them(world: World, operator_env: str) -> None:
    # DATA-4: each account change is one event per listening project; deliver pushes them all
    with set_receiver() as receiver:
        code, out = run("events", "endpoint", "Mail Sorter", receiver.url)
        assert code == 0 and out == {
            "project": "Mail Sorter",
            "events_endpoint": receiver.url,
            "previous": "",
        }

        assert run("user", "set-password", BOB, "--password-stdin", stdin="a-new-long-password\n")[0] == 0
        assert run("user", "disable", BOB)[0] == 0
        assert run("user", "disable", BOB)[0] == 0  # already disabled: nothing new to tell
        assert run("user", "enable", BOB)[0] == 0
        assert run("user", "delete", BOB)[0] == 0
        queued = events(world.seed.db)
        assert [r["event_type"].removeprefix(RISC) for r in queued] == [
            "sessions-revoked",
            "account-disabled",
            "account-enabled",
            "account-purged",
        ]
        assert all(r["claims"]["sub"] == world.bob_sub for r in queued)
        assert queued[-1]["user_id"] is None  # the account is gone; the event stays to be pushed

        code, out = run("events", "list", "--status", "pending")
        assert code == 0 and out["counts"] == {"pending": 4, "delivered": 0, "failed": 0}
        assert [e["event"] for e in out["events"]] == [
            "account-purged",
            "account-enabled",
            "account-disabled",
            "sessions-revoked",
        ]

        code, report = run("events", "deliver")
        assert code == 0
        assert (report["claimed"], report["delivered"], report["failed"], report["remaining"]) == (4, 4, 0, 0)
    jwks = {"keys": _jwks(world)}
    pushed = [verify(p.body, jwks)[1] for p in receiver.pushes]
    assert [next(iter(c["events"])).removeprefix(RISC) for c in pushed] == [
        "sessions-revoked",
        "account-disabled",
        "account-enabled",
        "account-purged",
    ]

    code, shown = run("events", "show", str(queued[-1]["id"]))
    assert code == 0 and shown["status"] == "delivered" and shown["claims"] == queued[-1]["claims"]
    assert run("events", "show", queued[-1]["jti"])[1]["id"] == queued[-1]["id"]


def test_a_refused_user_deletion_tells_nobody(world: World, operator_env: str) -> None:  # DATA-4
    run("events", "endpoint", "Mail Sorter", "https://app.example.com/events")
    code, err = run("user", "delete", "owner@example.com")  # the project's only owner
    assert code == 2 and err["error"] == "owns_projects"
    assert events(world.seed.db) == []


def test_events_commands_refuse_bad_input_with_exit_2(world: World, operator_env: str) -> None:
    assert run("events", "endpoint", "Mail Sorter", "ftp://x.example.com/")[1]["error"] == "invalid_endpoint"
    assert run("events", "endpoint", "Nope", "https://x.example.com/") == (
        2,
        {"error": "not_found", "message": "no project 'Nope'"},
    )
    code, err = run("events", "list", "--status", "lost")
    assert code == 2 and err == {
        "error": "invalid_status",
        "message": "status must be one of pending, delivered, failed (or all)",
    }
    assert run("events", "list", "--limit", "0")[0] == 2
    assert run("events", "show", "424242") == (
        2,
        {"error": "not_found", "message": "no security event '424242'"},
    )
    assert run("events", "verify", "Mail Sorter") == (
        2,
        {"error": "no_events_endpoint", "message": "set the events endpoint first"},
    )
    assert run("events", "overdue", "--days", "0")[0] == 2
    code, out = run("events", "overdue")
    assert code == 0 and out == {"days": 30, "overdue": []}
    code, out = run("events", "endpoint", "Mail Sorter", "")
    assert code == 0 and out["events_endpoint"] == ""


def test_deliver_with_the_wrong_secret_is_a_server_side_failure(
    world: World, operator_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSENTRY_SECRET_KEY", "another-secret-key-0123456789abcdefghij")
    code, err = run("events", "deliver")
    assert code == 1 and err["error"] == "secret_key_mismatch"


def _jwks(world: World) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from consentry.storage.tables import SigningKey

    with world.seed.db.unit_of_work() as s:
        return [k.public_jwk for k in s.scalars(select(SigningKey))]
