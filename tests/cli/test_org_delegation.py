"""``consentry org delegate DOMAIN CLIENT_ID --scope S ...``, ``org undelegate`` and ``org
delegations`` (domain-wide delegation, AUTH2-5), through the real executable on both engines.

Scopes go by catalogue name or URI and are stored by name; each change is audited with the CLI's
channel and bumps the organization's policy version (every server process sees it next request).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cli.test_cli import ISSUER, consentry, db_file, failed, ok, pg_url, query, sqlite_url

__all__ = ["db_file", "pg_url", "sqlite_url"]  # fixtures of test_cli, used through ``url``

OWNER = "ada@vendor.example.org"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        database: str = request.getfixturevalue("sqlite_url")
    else:
        database = request.getfixturevalue("pg_url")
        ok(database, "db", "upgrade")
    ok(database, "user", "add", OWNER, "--password-stdin", stdin="long-enough-password-1\n")
    ok(database, "project", "create", "Vendor Sync", "--owner", OWNER)
    ok(database, "org", "add", "acme.example")
    yield database


def version(url: str) -> int:
    return int(query(url, "SELECT policy_version FROM organizations WHERE domain = 'acme.example'")[0][0])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_delegate_list_replace_undelegate(url: str) -> None:  # AUTH2-5
    cid = ok(url, "client", "create", "Vendor Sync", "--type", "service")["client_id"]
    before = version(url)
    out = ok(
        url, "org", "delegate", "ACME.example", cid,
        "--scope", "mail.readonly", "--scope", f"{ISSUER}/auth/calendar.readonly", "--scope", "mail.readonly",
    )  # fmt: skip
    assert out == {
        "domain": "acme.example",
        "client_id": cid,
        "scopes": ["mail.readonly", "calendar.readonly"],
    }
    assert version(url) == before + 1
    (entry,) = ok(url, "org", "delegations", "acme.example")["delegations"]
    assert entry["client_id"] == cid and entry["scopes"] == ["mail.readonly", "calendar.readonly"]
    assert entry["client_email"].endswith(".iam.cli.consentry.test") and entry["state"] == "active"
    assert entry["created_by"] == "cli"

    # Delegating again replaces the scopes.
    assert ok(url, "org", "delegate", "acme.example", cid, "--scope", "files")["scopes"] == ["files"]
    assert [e["scopes"] for e in ok(url, "org", "delegations", "acme.example")["delegations"]] == [["files"]]
    assert ok(url, "org", "undelegate", "acme.example", cid) == {
        "domain": "acme.example",
        "client_id": cid,
        "removed": True,
    }
    assert ok(url, "org", "undelegate", "acme.example", cid)["removed"] is False
    assert ok(url, "org", "delegations", "acme.example")["delegations"] == []
    assert version(url) == before + 3

    events = query(
        url, "SELECT tag, actor, data FROM audit_events WHERE tag LIKE 'org:delegation:%' ORDER BY id"
    )
    assert [(tag, actor) for tag, actor, _ in events] == [
        ("org:delegation:set", "cli"),
        ("org:delegation:set", "cli"),
        ("org:delegation:remove", "cli"),
    ]
    first, second, removed = (_json(d) for _, _, d in events)
    assert first["channel"] == "cli" and first["before"] is None and first["org"] == "acme.example"
    assert second["before"] == ["mail.readonly", "calendar.readonly"] and second["scopes"] == ["files"]
    assert removed["scopes"] == ["files"]


def test_bad_input_exits_2_and_changes_nothing(url: str) -> None:  # AUTH2-5
    cid = ok(url, "client", "create", "Vendor Sync", "--type", "service")["client_id"]
    web = ok(
        url, "client", "create", "Vendor Sync", "--type", "web", "--redirect-uri", "https://v.example/cb"
    )
    before = version(url)
    unknown = failed(
        url, "org", "delegate", "acme.example", cid, "--scope", "mail.readonly", "--scope", "mail.everything"
    )
    assert unknown == {
        "error": "invalid_scope",
        "message": "not in the scope catalogue: 'mail.everything' (see `consentry scopes list`)",
    }
    assert failed(url, "org", "delegate", "acme.example", cid)["error"] == "invalid_scope"  # no --scope
    assert failed(url, "org", "delegate", "acme.example", web["client_id"], "--scope", "files")["error"] == (
        "not_a_service_account"
    )
    assert failed(url, "org", "delegate", "nowhere.example", cid, "--scope", "files")["error"] == "not_found"
    assert (
        failed(url, "org", "delegate", "acme.example", "nobody", "--scope", "files")["error"] == "not_found"
    )
    assert failed(url, "org", "delegations", "nowhere.example")["error"] == "not_found"
    assert version(url) == before
    assert query(url, "SELECT COUNT(*) FROM org_delegations") == [(0,)]


def test_human_output(url: str) -> None:  # AUTH2-5
    cid = ok(url, "client", "create", "Vendor Sync", "--type", "service")["client_id"]
    ok(url, "org", "delegate", "acme.example", cid, "--scope", "mail.readonly")
    r = consentry(url, "org", "delegations", "acme.example")
    assert r.code == 0 and "mail.readonly" in r.stdout and "active" in r.stdout, r.stdout
