"""The fuzzers' world: one seeded server per engine and module, and the checks every answer must pass.

The world holds real clients, tokens, codes and device codes, so generated requests reach past the
first lookup. The victim client's secret is never given to the fuzzer: nothing it sends may change
the victim's tokens, and any request it gets refused must leave the database as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.settings import Settings
from consentry.storage.db import Database
from tests.conftest import ISSUER
from tests.security.support import MAIL, USER, db_state, offline_tokens
from tests.support.browserless import CSRF_RE, Browser, form_value, pkce_pair
from tests.support.databases import SECRET
from tests.support.flows import auth_params
from tests.support.postgres import drop_database
from tests.support.seed import SeededClient, Seeder

TRACEBACK_MARKERS = ("Traceback", 'File "')
#: Endpoints whose errors are JSON objects with an ``error`` member (RFC 6749 §5.2, RFC 6750 §3).
JSON_ERROR_PATHS = ("/token", "/revoke", "/introspect", "/device/code", "/userinfo", "/tokeninfo")


@dataclass
class World:
    """A migrated database with clients, a signed-in browser and live credentials to fuzz with."""

    db: Database
    http: TestClient
    browser: Browser
    victim: SeededClient
    attacker: SeededClient
    device: SeededClient
    service: SeededClient
    installed: SeededClient
    tokens: dict[str, str]
    service_token: str
    unused_code: str
    unused_verifier: str
    device_code: str
    user_code: str
    csrf: str
    counts: dict[str, int] = field(default_factory=dict)

    def pools(self) -> dict[str, list[str]]:
        """Real values per parameter kind (never the victim's client secret)."""
        return {
            "client_id": [
                c.client_id for c in (self.victim, self.attacker, self.device, self.service, self.installed)
            ],
            "client_secret": [s for s in (self.attacker.client_secret, self.service.client_secret) if s],
            "token": [*self.tokens.values(), self.service_token],
            "code": [self.unused_code],
            "code_verifier": [self.unused_verifier],
            "device_code": [self.device_code],
            "user_code": [self.user_code],
            "redirect_uri": [self.victim.redirect_uris[0], "http://127.0.0.1:5555/cb"],
            "scope": ["openid", "openid email", MAIL, f"openid {MAIL}", f"{ISSUER}/auth/mail.send"],
            "csrf": [self.csrf],
        }


def build_world(request: pytest.FixtureRequest, engine: str) -> Iterator[World]:
    """Seed a world on a fresh database of ``engine`` (the module-scoped fuzz fixtures' body)."""
    pg_name = None
    if engine == "sqlite":
        url = request.getfixturevalue("sqlite_templates").fresh()
    else:
        templates = request.getfixturevalue("pg_templates")
        pg_name, url = templates.fresh()
    settings = Settings(
        database_url=url, issuer=ISSUER, secret_key=SECRET, environment="test", janitor_interval=0
    )
    seed = Seeder(settings)
    app = create_app(settings)
    try:
        # A crash must come back as the 500 a client would see, so the checks can name the request.
        with (
            TestClient(app, base_url=ISSUER, raise_server_exceptions=False) as http,
            TestClient(app, base_url=ISSUER, raise_server_exceptions=False) as browser_http,
        ):
            browser = Browser(browser_http, ISSUER)
            victim = seed.client("web", name="Victim App")
            attacker = seed.client("web", name="Attacker App")
            device = seed.client("device")
            service = seed.client("service")
            installed = seed.client("installed")
            seed.user(USER)
            tokens = offline_tokens(browser, http, victim, scope=f"openid email {MAIL}")
            verifier, challenge = pkce_pair()
            again = browser.authorize(auth_params(victim, challenge, f"openid {MAIL}", prompt="none"))
            unused_code = dict(httpx.QueryParams(urlsplit(again.headers["location"]).query))["code"]
            svc = http.post(
                "/token",
                data={"grant_type": "client_credentials"},
                auth=(service.client_id, service.client_secret),
            )
            assert svc.status_code == 200, svc.text
            dc = http.post("/device/code", data={"client_id": device.client_id, "scope": f"openid {MAIL}"})
            assert dc.status_code == 200, dc.text
            device_page = browser.get(ISSUER + "/device")
            assert device_page.status_code == 200, device_page.text[:300]
            yield World(
                db=seed.db,
                http=http,
                browser=browser,
                victim=victim,
                attacker=attacker,
                device=device,
                service=service,
                installed=installed,
                tokens={k: tokens[k] for k in ("access_token", "refresh_token", "id_token")},
                service_token=svc.json()["access_token"],
                unused_code=unused_code,
                unused_verifier=verifier,
                device_code=dc.json()["device_code"],
                user_code=dc.json()["user_code"],
                csrf=form_value(device_page.text, CSRF_RE),
            )
    finally:
        seed.close()
        if pg_name is not None:
            drop_database(request.getfixturevalue("pg_templates").server, pg_name)


def _is_rejected(resp: httpx.Response) -> bool:
    """Refused: a 4xx, or a redirect that carries an OAuth error (RFC 6749 §4.1.2.1)."""
    if 400 <= resp.status_code < 500:
        return True
    if resp.status_code in (302, 303):
        query = httpx.QueryParams(urlsplit(resp.headers.get("location", "")).query)
        return "error" in query
    return False


def send(
    world: World, method: str, path: str, *, http: httpx.Client | None = None, **kwargs: Any
) -> httpx.Response:
    """Send one generated request and check the answer: no 5xx, no traceback, the protocol's error
    format, and a refused request leaves the database exactly as it was."""
    client = http or world.http
    before = db_state(world.db)
    resp = client.request(method, path, follow_redirects=False, **kwargs)
    shown = f"{method} {path} -> {resp.status_code}: {resp.text[:400]!r}"
    assert resp.status_code < 500, shown
    for marker in TRACEBACK_MARKERS:
        assert marker not in resp.text, shown
    if path in JSON_ERROR_PATHS and 400 <= resp.status_code < 500:
        assert resp.headers.get("content-type", "").startswith("application/json"), shown
        body = json.loads(resp.text)
        assert isinstance(body, dict) and isinstance(body.get("error"), str), shown
    if _is_rejected(resp):
        assert db_state(world.db) == before, f"a refused request changed the database: {shown}"
    return resp


def assert_victim_alive(world: World) -> None:
    """After a fuzz run: the victim's tokens are as the fuzzer found them (never refreshed by it,
    since it never had the secret), so its access token still introspects active."""
    r = world.http.post(
        "/introspect",
        data={"token": world.tokens["access_token"]},
        auth=(world.victim.client_id, world.victim.client_secret),
    )
    assert r.status_code == 200 and r.json()["active"] is True, r.text
