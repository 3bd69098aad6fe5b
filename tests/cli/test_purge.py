"""``consentry purge`` run as an operator runs it: a subprocess, on SQLite and PostgreSQL.

# issue 4: tables stay bounded. ``--json`` prints exactly one JSON object; bad arguments exit 2 and
database problems exit 1, both with a message and never a Python traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.conftest import ISSUER
from tests.support.databases import SECRET
from tests.support.seed import Seeder
from tests.support.suite_env import without_consentry_settings

CONSENTRY = str(Path(sys.executable).with_name("consentry"))
TABLES = {
    "tokens",
    "authorization_codes",
    "device_codes",
    "interactions",
    "browser_sessions",
    "used_assertions",
    "rate_counters",
    "captcha_challenges",
    "trusted_devices",
    "signin_steps",
    "account_links",
    "legacy_requests",
    "legacy_nonces",
    "clientlogin_unlocks",
    "gadget_tokens",
    "outbox_mail",
    "clients",
    "access_requests",
}


def run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = without_consentry_settings()
    env.update(
        CONSENTRY_DATABASE_URL=database_url,
        CONSENTRY_ISSUER=ISSUER,
        CONSENTRY_SECRET_KEY=SECRET,
        CONSENTRY_ENVIRONMENT="test",
        COLUMNS="200",
        NO_COLOR="1",
    )
    return subprocess.run(
        [CONSENTRY, "purge", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def scalar(database_url: str, sql: str) -> Any:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def add_tokens(seed: Seeder, *, dead: int, live: int) -> None:
    c = seed.client("service")
    rows = [(f"d{i}", 1_000_000) for i in range(dead)] + [(f"l{i}", 4_000_000_000) for i in range(live)]
    with seed.db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO tokens (access_hash, client_pk, scope, grant_type, token_format, issued_at, "
                "expires_at, family, purge_after) VALUES (:h, :c, '', 'client_credentials', 'opaque', 0, :t, 'f', :t)"
            ),
            [{"h": h, "c": c.pk, "t": t} for h, t in rows],
        )


def test_purge_json_reports_per_table_counts(seed: Seeder, database_url: str) -> None:
    # issue 4: table stays bounded
    add_tokens(seed, dead=5, live=2)
    dry = run(database_url, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["tables"]["tokens"] == 5
    assert scalar(database_url, "SELECT count(*) FROM tokens") == 7  # dry run: nothing deleted

    r = run(database_url, "--json", "--batch", "2", "--grace", "0")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)  # the whole of stdout is one JSON object
    assert set(out) == {"deleted", "tables", "seconds"}
    assert set(out["tables"]) == TABLES
    assert out["deleted"] == 5 == out["tables"]["tokens"] and isinstance(out["seconds"], float)
    assert scalar(database_url, "SELECT count(*) FROM tokens") == 2
    again = json.loads(run(database_url, "--json").stdout)
    assert again["deleted"] == 0


def test_purge_human_output(seed: Seeder, database_url: str) -> None:
    add_tokens(seed, dead=3, live=1)
    r = run(database_url)
    assert r.returncode == 0, r.stderr
    assert "tokens" in r.stdout and "total" in r.stdout and "3" in r.stdout
    dry = run(database_url, "--dry-run")
    assert "would delete" in dry.stdout and "dry run" in dry.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grace", "-1"], "--grace must be 0 or more"),
        (["--batch", "0"], "--batch must be between 1 and"),
        (["--batch", "2000000"], "--batch must be between 1 and"),
    ],
)
def test_bad_numbers_exit_2_with_a_message(tmp_path: Path, args: list[str], message: str) -> None:
    url = f"sqlite:///{tmp_path / 'never-created.db'}"
    r = run(url, *args, "--json")
    assert r.returncode == 2
    err = json.loads(r.stdout)
    assert err["error"] == "invalid_argument" and message in err["message"]
    human = run(url, *args)
    assert human.returncode == 2 and message in human.stderr and "Traceback" not in human.stderr
    assert not (tmp_path / "never-created.db").exists()


def test_not_a_number_is_a_usage_error(tmp_path: Path) -> None:
    r = run(f"sqlite:///{tmp_path / 'x.db'}", "--batch", "many")
    assert r.returncode == 2 and "Invalid value for '--batch'" in r.stderr and "Traceback" not in r.stderr


def test_unmigrated_database_exit_1_without_traceback(tmp_path: Path) -> None:
    r = run(f"sqlite:///{tmp_path / 'empty.db'}", "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    err = json.loads(r.stdout)
    assert err["error"] == "database_error" and "tokens" in err["message"]
    assert "Traceback" not in r.stderr


def test_help_explains_the_options() -> None:
    r = subprocess.run(
        [CONSENTRY, "purge", "--help"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    assert r.returncode == 0
    for option in ("--grace", "--batch", "--dry-run", "--json", "reuse"):
        assert option in r.stdout
