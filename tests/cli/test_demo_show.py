"""``consentry demo [--show]``: the demo users and clients can be printed again, and they work.

# ISSUE-11 cli: the CLI app in process, on SQLite and PostgreSQL. The demo's client
secret is derived from CONSENTRY_SECRET_KEY (demo clients only), so ``--show`` prints the secret that
authenticates, and only while it still matches; a demo password is shown only while it still signs
in. Running ``demo`` twice is no error. Production refuses the demo outright.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from starlette.testclient import TestClient
from typer.testing import CliRunner

from consentry.cli.main import app
from tests.conftest import ISSUER
from tests.support.browserless import Browser, pkce_pair
from tests.support.databases import SECRET
from tests.support.suite_env import SUITE

DEMO_PASSWORDS = {
    "alice@example.com": "alice-demo-password",
    "bob@example.com": "bob-demo-password",
    "rita@example.com": "rita-demo-password",
    "carol@consumer.test": "carol-demo-password",
}


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def run(database_url: str, *args: str, stdin: str = "", **env: str) -> Run:
    """``consentry ARGS`` in process (test_cli.py runs ``demo`` through the console script)."""
    full: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CONSENTRY_")}
    full.update(SUITE)
    full.update(
        CONSENTRY_DATABASE_URL=database_url,
        CONSENTRY_ISSUER=ISSUER,
        CONSENTRY_SECRET_KEY=SECRET,
        CONSENTRY_ENVIRONMENT="test",
        COLUMNS="200",
        NO_COLOR="1",
        TERM="dumb",
    )
    full.update(env)
    r = CliRunner().invoke(app, list(args), input=stdin, env=full)
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return Run(r.exit_code, r.stdout, r.stderr)


def demo_json(database_url: str, *args: str, **env: str) -> tuple[int, dict[str, Any]]:
    p = run(database_url, "demo", *args, "--json", **env)
    assert "Traceback" not in p.stderr, p.stderr
    data = json.loads(p.stdout)  # exactly one JSON object on stdout
    assert isinstance(data, dict), p.stdout
    return p.returncode, data


def count(database_url: str, sql: str) -> int:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar() or 0)
    finally:
        engine.dispose()


def test_demo_show_prints_working_credentials_again(
    database_url: str, browser: Browser, client: TestClient
) -> None:
    # ISSUE-11 cli: demo --show, idempotent demo, derived demo client secret, refused in production
    url = database_url
    code, err = demo_json(url, "--show")
    assert code != 0 and err["error"] == "not_found" and "consentry demo" in err["message"]

    code, loaded = demo_json(url)
    assert code == 0 and loaded["demo"] == "loaded" and loaded["sample_data"]["messages"] == 12
    code, shown = demo_json(url, "--show")
    assert code == 0 and shown["demo"] == "shown" and "sample_data" not in shown
    # --show prints exactly what the first run printed (users, passwords, clients, secret).
    for key in ("organization", "users", "project", "clients", "issuer"):
        assert shown[key] == loaded[key], key
    assert {u["email"]: u["password"] for u in shown["users"]} == DEMO_PASSWORDS
    clients = shown["clients"]
    assert set(clients) == {"web", "installed", "device"}
    web = clients["web"]
    assert web["type"] == "web" and web["redirect_uris"] == [
        "http://127.0.0.1:8765/callback",
        "https://oauth.pstmn.io/v1/callback",
    ]
    assert len(web["client_secret"]) >= 43 and "CONSENTRY_SECRET_KEY" in web["client_secret_note"]
    assert "client_secret" not in clients["installed"] and "client_secret" not in clients["device"]
    assert clients["installed"]["redirect_uris"] == ["http://127.0.0.1"]

    # Running demo again changes nothing and reports what exists.
    code, again = demo_json(url)
    assert code == 0 and again["demo"] == "already loaded" and again["clients"] == clients
    assert count(url, "SELECT count(*) FROM users") == 4
    assert count(url, "SELECT count(*) FROM clients") == 3
    assert count(url, "SELECT count(*) FROM mail_messages") == 12

    # The secret is stored only as a keyed hash, and it authenticates the client.
    assert count(url, f"SELECT count(*) FROM clients WHERE secret_hash = '{web['client_secret']}'") == 0
    intro = client.post("/introspect", data={"token": "x"}, auth=(web["client_id"], web["client_secret"]))
    assert intro.status_code == 200 and intro.json() == {"active": False}
    wrong = client.post("/introspect", data={"token": "x"}, auth=(web["client_id"], "not-the-secret"))
    assert wrong.status_code == 401
    # A printed password signs in.
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": web["client_id"],
        "redirect_uri": web["redirect_uris"][0],
        "scope": "openid email",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    q = browser.login_and_consent(params, "bob@example.com", DEMO_PASSWORDS["bob@example.com"])
    token = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": q["code"],
            "redirect_uri": params["redirect_uri"],
            "code_verifier": verifier,
        },
        auth=(web["client_id"], web["client_secret"]),
    )
    assert token.status_code == 200, token.text

    # Under another secret key the derived secret would be wrong: not shown, and the way out is named.
    code, other = demo_json(url, "--show", CONSENTRY_SECRET_KEY="another-secret-key-0123456789abcdefghijkl")
    assert code == 0 and other["clients"]["web"]["client_secret"] is None
    assert "rotate-secret" in other["clients"]["web"]["client_secret_note"]
    # A password changed since is not printed as if it still worked.
    changed = run(
        url, "user", "set-password", "bob@example.com", "--password-stdin", stdin="bobs-own-password\n"
    )
    assert changed.returncode == 0, changed.stderr
    code, after = demo_json(url, "--show")
    bob = next(u for u in after["users"] if u["email"] == "bob@example.com")
    assert code == 0 and bob["password"] is None and "changed" in bob["note"]
    p = run(url, "demo", "--show")
    assert p.returncode == 0, p.stderr
    assert "alice-demo-password" in p.stdout and web["client_secret"] in p.stdout
    assert "bob-demo-password" not in p.stdout and "bob@example.com" in p.stdout
    assert "demo --show" in p.stdout


def test_demo_is_refused_in_production(database_url: str) -> None:
    # ISSUE-11 cli: published passwords and a derivable client secret never reach production
    production = {
        "CONSENTRY_ENVIRONMENT": "production",
        "CONSENTRY_ISSUER": "https://id.example.test",
        "CONSENTRY_PASSWORD_HASH_COST": "standard",
    }
    for args in ((), ("--show",)):
        code, err = demo_json(database_url, *args, **production)
        assert code != 0 and err["error"] == "refused_in_production", err
    assert count(database_url, "SELECT count(*) FROM users") == 0
    assert count(database_url, "SELECT count(*) FROM clients") == 0
