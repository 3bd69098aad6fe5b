"""The real ``consentry`` console script, run in a subprocess as an operator would run it.

Every command takes ``--json`` and then prints exactly one JSON object on stdout (parsed here with
``json.loads(stdout)``, so any stray line fails the test). Covers accounts, projects (VERIFY-1:
a project groups clients, declared scopes and test users), clients, keys, scopes, ``db upgrade``,
``demo`` and ``serve --workers``; and that credentials are never stored in clear (SEC-3).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.settings import Settings
from tests.support.cli_fork import run_consentry
from tests.support.live import free_port
from tests.support.postgres import PostgresServer, create_database, drop_database
from tests.support.suite_env import without_consentry_settings

ISSUER = "http://cli.consentry.test"
SECRET = "cli-test-secret-key-0123456789abcdefghijklmn"
CONSENTRY = str(Path(sys.executable).with_name("consentry"))
COMMANDS = (
    "serve",
    "db",
    "keys",
    "org",
    "user",
    "project",
    "client",
    "demo",
    "scopes",
    "scan",
    "purge",
    "review",
    "outbox",
    "incident",
)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        """The one JSON object the command printed (anything else on stdout fails json.loads)."""
        data = json.loads(self.stdout)
        assert isinstance(data, dict), self.stdout
        return data


def cli_env(database_url: str) -> dict[str, str]:
    env = without_consentry_settings()
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


def consentry(
    database_url: str, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> Result:
    """The command in a fresh process of its own (forked from a pre-imported helper, see
    tests/support/cli_fork.py); ``test_the_installed_script_runs`` spawns the console script itself."""
    proc = run_consentry(list(args), {**cli_env(database_url), **(env or {})}, stdin or "")
    return Result(proc.returncode, proc.stdout, proc.stderr)


def ok(database_url: str, *args: str, stdin: str | None = None) -> dict[str, Any]:
    """Run a --json command that must succeed; return its JSON object."""
    r = consentry(database_url, *args, "--json", stdin=stdin)
    assert r.code == 0, f"consentry {' '.join(args)} exited {r.code}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r.json()


def failed(database_url: str, *args: str, code: int = 2) -> dict[str, Any]:
    """Run a --json command that must fail with exit 2 (bad input; 1: ours) and a JSON error object."""
    r = consentry(database_url, *args, "--json")
    assert r.code == code, f"expected exit {code}, got {r.code}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    err = r.json()
    assert set(err) == {"error", "message"} and err["error"], err
    return err


def settings_for(database_url: str) -> Settings:
    return Settings(database_url=database_url, issuer=ISSUER, secret_key=SECRET, environment="test")


def query(database_url: str, sql: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))
    finally:
        engine.dispose()


def sqlite_bytes(db_file: Path) -> bytes:
    """The database file plus its WAL and shared-memory files, whatever has not been checkpointed yet."""
    return b"".join(
        p.read_bytes() for p in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")) if p.exists()
    )


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "var" / "consentry.db"  # the directory does not exist yet: the CLI creates it


@pytest.fixture
def sqlite_url(db_file: Path) -> str:
    """A temporary SQLite file, migrated by the CLI itself."""
    url = f"sqlite:///{db_file}"
    out = ok(url, "db", "upgrade")
    assert out == {"database": url, "revision": "head"}
    return url


@pytest.fixture
def pg_url(pg_templates: Any) -> Iterator[str]:
    """An EMPTY PostgreSQL database (not the migrated template): `db upgrade` must build the schema."""
    server: PostgresServer = pg_templates.server
    name = f"cli_{uuid.uuid4().hex[:12]}"
    url = create_database(server, name)
    yield url
    drop_database(server, name)


# --- help ---------------------------------------------------------------------------------------------


def test_help_lists_every_command() -> None:
    r = consentry("sqlite://", "--help")
    assert r.code == 0, r.stderr
    for command in COMMANDS:
        assert command in r.stdout, f"{command} missing from consentry --help:\n{r.stdout}"
    serve = consentry("sqlite://", "serve", "--help")
    assert serve.code == 0 and "--workers" in serve.stdout and "--port" in serve.stdout, serve.stdout


def test_the_installed_script_runs(sqlite_url: str) -> None:
    # The console script itself, spawned as an operator's shell does (the other tests fork it).
    proc = subprocess.run(
        [CONSENTRY, "db", "upgrade", "--json"],
        env=cli_env(sqlite_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"database": sqlite_url, "revision": "head"}
    bad = subprocess.run(
        [CONSENTRY, "project", "show", "no-such-project", "--json"],
        env=cli_env(sqlite_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and json.loads(bad.stdout)["error"] == "not_found", bad.stdout
    assert "Traceback" not in bad.stderr


def test_an_error_repeating_what_was_typed_prints_it_literally(sqlite_url: str) -> None:
    # Rich markup in a name must not crash the text output nor restyle it.
    r = consentry(sqlite_url, "project", "show", "x[/y] [link=http://evil.example]z")
    assert r.code == 2, r.stderr
    assert "x[/y] [link=http://evil.example]z" in r.stderr and "Traceback" not in r.stderr


# --- db upgrade and demo ----------------------------------------------------------------------------


def test_db_upgrade_is_idempotent(sqlite_url: str, db_file: Path) -> None:
    assert db_file.exists()
    assert ok(sqlite_url, "db", "upgrade")["revision"] == "head"  # second run: nothing to do, same answer
    tables = {r[0] for r in query(sqlite_url, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "projects", "clients", "tokens", "signing_keys"} <= tables


def _check_demo(url: str) -> dict[str, Any]:
    out = ok(url, "demo")
    users = {u["email"]: u for u in out["users"]}
    assert users["alice@example.com"]["password"] == "alice-demo-password"
    assert users["alice@example.com"]["role"] == "admin"
    assert "carol@consumer.test" in users and all(u["password"] for u in users.values())
    web = out["clients"]["web"]
    assert web["client_id"].endswith(".apps.consentry") and len(web["client_secret"]) >= 43
    assert out["clients"]["installed"]["client_id"] and out["clients"]["device"]["client_id"]
    assert out["issuer"] == ISSUER
    # Every sample data API has content for every demo user (4 users).
    assert out["sample_data"] == {
        "messages": 12,
        "files": 12,
        "events": 12,
        "meeting_spaces": 4,
        "chat_messages": 4,
    }
    assert query(url, "SELECT count(*) FROM mail_messages")[0][0] == 12
    again = ok(url, "demo")
    assert again["demo"] == "already loaded"
    # SEC-3: the printed passwords and secret are not what the database holds.
    hashes = [r[0] for r in query(url, "SELECT password_hash FROM users")]
    assert len(hashes) == len(users) and all(h.startswith("$argon2id$") for h in hashes)
    stored = [
        r[0] for r in query(url, "SELECT secret_hash FROM clients WHERE client_id = :c", c=web["client_id"])
    ]
    assert stored and stored[0] and web["client_secret"] not in stored[0]
    return out


def test_demo_on_sqlite(sqlite_url: str, db_file: Path) -> None:
    out = _check_demo(sqlite_url)
    raw = sqlite_bytes(db_file)
    assert out["clients"]["web"]["client_secret"].encode() not in raw  # SEC-3
    assert b"alice-demo-password" not in raw


@pytest.mark.postgres
def test_db_upgrade_and_demo_on_postgres(pg_url: str) -> None:
    out = ok(pg_url, "db", "upgrade")
    assert out["revision"] == "head" and "@" not in out["database"]  # never prints credentials
    assert ok(pg_url, "db", "upgrade")["revision"] == "head"
    _check_demo(pg_url)


# --- accounts, projects, clients ----------------------------------------------------------------------


def test_operator_sets_up_an_org_a_project_and_clients(
    sqlite_url: str, db_file: Path
) -> None:  # VERIFY-1 SEC-3
    url = sqlite_url
    assert ok(url, "org", "add", "acme.test", "--name", "Acme") == {"domain": "acme.test", "name": "Acme"}
    password = "s3cret-Admin-passw0rd-xyz"
    user = ok(
        url,
        "user",
        "add",
        "ada@acme.test",
        "--password-stdin",
        "--org",
        "acme.test",
        "--role",
        "admin",
        stdin=password + "\n",
    )
    assert user["email"] == "ada@acme.test" and user["org"] == "acme.test" and user["role"] == "admin"
    assert user["sub"] and password not in json.dumps(user)
    # Without --password-stdin the command refuses (a password never goes on the command line).
    assert failed(url, "user", "add", "bob@acme.test")["error"] == "usage"

    project = ok(
        url,
        "project",
        "create",
        "Acme Mail",
        "--owner",
        "ada@acme.test",
        "--user-type",
        "internal",
        "--status",
        "testing",
    )
    assert project == {
        "project": "Acme Mail",
        "owner": "ada@acme.test",
        "user_type": "internal",
        "status": "testing",
    }
    assert failed(url, "project", "create", "Other", "--owner", "nobody@acme.test")["error"] == "not_found"

    # Bare scope names expand to {issuer}/auth/NAME; sign-in scopes stay bare.
    scopes = ok(url, "project", "scopes", "Acme Mail", "--add", "mail.readonly", "--add", "openid")
    assert scopes["declared_scopes"] == sorted(["openid", f"{ISSUER}/auth/mail.readonly"])
    bad = failed(url, "project", "scopes", "Acme Mail", "--add", "mail.teleport")
    assert bad["error"] == "invalid_scope" and "mail.teleport" in bad["message"]
    # ...and the failed command changed nothing.
    stored = query(url, "SELECT declared_scopes FROM projects WHERE name = 'Acme Mail'")[0][0]
    assert sorted(json.loads(stored) if isinstance(stored, str) else stored) == scopes["declared_scopes"]
    assert (
        failed(url, "project", "scopes", "No Such Project", "--add", "mail.readonly")["error"] == "not_found"
    )

    testers = ok(url, "project", "test-users", "Acme Mail", "--add", "a@b.c", "--add", "Tess@Acme.test")
    assert testers == {"project": "Acme Mail", "test_users": ["a@b.c", "tess@acme.test"]}
    bad = failed(url, "project", "test-users", "Acme Mail", "--add", "not an email", "--add", "x@y.z")
    assert bad["error"] == "invalid_email" and "not an email" in bad["message"]
    stored = query(url, "SELECT test_users FROM projects WHERE name = 'Acme Mail'")[0][0]
    assert (json.loads(stored) if isinstance(stored, str) else stored) == ["a@b.c", "tess@acme.test"]

    web = ok(
        url, "client", "create", "Acme Mail", "--type", "web", "--redirect-uri", "https://app.example.org/cb"
    )
    assert (
        web["client_id"] and web["type"] == "web" and web["redirect_uris"] == ["https://app.example.org/cb"]
    )
    assert isinstance(web["client_secret"], str) and len(web["client_secret"]) >= 43
    installed = ok(url, "client", "create", "Acme Mail", "--type", "installed")
    assert installed["client_id"] and installed["client_secret"] is None
    assert installed["redirect_uris"] == ["http://127.0.0.1"]
    service = ok(url, "client", "create", "Acme Mail", "--type", "service")
    assert service["client_id"] and len(service["client_secret"]) >= 43
    assert len({web["client_id"], installed["client_id"], service["client_id"]}) == 3

    # Plain http is for loopback redirect URIs only.
    evil = failed(
        url, "client", "create", "Acme Mail", "--type", "web", "--redirect-uri", "http://evil.example.org/cb"
    )
    assert evil["error"] == "invalid_redirect_uri", evil
    assert (
        failed(
            url,
            "client",
            "create",
            "Acme Mail",
            "--type",
            "service",
            "--redirect-uri",
            "https://app.example.org/cb",
        )["error"]
        == "invalid_redirect_uri"
    )
    assert failed(url, "client", "create", "Acme Mail", "--type", "rocket")["error"] == "invalid_client_type"

    # VERIFY-1: the project groups its three clients (the failed creations left nothing behind).
    rows = query(
        url,
        "SELECT c.client_id, c.client_type FROM clients c JOIN projects p ON p.id = c.project_id "
        "WHERE p.name = 'Acme Mail'",
    )
    assert {(r[0], r[1]) for r in rows} == {
        (web["client_id"], "web"),
        (installed["client_id"], "installed"),
        (service["client_id"], "service"),
    }

    # SEC-3: the password is stored as an argon2id hash and the client secrets appear nowhere in the file.
    pw_hash = query(url, "SELECT password_hash FROM users WHERE email = 'ada@acme.test'")[0][0]
    assert pw_hash.startswith("$argon2id$") and password not in pw_hash
    raw = sqlite_bytes(db_file)
    assert password.encode() not in raw
    for secret in (web["client_secret"], service["client_secret"]):
        assert secret.encode() not in raw


def test_domain_errors_are_json_not_tracebacks(sqlite_url: str) -> None:
    url = sqlite_url
    ok(url, "org", "add", "acme.test")
    assert failed(url, "org", "add", "acme.test")["error"] == "exists"
    assert failed(url, "org", "add", "not a domain")["error"] == "invalid_domain"
    r = consentry(url, "user", "add", "x@acme.test", "--password-stdin", "--json", stdin="short\n")
    assert r.code == 2 and r.json()["error"] == "weak_password"
    r = consentry(
        url,
        "user",
        "add",
        "x@acme.test",
        "--password-stdin",
        "--org",
        "nowhere.test",
        "--json",
        stdin="long-enough-password\n",
    )
    assert r.code == 2 and r.json()["error"] == "not_found"
    assert query(url, "SELECT count(*) FROM users")[0][0] == 0


# --- keys and scopes ----------------------------------------------------------------------------------


def _jwks(url: str) -> dict[str, Any]:
    with TestClient(create_app(settings_for(url)), base_url=ISSUER) as c:
        r = c.get("/jwks")
        assert r.status_code == 200
        return dict(r.json())


def test_keys_rotate_keeps_old_keys_published(sqlite_url: str) -> None:
    before = _jwks(sqlite_url)  # an app on the database creates the first key per algorithm
    assert len(before["keys"]) == 2
    out = ok(sqlite_url, "keys", "rotate")
    kids = out["active_kids"]
    assert len(kids) == 2 and len(set(kids)) == 2
    assert {k.split("-")[0] for k in kids} == {"rs256", "es256"}
    after = _jwks(sqlite_url)  # a new process (no cache) sees the rotation
    assert len(after["keys"]) == 4
    published = {k["kid"] for k in after["keys"]}
    assert set(kids) <= published and {k["kid"] for k in before["keys"]} <= published
    statuses = dict(query(sqlite_url, "SELECT kid, status FROM signing_keys"))
    assert {statuses[k] for k in kids} == {"active"}
    assert {statuses[k["kid"]] for k in before["keys"]} == {"retiring"}
    # Rotating with another secret key would seal keys no server can open (every token request would
    # fail): refused, and nothing changes.
    r = consentry(sqlite_url, "keys", "rotate", "--json", env={"CONSENTRY_SECRET_KEY": "x" * 40})
    assert r.code == 1 and r.json()["error"] == "secret_key_mismatch", (r.stdout, r.stderr)
    assert dict(query(sqlite_url, "SELECT kid, status FROM signing_keys")) == statuses


def test_database_errors_are_one_json_object(tmp_path: Path) -> None:
    """Not migrated, or unreachable: still exit 1 and one JSON error object, not a traceback."""
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    for args in (
        ("keys", "rotate"),
        ("org", "add", "acme.test"),
        ("project", "scopes", "P", "--add", "openid"),
    ):
        assert failed(empty, *args, code=1)["error"] == "database_error"
    unreachable = "postgresql+psycopg://nobody:secret-pw@127.0.0.1:1/nothing?connect_timeout=5"
    err = failed(unreachable, "db", "upgrade", code=1)
    assert err["error"] == "database_error" and "secret-pw" not in json.dumps(err)


def test_scopes_list(sqlite_url: str) -> None:
    out = ok(sqlite_url, "scopes", "list")
    rows = {s["scope"]: s for s in out["scopes"]}
    assert rows[f"{ISSUER}/auth/mail.readonly"]["class"] == "restricted"
    assert rows[f"{ISSUER}/auth/mail.readonly"]["api"] == "mail"
    assert rows["openid"]["api"] == "sign-in"
    assert {s["class"] for s in out["scopes"]} == {"non-sensitive", "sensitive", "restricted"}
    assert all(s["description"] for s in out["scopes"])
    calendar = ok(sqlite_url, "scopes", "list", "--api", "calendar")["scopes"]
    assert {s["api"] for s in calendar} == {"calendar"} and len(calendar) == 5
    table = consentry(sqlite_url, "scopes", "list", "--api", "mail")
    assert table.code == 0 and "mail.send" in table.stdout and "sensitive scope review" in table.stdout


def test_scopes_advise(sqlite_url: str) -> None:  # SCOPE-3
    out = ok(sqlite_url, "scopes", "advise", "mail.messages.send", "--requested", "mail")
    assert out["suggested"] == [f"{ISSUER}/auth/mail.send"]
    assert (out["requested_risk_points"], out["risk_points"]) == (1400, 10)
    assert out["verification"] == "sensitive scope review"
    every = ok(sqlite_url, "scopes", "advise", "files.list", "files.content", "--all-items")
    assert every["suggested"] == [f"{ISSUER}/auth/files.readonly"] and every["conditions"] == []
    assert failed(sqlite_url, "scopes", "advise", "mail.messages.teleport")["error"] == "unknown_operation"
    table = consentry(sqlite_url, "scopes", "advise", "calendar.freebusy.query")
    assert table.code == 0 and "calendar.freebusy" in table.stdout


# --- serve --------------------------------------------------------------------------------------------


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the direct children of ``pid``."""
    try:
        import psutil
    except ImportError:
        out = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                out.append((int(entry.name), cmdline))
        return out
    return [(p.pid, " ".join(p.cmdline())) for p in psutil.Process(pid).children()]


def _workers(pid: int) -> list[int]:
    """uvicorn's worker processes (multiprocessing's resource tracker is a child too, but serves nobody)."""
    return [p for p, cmd in _children(pid) if "resource_tracker" not in cmd]


def test_serve_runs_the_requested_number_of_workers(sqlite_url: str) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [CONSENTRY, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--json"],
        env=cli_env(sqlite_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )  # its own process group, so we can stop every worker
    try:
        deadline = time.monotonic() + 90
        healthy = False
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"serve exited {proc.returncode}: {proc.stderr.read()!r}"  # type: ignore[union-attr]
            try:
                healthy = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json() == {"status": "ok"}
            except httpx.HTTPError:
                healthy = False
            if healthy and len(_workers(proc.pid)) == 2:
                break
            time.sleep(0.3)
        assert healthy, "consentry serve did not answer /healthz"
        workers = _workers(proc.pid)
        assert len(workers) == 2, _children(proc.pid)
        # Both workers serve the same database (any one may answer).
        for _ in range(4):
            r = httpx.get(f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=5)
            assert r.status_code == 200 and r.json()["issuer"] == ISSUER
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    out, _err = proc.communicate()
    assert json.loads(out) == {"serving": f"http://127.0.0.1:{port}", "workers": 2}
    # Stopped cleanly: no worker outlives the group.
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
