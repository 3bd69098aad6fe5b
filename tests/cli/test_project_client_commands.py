"""``consentry project list|show|scopes|test-users`` and ``consentry client list|show|rotate-secret|
disable|enable|delete`` (VERIFY-1, VERIFY-2, VERIFY-8), through the real executable on both engines.

The commands call the same domain services as the console, acting as the operator: the rules and
messages are the services', and each change leaves an audit event whose channel is ``cli``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.test_cli import ISSUER, consentry, db_file, failed, ok, pg_url, query, sqlite_url

__all__ = ["db_file", "pg_url", "sqlite_url"]  # fixtures of test_cli, used through ``url``

MAIL = f"{ISSUER}/auth/mail.readonly"
CAL = f"{ISSUER}/auth/calendar.readonly"
OWNER = "ada@acme.example.org"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database migrated by ``consentry db upgrade`` with one user, on each engine."""
    if request.param == "sqlite":
        database: str = request.getfixturevalue("sqlite_url")
    else:
        database = request.getfixturevalue("pg_url")
        ok(database, "db", "upgrade")
    ok(database, "user", "add", OWNER, "--password-stdin", stdin="long-enough-password-1\n")
    yield database


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def cli_events(url: str, prefix: str) -> list[str]:
    """The audit tags under ``prefix`` written by the CLI, in order."""
    rows = query(url, "SELECT tag, data FROM audit_events WHERE tag LIKE :p ORDER BY id", p=prefix + "%")
    return [tag for tag, data in rows if _json(data).get("channel") == "cli"]


def test_project_commands(url: str) -> None:  # VERIFY-1 VERIFY-2
    created = ok(url, "project", "create", "Acme Mail", "--owner", OWNER.upper(), "--status", "production")
    assert created == {
        "project": "Acme Mail",
        "owner": OWNER,
        "user_type": "external",
        "status": "production",
    }
    assert failed(url, "project", "create", "Acme Mail", "--owner", OWNER)["error"] == "exists"
    assert failed(url, "project", "create", "bad/name", "--owner", OWNER)["error"] == "invalid_name"

    added = ok(url, "project", "scopes", "Acme Mail", "--add", "mail.readonly", "--add", "calendar.readonly")
    assert added["declared_scopes"] == sorted([MAIL, CAL])
    removed = ok(url, "project", "scopes", "Acme Mail", "--remove", "calendar.readonly", "--add", "openid")
    assert removed == {"project": "Acme Mail", "declared_scopes": sorted([MAIL, "openid"])}
    assert failed(url, "project", "scopes", "Acme Mail")["error"] == "usage"

    users = ok(url, "project", "test-users", "Acme Mail", "--add", "a@b.example", "--add", "c@d.example")
    assert users["test_users"] == ["a@b.example", "c@d.example"]
    users = ok(url, "project", "test-users", "Acme Mail", "--remove", "A@B.example")
    assert users == {"project": "Acme Mail", "test_users": ["c@d.example"]}

    listed = ok(url, "project", "list")["projects"]
    assert [p["project"] for p in listed] == ["Acme Mail"]
    assert (
        listed[0]["verification"]["needed"] == "restricted" and listed[0]["verification"]["verified"] is False
    )

    shown = ok(url, "project", "show", "Acme Mail")
    assert shown["members"] == [{"email": OWNER, "role": "owner"}]
    assert shown["status"] == "production" and shown["user_type"] == "external"
    assert shown["declared_scopes"] == {"non-sensitive": ["openid"], "sensitive": [], "restricted": [MAIL]}
    assert shown["approved_scopes"] == [] and shown["test_users"] == ["c@d.example"]
    verification = shown["verification"]
    assert verification["headline"] and verification["next_action"]
    codes = {m["code"] for m in verification["missing"]}
    assert {"logo", "home_page", "privacy_policy", "scopes_unapproved", "assessment_missing"} <= codes
    assert failed(url, "project", "show", "Nowhere")["error"] == "not_found"

    table = consentry(url, "project", "show", "Acme Mail")
    assert table.code == 0 and "mail.readonly" in table.stdout and "missing:" in table.stdout
    assert cli_events(url, "project:") == [
        "project:create",
        "project:scopes:declare",
        "project:scopes:declare",
        "project:test_users:change",
        "project:test_users:change",
    ]


def test_client_commands(url: str) -> None:  # VERIFY-8 SEC-3
    ok(url, "project", "create", "Acme Mail", "--owner", OWNER)
    web = ok(
        url, "client", "create", "Acme Mail", "--type", "web", "--redirect-uri", "https://app.example.org/cb"
    )
    device = ok(url, "client", "create", "Acme Mail", "--type", "device", "--name", "TV app")
    assert device["client_secret"] is None and device["name"] == "TV app"

    listed = ok(url, "client", "list", "Acme Mail")
    assert listed["project"] == "Acme Mail"
    assert [(c["client_id"], c["type"]) for c in listed["clients"]] == [
        (web["client_id"], "web"),
        (device["client_id"], "device"),
    ]
    shown = ok(url, "client", "show", web["client_id"])
    assert shown["redirect_uris"] == ["https://app.example.org/cb"] and shown["confidential"] is True
    assert shown["project"] == "Acme Mail" and shown["disabled"] is False
    assert failed(url, "client", "show", "nope.apps.consentry")["error"] == "not_found"

    # A new secret, printed once; the stored hash changes, the secret itself is never stored.
    [old_hash] = [
        r[0] for r in query(url, "SELECT secret_hash FROM clients WHERE client_id = :c", c=web["client_id"])
    ]
    rotated = ok(url, "client", "rotate-secret", web["client_id"])
    assert rotated["client_id"] == web["client_id"] and rotated["client_secret"] != web["client_secret"]
    [new_hash] = [
        r[0] for r in query(url, "SELECT secret_hash FROM clients WHERE client_id = :c", c=web["client_id"])
    ]
    assert new_hash != old_hash and rotated["client_secret"] not in new_hash
    assert failed(url, "client", "rotate-secret", device["client_id"])["error"] == "public_client"

    assert ok(url, "client", "disable", web["client_id"]) == {
        "client_id": web["client_id"],
        "project": "Acme Mail",
        "disabled": True,
    }
    assert ok(url, "client", "show", web["client_id"])["disabled"] is True
    assert ok(url, "client", "enable", web["client_id"])["disabled"] is False

    deleted = ok(url, "client", "delete", device["client_id"])
    assert deleted["disabled"] is True and deleted["restorable_until"] - deleted["deleted_at"] == 30 * 86400
    assert [c["client_id"] for c in ok(url, "client", "list", "Acme Mail")["clients"]] == [web["client_id"]]
    gone = ok(url, "client", "list", "Acme Mail", "--deleted")["clients"]
    assert [c["client_id"] for c in gone] == [device["client_id"]] and gone[0]["deleted_at"]
    assert failed(url, "client", "delete", device["client_id"])["error"] == "deleted_client"

    table = consentry(url, "client", "list", "Acme Mail")
    assert table.code == 0 and web["client_id"] in table.stdout
    assert cli_events(url, "project:client:") == [
        "project:client:create",
        "project:client:create",
        "project:client:rotate_secret",
        "project:client:disable",
        "project:client:enable",
        "project:client:delete",
    ]
