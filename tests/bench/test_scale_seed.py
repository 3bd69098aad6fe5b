"""``bench/scale/seed.py`` with tiny counts: exactly the rows asked for, and ``consentry purge`` agrees.

# issue 4: table stays bounded. The seeder makes the 1M-token database the purge is measured on, so
it must insert what it says (on both engines) and its expired rows must be what purge deletes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.support.databases import SECRET

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "bench" / "scale" / "seed.py"
CONSENTRY = str(Path(sys.executable).with_name("consentry"))
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def seed(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SEED), "--database-url", database_url, "--secret-key", SECRET, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def rows(database_url: str, sql: str) -> list[Any]:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)))
    finally:
        engine.dispose()


def scale_tokens(database_url: str) -> list[Any]:
    return rows(
        database_url,
        "SELECT t.access_hash, t.refresh_hash, t.purge_after, t.expires_at, c.client_id, c.secret_hash "
        "FROM tokens t JOIN clients c ON c.id = t.client_pk JOIN projects p ON p.id = c.project_id "
        "WHERE p.name = 'Scale'",
    )


def test_seeds_exactly_the_requested_rows_and_purge_removes_the_expired(database_url: str) -> None:
    # issue 4: table stays bounded
    r = seed(database_url, "--clients", "3", "--tokens", "10", "--expired", "4", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {k: out[k] for k in ("clients", "tokens", "expired")} == {"clients": 3, "tokens": 10, "expired": 4}
    assert isinstance(out["seconds"], float | int)

    clients = rows(
        database_url,
        "SELECT c.client_id, c.client_type, c.secret_hash FROM clients c "
        "JOIN projects p ON p.id = c.project_id WHERE p.name = 'Scale'",
    )
    assert len(clients) == 3 and len({c.client_id for c in clients}) == 3
    assert all(c.client_type == "service" and HEX64.match(c.secret_hash) for c in clients)

    tokens = scale_tokens(database_url)
    now = int(time.time())
    live = [t for t in tokens if t.purge_after > now]
    dead = [t for t in tokens if t.purge_after < now - 86_400]
    assert len(tokens) == 14 and len(live) == 10 and len(dead) == 4
    hashes = [t.access_hash for t in tokens] + [t.refresh_hash for t in tokens]
    assert all(HEX64.match(h) for h in hashes) and len(set(hashes)) == 28
    assert {t.client_id for t in tokens} == {c.client_id for c in clients}  # spread over the clients

    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENTRY_")}
    env.update(CONSENTRY_DATABASE_URL=database_url, CONSENTRY_SECRET_KEY=SECRET, CONSENTRY_ENVIRONMENT="test")
    purged = subprocess.run(
        [CONSENTRY, "purge", "--json"], env=env, capture_output=True, text=True, check=False
    )
    assert purged.returncode == 0, purged.stderr
    assert json.loads(purged.stdout)["tables"]["tokens"] == 4
    assert sorted(t.access_hash for t in scale_tokens(database_url)) == sorted(t.access_hash for t in live)

    # A second run adds to the same project with new client ids.
    again = seed(database_url, "--clients", "2", "--tokens", "1", "--expired", "0", "--json")
    assert again.returncode == 0, again.stderr
    assert len(rows(database_url, "SELECT id FROM projects WHERE name = 'Scale'")) == 1
    assert len(scale_tokens(database_url)) == 11


def test_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    r = seed(f"sqlite:///{tmp_path / 'empty.db'}", "--clients", "1", "--tokens", "1", "--json")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "consentry db upgrade" in json.loads(r.stdout)["message"]


def test_bad_counts_are_usage_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert seed(url, "--clients", "-1", "--tokens", "1").returncode == 2
    r = seed(url, "--clients", "0", "--tokens", "5")
    assert r.returncode == 2 and "--clients" in r.stderr
