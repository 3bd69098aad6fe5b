"""Requests that store rows before anyone signs in are limited per address and per client (issue 9.11)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.settings import Settings
from consentry.storage.tables import DeviceCode, Interaction, RateCounter
from tests.conftest import ISSUER
from tests.support.browserless import pkce_pair
from tests.support.seed import Seeder

CAL = f"{ISSUER}/auth/calendar.readonly"


@pytest.fixture
def small(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "flow_address_limit": 3,
            "flow_client_limit": 5,
            "device_address_limit": 2,
            "device_client_limit": 3,
        }
    )


@pytest.fixture
def app_(small: Settings):
    return create_app(small)


@pytest.fixture
def seeded(small: Settings):
    seeder = Seeder(small)
    yield seeder
    seeder.close()


def _at(app, address: str) -> TestClient:
    return TestClient(app, base_url=ISSUER, client=(address, 40000))


def _count(seed: Seeder, table: type) -> int:
    with seed.db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def _authorize(http: TestClient, client_id: str, redirect_uri: str):
    _verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return http.get("/authorize?" + urlencode(query), follow_redirects=False)


def test_anonymous_authorize_requests_stop_storing_flow_state_per_address(app_, seeded: Seeder) -> None:
    # ISSUE-9.11: each anonymous GET /authorize stored an interactions row, without limit.
    c = seeded.client("web")
    with _at(app_, "203.0.113.20") as visitor:
        for _ in range(3):
            r = _authorize(visitor, c.client_id, c.redirect_uris[0])
            assert r.status_code == 302 and r.headers["location"].startswith("/signin?flow=")
        refused = _authorize(visitor, c.client_id, c.redirect_uris[0])
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Too many sign-in requests came from your network or for this app." in refused.text
    assert "temporarily_unavailable" in refused.text
    assert _count(seeded, Interaction) == 3
    with _at(app_, "198.51.100.20") as other:  # another address is not affected
        assert _authorize(other, c.client_id, c.redirect_uris[0]).status_code == 302


def test_anonymous_authorize_requests_are_limited_per_client_across_addresses(app_, seeded: Seeder) -> None:
    # ISSUE-9.11: many addresses (a botnet) still cannot fill the table through one app.
    c = seeded.client("web")
    statuses = []
    for i in range(7):
        with _at(app_, f"192.0.2.{i + 1}") as visitor:
            statuses.append(_authorize(visitor, c.client_id, c.redirect_uris[0]).status_code)
    assert statuses == [302] * 5 + [429] * 2
    assert _count(seeded, Interaction) == 5


def test_refused_authorize_requests_for_unknown_clients_store_nothing(app_, seeded: Seeder) -> None:
    with _at(app_, "203.0.113.21") as visitor:
        for i in range(10):
            r = _authorize(visitor, f"no-such-client-{i}", "https://evil.example/cb")
            assert r.status_code == 400 and "invalid_client" in r.text
    assert _count(seeded, Interaction) == 0 and _count(seeded, RateCounter) == 0


def test_device_codes_are_limited_per_address(app_, seeded: Seeder) -> None:
    # ISSUE-9.11: each POST /device/code stored a device_codes row, without limit.
    c = seeded.client("device")
    with _at(app_, "203.0.113.30") as tv:
        ok = [tv.post("/device/code", data={"client_id": c.client_id, "scope": CAL}) for _ in range(2)]
        refused = tv.post("/device/code", data={"client_id": c.client_id, "scope": CAL})
    assert [r.status_code for r in ok] == [200, 200]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    body = refused.json()
    assert body["error"] == "temporarily_unavailable"
    assert body["error_description"].startswith("Too many device codes were requested.")
    assert refused.headers["cache-control"] == "no-store"
    assert _count(seeded, DeviceCode) == 2


def test_device_codes_are_limited_per_client_across_addresses(app_, seeded: Seeder) -> None:
    c = seeded.client("device")
    statuses = []
    for i in range(5):
        with _at(app_, f"198.51.100.{i + 1}") as tv:
            statuses.append(
                tv.post("/device/code", data={"client_id": c.client_id, "scope": CAL}).status_code
            )
    assert statuses == [200, 200, 200, 429, 429]
    assert _count(seeded, DeviceCode) == 3


def test_unknown_device_clients_add_no_counter_of_their_own(app_, seeded: Seeder) -> None:
    with _at(app_, "203.0.113.31") as tv:
        r = tv.post("/device/code", data={"client_id": "made-up", "scope": CAL})
    assert r.status_code in (400, 401) and r.json()["error"] == "invalid_client"
    assert _count(seeded, RateCounter) == 1  # the address's only
