"""``consentry user list | show | set-password | disable | enable | delete``, run as an operator runs them.

# ISSUE-11 cli: the real console script in a subprocess, on SQLite and PostgreSQL, next to an app on
the same database. Every command takes ``--json`` and prints exactly one JSON object; a bad input
exits non-zero with ``{"error": code, "message": ...}`` and changes nothing. Disabling a user revokes
their tokens (still refused after the user is enabled again) and signs them out; a disabled user
cannot sign in. Deleting a user takes their tokens, grants and sessions, and is refused while they
are the only owner of a project.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from starlette.testclient import TestClient
from typer.testing import CliRunner

from consentry.cli.main import app
from consentry.domain.accounts.passwords import verify_password
from tests.conftest import ISSUER
from tests.support.browserless import Browser, pkce_pair
from tests.support.databases import SECRET
from tests.support.flows import PASSWORD, auth_params, tokens_for
from tests.support.suite_env import SUITE, without_consentry_settings

CONSENTRY = str(Path(sys.executable).with_name("consentry"))
MAIL = f"{ISSUER}/auth/mail.readonly"
SUMMARY_KEYS = {
    "email",
    "sub",
    "name",
    "org",
    "role",
    "disabled",
    "created_at",
    "password_changed_at",
    "projects",
    "active_grants",
}


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        data = json.loads(self.stdout)  # one JSON object and nothing else on stdout
        assert isinstance(data, dict), self.stdout
        return data


def cli_env(database_url: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CONSENTRY_")}
    env.update(SUITE)
    env.update(
        CONSENTRY_DATABASE_URL=database_url,
        CONSENTRY_ISSUER=ISSUER,
        CONSENTRY_SECRET_KEY=SECRET,
        CONSENTRY_ENVIRONMENT="test",
        COLUMNS="200",
        NO_COLOR="1",
        TERM="dumb",
    )
    return env


def cli(database_url: str, *args: str, stdin: str | None = None) -> Run:
    """``consentry user ARGS``, in process (the console script itself: test_console_script below)."""
    r = CliRunner().invoke(app, ["user", *args], input=stdin or "", env=cli_env(database_url))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return Run(r.exit_code, r.stdout, r.stderr)


def ok(database_url: str, *args: str, stdin: str | None = None) -> dict[str, Any]:
    r = cli(database_url, *args, "--json", stdin=stdin)
    assert r.code == 0, f"user {' '.join(args)} exited {r.code}\n{r.stdout}\n{r.stderr}"
    return r.json()


def refused(database_url: str, *args: str, stdin: str | None = None) -> dict[str, Any]:
    """A --json command that must fail: non-zero exit, one JSON error object, no traceback."""
    r = cli(database_url, *args, "--json", stdin=stdin)
    assert r.code != 0, f"user {' '.join(args)} succeeded: {r.stdout}"
    assert "Traceback" not in r.stderr, r.stderr
    err = r.json()
    assert set(err) == {"error", "message"} and err["message"], err
    return err


def query(database_url: str, sql: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))
    finally:
        engine.dispose()


def user_id(database_url: str, email: str) -> int:
    return int(query(database_url, "SELECT id FROM users WHERE email = :e", e=email)[0][0])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in_page(browser: Browser, c: Any, email: str, password: str) -> Any:
    """Start an authorization and post the sign-in form; the response after our own redirects."""
    _verifier, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, "openid email"))
    assert page.status_code == 200 and 'action="/signin"' in page.text, page.text[:500]
    return browser.sign_in(page, email, password)


# --- list and show --------------------------------------------------------------------------------------


def test_list_and_show(database_url: str, seed: Any, browser: Browser, client: TestClient) -> None:
    # ISSUE-11 cli: user list (--org, --limit) and user show, their JSON shape and their errors
    url = database_url
    c = seed.client("web", owner="ada@acme.test", project="Acme Mail")  # ada owns a project
    seed.user("bob@acme.test", org="acme.test", role="admin")
    seed.user("carl@else.test")
    tokens_for(browser, client, c, "bob@acme.test", f"openid {MAIL}")  # bob grants one app

    everyone = ok(url, "list")
    assert [u["email"] for u in everyone["users"]] == ["ada@acme.test", "bob@acme.test", "carl@else.test"]
    assert everyone["more"] is False
    bob = next(u for u in everyone["users"] if u["email"] == "bob@acme.test")
    assert set(bob) == {"email", "sub", "name", "org", "role", "disabled", "created_at"}
    assert bob["org"] == "acme.test" and bob["role"] == "admin" and bob["disabled"] is False
    assert "argon2" not in json.dumps(everyone)  # never a password hash

    in_org = ok(url, "list", "--org", "ACME.test")
    assert [u["email"] for u in in_org["users"]] == ["bob@acme.test"]
    first = ok(url, "list", "--limit", "1")
    assert [u["email"] for u in first["users"]] == ["ada@acme.test"] and first["more"] is True
    assert refused(url, "list", "--org", "nowhere.test")["error"] == "not_found"
    assert refused(url, "list", "--limit", "0")["error"] == "invalid_limit"

    shown = ok(url, "show", "Bob@Acme.test")
    assert set(shown) == SUMMARY_KEYS
    assert shown["email"] == "bob@acme.test" and shown["org"] == "acme.test" and shown["role"] == "admin"
    assert shown["sub"] == bob["sub"] and shown["active_grants"] == 1 and shown["projects"] == []
    assert shown["created_at"] <= shown["password_changed_at"]
    ada = ok(url, "show", "ada@acme.test")
    assert ada["projects"] == [{"name": "Acme Mail", "role": "owner"}] and ada["active_grants"] == 0
    assert ada["org"] is None

    missing = refused(url, "show", "nobody@acme.test")
    assert missing["error"] == "not_found" and "nobody@acme.test" in missing["message"]

    # Without --json: a table with every email whole.
    human = cli(url, "list")
    assert human.code == 0, human.stderr
    for email in ("ada@acme.test", "bob@acme.test", "carl@else.test"):
        assert email in human.stdout


# --- set-password ---------------------------------------------------------------------------------------


def test_set_password(database_url: str, seed: Any, browser: Browser) -> None:
    # ISSUE-11 cli: set-password reads stdin only, applies add_user's rule, and the new password signs in
    url = database_url
    c = seed.client("web")
    seed.user("bob@acme.test")
    before = query(url, "SELECT password_hash, password_changed_at FROM users WHERE email = 'bob@acme.test'")

    # Never a password on the command line, never an empty or short one, never for an unknown user.
    assert refused(url, "set-password", "bob@acme.test")["error"] == "usage"
    assert refused(url, "set-password", "bob@acme.test", "--password-stdin", stdin="")["error"] == (
        "weak_password"
    )
    weak = refused(url, "set-password", "bob@acme.test", "--password-stdin", stdin="short\n")
    assert weak["error"] == "weak_password" and "12 characters" in weak["message"]  # ACCT-2
    assert refused(url, "set-password", "no@acme.test", "--password-stdin", stdin="x" * 12)["error"] == (
        "not_found"
    )
    assert (
        query(url, "SELECT password_hash, password_changed_at FROM users WHERE email = 'bob@acme.test'")
        == before
    )

    # A browser signed in with the old password is signed out by the change.
    sign_in_page(browser, c, "bob@acme.test", PASSWORD)
    bob = "(SELECT id FROM users WHERE email = 'bob@acme.test')"
    assert query(url, f"SELECT count(*) FROM session_accounts WHERE user_id = {bob}") == [(1,)]
    new = "a-brand-new-passphrase"
    out = ok(url, "set-password", "bob@acme.test", "--password-stdin", stdin=new + "\n")
    assert out["email"] == "bob@acme.test" and out["password_changed_at"] >= before[0][1]
    assert out["sessions_ended"] == 1
    assert query(url, f"SELECT count(*) FROM session_accounts WHERE user_id = {bob}") == [(0,)]
    assert new not in json.dumps(out)
    stored = query(url, "SELECT password_hash FROM users WHERE email = 'bob@acme.test'")[0][0]
    assert stored.startswith("$argon2id$") and verify_password(stored, new)
    assert not verify_password(stored, PASSWORD)
    assert query(url, "SELECT actor FROM audit_events WHERE tag = 'user:password'") == [("cli",)]

    # The old password no longer signs in; the new one does.
    assert "Wrong email or password" in sign_in_page(browser, c, "bob@acme.test", PASSWORD).text
    q = browser.login_and_consent(auth_params(c, pkce_pair()[1], "openid email"), "bob@acme.test", new)
    assert "code" in q, q


# --- disable and enable ---------------------------------------------------------------------------------


def test_disable_revokes_tokens_and_blocks_sign_in(
    database_url: str, seed: Any, browser: Browser, client: TestClient
) -> None:
    # ISSUE-11 cli: disable revokes the user's tokens, signs them out, and refuses their sign-in
    url = database_url
    c = seed.client("web")
    seed.user("bob@acme.test")
    seed.user("eve@acme.test")
    auth = (c.client_id, c.client_secret)
    t = tokens_for(browser, client, c, "bob@acme.test", f"openid email {MAIL}", access_type="offline")
    with TestClient(client.app, base_url=ISSUER) as other_http:  # someone else's token stays good
        eve = tokens_for(Browser(other_http, ISSUER), client, c, "eve@acme.test", "openid email")
    assert client.get("/userinfo", headers=bearer(t["access_token"])).status_code == 200

    out = ok(url, "disable", "bob@acme.test")
    assert out == {
        "email": "bob@acme.test",
        "disabled": True,
        "changed": True,
        "tokens_revoked": 1,
        "sessions_ended": 1,
    }
    bob = user_id(url, "bob@acme.test")
    assert query(url, "SELECT count(*) FROM tokens WHERE user_id = :u AND revoked_at IS NULL", u=bob) == [
        (0,)
    ]
    assert query(url, "SELECT count(*) FROM session_accounts WHERE user_id = :u", u=bob) == [(0,)]
    tag = query(url, "SELECT actor, data FROM audit_events WHERE tag = 'user:disable'")
    assert len(tag) == 1 and tag[0][0] == "cli"
    assert ok(url, "show", "bob@acme.test")["disabled"] is True
    # Disabling twice is no error: nothing left to revoke.
    again = ok(url, "disable", "bob@acme.test")
    assert again["changed"] is False and again["tokens_revoked"] == 0

    # The browser that was signed in is asked to sign in again, and the password is refused.
    resp = sign_in_page(browser, c, "bob@acme.test", PASSWORD)
    assert resp.status_code == 401 and "Wrong email or password" in resp.text
    assert client.get("/userinfo", headers=bearer(t["access_token"])).status_code == 401

    # Enabled again: bob signs in, but the tokens issued before stay revoked (not just hidden).
    assert ok(url, "enable", "bob@acme.test") == {
        "email": "bob@acme.test",
        "disabled": False,
        "changed": True,
    }
    assert ok(url, "enable", "bob@acme.test")["changed"] is False
    assert client.get("/userinfo", headers=bearer(t["access_token"])).status_code == 401
    assert client.post("/introspect", data={"token": t["access_token"]}, auth=auth).json() == {
        "active": False
    }
    refreshed = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": t["refresh_token"]}, auth=auth
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    fresh = tokens_for(browser, client, c, "bob@acme.test", "openid email")
    assert client.get("/userinfo", headers=bearer(fresh["access_token"])).status_code == 200
    assert client.get("/userinfo", headers=bearer(eve["access_token"])).status_code == 200

    assert refused(url, "disable", "nobody@acme.test")["error"] == "not_found"
    assert refused(url, "enable", "nobody@acme.test")["error"] == "not_found"


# --- delete ---------------------------------------------------------------------------------------------


def test_delete(database_url: str, seed: Any, browser: Browser, client: TestClient) -> None:
    # ISSUE-11 cli: delete takes the user's tokens, grants, sessions and data; never a project's last owner
    url = database_url
    c = seed.client("web", owner="ada@acme.test", project="Acme Mail")
    seed.user("bob@acme.test")
    seed.sample_data("bob@acme.test")
    t = tokens_for(browser, client, c, "bob@acme.test", f"openid {MAIL}")
    bob = user_id(url, "bob@acme.test")
    assert query(url, "SELECT count(*) FROM mail_messages WHERE user_id = :u", u=bob)[0][0] > 0

    # ada is the only owner of Acme Mail: refused, named, and nothing changes.
    err = refused(url, "delete", "ada@acme.test")
    assert err["error"] == "owns_projects" and "Acme Mail" in err["message"]
    assert ok(url, "show", "ada@acme.test")["projects"] == [{"name": "Acme Mail", "role": "owner"}]

    out = ok(url, "delete", "bob@acme.test")
    assert out == {
        "email": "bob@acme.test",
        "deleted": True,
        "tokens_deleted": 1,
        "grants_deleted": 1,
        "sessions_ended": 1,
    }
    for table in ("tokens", "consent_grants", "session_accounts", "mail_messages", "trusted_devices"):
        assert query(url, f"SELECT count(*) FROM {table} WHERE user_id = :u", u=bob) == [(0,)], table
    assert query(url, "SELECT count(*) FROM users WHERE email = 'bob@acme.test'") == [(0,)]
    assert client.get("/userinfo", headers=bearer(t["access_token"])).status_code == 401
    assert refused(url, "show", "bob@acme.test")["error"] == "not_found"
    assert refused(url, "delete", "bob@acme.test")["error"] == "not_found"
    deleted = query(url, "SELECT actor, data FROM audit_events WHERE tag = 'user:delete'")
    assert len(deleted) == 1 and "bob@acme.test" in str(deleted[0][1])

    # With a second owner, ada may go; the project stays with its other owner.
    seed.user("cy@acme.test")
    query_write(
        url,
        "INSERT INTO project_members (project_id, user_id, role) "
        "SELECT id, :u, 'owner' FROM projects WHERE name = 'Acme Mail'",
        u=user_id(url, "cy@acme.test"),
    )
    assert ok(url, "delete", "ada@acme.test")["deleted"] is True
    assert ok(url, "show", "cy@acme.test")["projects"] == [{"name": "Acme Mail", "role": "owner"}]


def query_write(database_url: str, sql: str, **params: Any) -> None:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def test_console_script(sqlite_templates: Any) -> None:
    # ISSUE-11 cli: the installed `consentry` script: one JSON object, non-zero exit, no traceback
    url = sqlite_templates.fresh()
    env = {k: v for k, v in cli_env(url).items() if v is not None}
    base = without_consentry_settings()
    for args, stdin, error in (
        (("show", "nobody@acme.test"), "", "not_found"),
        (("set-password", "nobody@acme.test", "--password-stdin"), "long-enough-pw\n", "not_found"),
    ):
        p = subprocess.run(
            [CONSENTRY, "user", *args, "--json"],
            env={**base, **env},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert p.returncode != 0 and "Traceback" not in p.stderr, (p.stdout, p.stderr)
        assert json.loads(p.stdout)["error"] == error
