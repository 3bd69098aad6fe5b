"""ISSUE-9.13: /metrics answers only allowed addresses (and the bearer token when set), summed over workers.

The page shows how busy the server is and which requests fail: loopback only by default
(``CONSENTRY_METRICS_ALLOW``), plus ``CONSENTRY_METRICS_TOKEN`` compared in constant time. Each
worker counts into prometheus-client's multiprocess directory, which ``consentry serve`` empties
before forking, so any worker's scrape shows every worker's counts and none from a previous run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.cli.metrics_dir import MULTIPROC_ENV, prepare_metrics_dir
from consentry.settings import Settings
from consentry.web.metrics import FLUSH_EVERY
from tests.conftest import ISSUER
from tests.support.databases import SECRET
from tests.support.live import start_server

TOKEN = "metrics-token-0123456789abcdef"
FORBIDDEN = {"error": "access_denied", "error_description": "Metrics are not served to this address."}
NEEDS_TOKEN = {"error": "invalid_token", "error_description": "A valid metrics bearer token is required."}
TOKEN_400 = re.compile(r'^consentry_protocol_responses_total\{endpoint="/token",status="400"\} (\S+)$', re.M)


@contextmanager
def _client(settings: Settings, peer: str, **over: Any) -> Iterator[TestClient]:
    app = create_app(Settings(**{**settings.model_dump(), **over}))
    with TestClient(app, base_url=ISSUER, client=(peer, 50000)) as c:
        yield c


def test_default_serves_loopback_only(settings):  # ISSUE-9.13 address allow list, loopback default
    for peer in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        with _client(settings, peer) as c:
            r = c.get("/metrics")
            assert r.status_code == 200 and "consentry_protocol_responses" in r.text, peer
            assert r.headers["cache-control"] == "no-store"
    for peer in ("203.0.113.5", "10.0.0.1", "testclient"):
        with _client(settings, peer) as c:
            r = c.get("/metrics")
            assert r.status_code == 403 and r.json() == FORBIDDEN, peer


def test_allow_list_and_bearer_token(settings):  # ISSUE-9.13 CONSENTRY_METRICS_ALLOW + _TOKEN
    over = {"metrics_allow": "10.0.0.0/8, 192.0.2.7", "metrics_token": TOKEN}
    with _client(settings, "10.1.2.3", **over) as c:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
            r = c.get("/metrics", headers=headers)
            assert r.status_code == 401 and r.json() == NEEDS_TOKEN, headers
            assert r.headers["www-authenticate"] == 'Bearer realm="metrics", error="invalid_token"'
        assert c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    for peer in ("127.0.0.1", "192.0.2.8"):  # the token does not open other addresses
        with _client(settings, peer, **over) as c:
            r = c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert r.status_code == 403 and r.json() == FORBIDDEN, peer
    with _client(settings, "127.0.0.1", metrics_allow="") as c:  # empty: nobody
        assert c.get("/metrics").status_code == 403


def test_a_bad_allow_entry_stops_start_up():  # ISSUE-9.13 refused at start, not at the first scrape
    with pytest.raises(ValidationError, match=r"10\.0\.0\.300/8"):
        Settings(metrics_allow="127.0.0.1/32,10.0.0.300/8")


def test_prepare_metrics_dir_starts_empty(tmp_path, monkeypatch):  # ISSUE-9.13 fresh directory per run
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path / "m"))
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "counter_1.db").write_bytes(b"old")
    (tmp_path / "m" / "keep.txt").write_text("not ours")
    assert prepare_metrics_dir() == tmp_path / "m"
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["keep.txt"]
    monkeypatch.delenv(MULTIPROC_ENV)
    made = prepare_metrics_dir()
    assert os.environ[MULTIPROC_ENV] == str(made) and made.is_dir() and not any(made.iterdir())


def _stale_counts(directory: Path, n: int) -> None:
    """Counter files as a previous run would have left them (same metric, same labels)."""
    code = f"from consentry.web.metrics import Metrics\nm = Metrics()\nfor _ in range({n}): m.count('/token', 400)"
    env = {**os.environ, MULTIPROC_ENV: str(directory)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert list(directory.glob("counter_*.db"))


def _count(url: str) -> float:
    r = httpx.get(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert r.status_code == 200, r.text
    m = TOKEN_400.search(r.text)
    return float(m.group(1)) if m else 0.0


def _bad_grant(url: str) -> int:
    """A counted protocol response (/token, 400), on a new connection: any worker may accept it."""
    return httpx.post(url + "/token", data={"grant_type": "x"}, timeout=10).status_code


def test_two_workers_count_into_one_total(database_url, tmp_path):  # ISSUE-9.13 multiprocess mode
    multiproc = tmp_path / "prom"
    multiproc.mkdir()
    _stale_counts(multiproc, 1000)
    env = {"CONSENTRY_SECRET_KEY": SECRET, "CONSENTRY_METRICS_TOKEN": TOKEN, MULTIPROC_ENV: str(multiproc)}
    server = start_server(database_url, env=env, workers=2)
    sent = 0
    try:
        with ThreadPoolExecutor(8) as pool:
            # Concurrent connections until both workers have counted (each writes its own file).
            for _ in range(25):
                codes = list(pool.map(lambda _i: _bad_grant(server.url), range(16)))
                assert codes == [400] * 16
                sent += 16
                # A worker writes its file when it first adds its counts, at most FLUSH_EVERY later.
                time.sleep(FLUSH_EVERY + 0.2)
                if len(list(multiproc.glob("counter_*.db"))) >= 2:
                    break
        assert len(list(multiproc.glob("counter_*.db"))) == 2, "both workers must have served requests"
        # Whichever worker answers a scrape, it shows every worker's counts (added by now, see above)
        # and none of the last run's.
        assert {_count(server.url) for _ in range(10)} == {float(sent)}
    finally:
        server.stop()
