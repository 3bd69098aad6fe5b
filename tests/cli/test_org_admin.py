"""``consentry org apps | app-access | install | unconfigured | restrict | message |
internal-approval | members | role | requests | decide`` (issue 14, AUTH0-5, VERIFY-10).

The organization admin console for the operator: each command with --json prints one object,
makes the same audited change as the pages (enforcement included), and exits 2 on bad input
with one JSON error, changing nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from consentry.cli.main import app
from consentry.storage.tables import AccessRequest, AuditEvent, Organization, OrgAppAccess, Token, User
from consentry.storage.tables.base import now
from tests.cli.test_purge import CONSENTRY
from tests.cli.test_user_commands import cli_env
from tests.integration.orgs import CAL, MEMBER, MESSAGE, ORG, people, project_id
from tests.support.flows import tokens_for
from tests.support.seed import Seeder


def run(database_url: str, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["org", *args], env=cli_env(database_url))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout


def ok(database_url: str, *args: str) -> dict[str, Any]:
    code, out = run(database_url, *args, "--json")
    assert code == 0, out
    return json.loads(out)


def refused(database_url: str, *args: str) -> dict[str, Any]:
    code, out = run(database_url, *args, "--json")
    assert code == 2, out
    [line] = out.strip().splitlines()  # one JSON object, nothing else
    return json.loads(line)


def _org(seed: Seeder) -> Organization:
    with seed.db.unit_of_work() as s:
        org = s.scalar(select(Organization).where(Organization.domain == ORG))
        assert org is not None
        s.expunge(org)
        return org


def _audit(seed: Seeder) -> list[tuple[str, str, str]]:
    with seed.db.unit_of_work() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.tag.startswith("org:")).order_by(AuditEvent.id))
        return [(e.tag, e.actor, e.data.get("channel", "")) for e in rows if e.tag != "org:create"]


def test_apps_lists_what_members_use(seed, database_url, browser, client):  # AUTH0-5
    people(seed)
    c = seed.client("web", project="Planner")
    tokens_for(browser, client, c, MEMBER, f"openid {CAL}")
    out = ok(database_url, "apps", ORG)
    assert out["domain"] == ORG and out["unconfigured"] == "allow"
    [listed] = out["apps"]
    assert listed["project"] == "Planner" and listed["client_ids"] == [c.client_id] and listed["users"] == 1
    assert listed["scopes"] == {"sensitive": ["calendar.readonly"], "non-sensitive": ["openid"]}
    assert listed["verified"] is True and listed["access"] is None and listed["installed"] is False
    code, human = run(database_url, "apps", ORG)
    assert code == 0 and "Planner" in human and "Apps in corp.example" in human


def test_app_access_blocks_and_revokes(seed, database_url, browser, client):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    tokens_for(browser, client, c, MEMBER, f"openid {CAL}", access_type="offline")
    out = ok(database_url, "app-access", ORG, c.client_id, "blocked")
    assert out == {
        "domain": ORG,
        "values": {"project_id": project_id(seed, c), "access": "blocked", "installed": False},
        "revoked_access": 1,
        "revoked_tokens": 1,
        "client_id": c.client_id,
        "app": "Project 1",
    }
    with seed.db.unit_of_work() as s:
        assert s.scalars(select(Token).where(Token.revoked_at.is_(None))).all() == []
        [row] = s.scalars(select(OrgAppAccess)).all()
        assert (row.access, row.updated_by) == ("blocked", "cli")
    assert _audit(seed) == [("org:app:access", "cli", "cli")]


def test_install_and_policy_commands(seed, database_url):  # AUTH0-5 VERIFY-10
    people(seed)
    c = seed.client("web")
    version = _org(seed).policy_version
    assert ok(database_url, "install", ORG, c.client_id, "on")["values"]["installed"] is True
    assert ok(database_url, "unconfigured", ORG, "sign-in-only")["values"] == {"unconfigured": "sign-in-only"}
    assert ok(database_url, "restrict", ORG, "--api", "mail", "--api", "chat")["values"] == {
        "restricted_apis": ["mail", "chat"]
    }
    assert ok(database_url, "message", ORG, MESSAGE)["values"] == {"refusal_message": MESSAGE}
    assert ok(database_url, "internal-approval", ORG, "on")["values"] == {"internal_approval": True}
    org = _org(seed)
    assert (org.unconfigured, org.restricted_apis, org.refusal_message, org.internal_approval) == (
        "sign-in-only",
        ["mail", "chat"],
        MESSAGE,
        True,
    )
    assert org.policy_version == version + 5
    # No --api clears the list.
    assert ok(database_url, "restrict", ORG)["values"] == {"restricted_apis": []}
    assert [t for t, _a, _c in _audit(seed)] == ["org:app:install"] + ["org:policy:update"] * 5


def test_bad_input_exits_2_with_one_json_error_and_changes_nothing(seed, database_url):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    assert refused(database_url, "app-access", ORG, c.client_id, "sometimes")["error"] == "invalid_access"
    assert refused(database_url, "app-access", ORG, "no-such-client", "blocked")["error"] == "not_found"
    assert (
        refused(database_url, "app-access", "nowhere.example", c.client_id, "blocked")["error"] == "not_found"
    )
    assert refused(database_url, "unconfigured", ORG, "maybe")["error"] == "invalid_policy"
    assert refused(database_url, "restrict", ORG, "--api", "sign-in")["error"] == "invalid_api"
    assert refused(database_url, "message", ORG, "x" * 501)["error"] == "message_too_long"
    assert refused(database_url, "install", ORG, c.client_id, "maybe")["error"] == "usage"
    assert refused(database_url, "requests", ORG, "--status", "old")["error"] == "invalid_status"
    assert refused(database_url, "decide", ORG, "1", "perhaps")["error"] == "invalid_decision"
    assert refused(database_url, "decide", ORG, "99", "approve")["error"] == "not_found"
    assert refused(database_url, "role", ORG, "ada@corp.example", "user")["error"] == "last_admin"
    assert _audit(seed) == []
    assert _org(seed).unconfigured == "allow"


def test_requests_and_decide(seed, database_url):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    pid = project_id(seed, c)
    with seed.db.unit_of_work() as s:
        org = s.scalar(select(Organization).where(Organization.domain == ORG))
        user = s.scalar(select(User).where(User.email == MEMBER))
        assert org is not None and user is not None
        t = now()
        s.add(
            AccessRequest(org_id=org.id, user_id=user.id, project_id=pid, reason="Need it", expires_at=t + 99)
        )
        s.add(AccessRequest(org_id=org.id, user_id=user.id, project_id=pid, reason="Old", expires_at=t - 1))
    out = ok(database_url, "requests", ORG)
    [waiting] = out["requests"]
    assert (waiting["email"], waiting["reason"], waiting["status"]) == (MEMBER, "Need it", "pending")
    [lapsed] = ok(database_url, "requests", ORG, "--status", "lapsed")["requests"]
    assert lapsed["reason"] == "Old" and lapsed["status"] == "lapsed"
    done = ok(database_url, "decide", ORG, str(waiting["id"]), "deny", "--answer", "Not this one.")
    assert done == {"domain": ORG, "request": waiting["id"], "status": "denied", "answer": "Not this one."}
    assert refused(database_url, "decide", ORG, str(lapsed["id"]), "approve")["error"] == "not_found"
    # Newest first: both were made in the same second, so the later one leads.
    statuses = [r["status"] for r in ok(database_url, "requests", ORG, "--status", "all")["requests"]]
    assert statuses == ["lapsed", "denied"]


def test_members_and_role(seed, database_url):  # AUTH0-5
    people(seed)
    members = ok(database_url, "members", ORG)["members"]
    assert [(m["email"], m["role"]) for m in members] == [("ada@corp.example", "admin"), (MEMBER, "user")]
    assert ok(database_url, "role", ORG, MEMBER, "admin")["values"] == {"email": MEMBER, "role": "admin"}
    assert refused(database_url, "role", ORG, "out@example.org", "admin")["error"] == "not_found"


def test_the_console_script_and_purge_of_old_requests(seed, database_url):  # AUTH0-5
    people(seed)
    c = seed.client("web")
    pid = project_id(seed, c)
    day = 86400
    with seed.db.unit_of_work() as s:
        org = s.scalar(select(Organization).where(Organization.domain == ORG))
        user = s.scalar(select(User).where(User.email == MEMBER))
        assert org is not None and user is not None
        t = now()
        old = dict(org_id=org.id, user_id=user.id, project_id=pid, reason="r")
        s.add(AccessRequest(**old, status="denied", decided_at=t - 91 * day, expires_at=t - 100 * day))
        s.add(AccessRequest(**old, status="pending", expires_at=t - 91 * day))
        s.add(AccessRequest(**old, status="approved", decided_at=t - 400 * day, expires_at=t - 400 * day))
        s.add(AccessRequest(**old, status="denied", decided_at=t - 10 * day, expires_at=t - 10 * day))
    env = {k: v for k, v in cli_env(database_url).items() if v is not None}
    full = {k: v for k, v in os.environ.items() if not k.startswith("CONSENTRY_")} | env
    bad = subprocess.run(
        [CONSENTRY, "org", "unconfigured", ORG, "never", "--json"],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and json.loads(bad.stdout)["error"] == "invalid_policy"
    purge = subprocess.run(
        [CONSENTRY, "purge", "--json", "--grace", "0"], env=full, capture_output=True, text=True, timeout=120
    )
    assert purge.returncode == 0, purge.stderr
    assert json.loads(purge.stdout)["tables"]["access_requests"] == 2
    with seed.db.unit_of_work() as s:
        kept = sorted((r.status, r.reason) for r in s.scalars(select(AccessRequest)))
    # Approved stands (it lets the member in); the recent denial stays for the queue.
    assert [status for status, _r in kept] == ["approved", "denied"]
