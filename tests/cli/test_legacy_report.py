"""``consentry legacy report`` (issue 15): which apps still use which legacy protocol.

Tokens are issued through the real ClientLogin endpoint, then the command reads them back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.settings import Settings
from tests.conftest import ISSUER
from tests.integration.legacy.clientlogin_steps import login
from tests.support.databases import SECRET
from tests.support.seed import Seeder
from tests.support.suite_env import without_consentry_settings

CONSENTRY = str(Path(sys.executable).with_name("consentry"))


def run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = without_consentry_settings()
    env.update(
        CONSENTRY_DATABASE_URL=database_url,
        CONSENTRY_ISSUER=ISSUER,
        CONSENTRY_SECRET_KEY=SECRET,
        CONSENTRY_ENVIRONMENT="test",
        CONSENTRY_LEGACY_AUTHSUB="false",
        COLUMNS="200",
        NO_COLOR="1",
    )
    return subprocess.run(
        [CONSENTRY, "legacy", "report", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_report_lists_clientlogin_sources_with_their_users(
    seed: Seeder, settings: Settings, database_url: str
) -> None:
    # Issue 15: an operator report of which apps still use which legacy protocol
    seed.user("ada@example.org")
    seed.user("bo@example.org")
    with TestClient(create_app(settings), base_url=ISSUER) as http:
        assert login(http, "ada@example.org").status_code == 200
        assert login(http, "bo@example.org").status_code == 200
        assert login(http, "bo@example.org", source="Acme-Mailer-2.0", service="mail").status_code == 200
    done = run(database_url, "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["enabled"] == {"oauth1": True, "authsub": False, "clientlogin": True, "gadget": True}
    rows = {(a["source"], a["protocol"]): a for a in out["apps"]}
    assert set(rows) == {("Gulp-CalGulp-1.05", "clientlogin"), ("Acme-Mailer-2.0", "clientlogin")}
    gulp = rows[("Gulp-CalGulp-1.05", "clientlogin")]
    assert (gulp["tokens_issued"], gulp["users"], gulp["live_tokens"]) == (2, 2, 2)
    assert gulp["client_id"] == "clientlogin" and gulp["project"] == "Unregistered legacy apps"
    text = run(database_url)
    assert text.returncode == 0 and "Acme-Mailer-2.0" in text.stdout and "clientlogin on" in text.stdout


def test_report_refuses_a_bad_window(database_url: str) -> None:
    bad = run(database_url, "--days", "0", "--json")
    assert bad.returncode == 2 and json.loads(bad.stdout)["error"] == "invalid_days"
