"""HTTPS only (SEC-1: user data protected in transit), over HTTP on SQLite and PostgreSQL.

What the server itself can enforce: under an ``https://`` issuer every answer, whichever lane
produced it (pages, the token lane, the body limit, JSON errors), tells browsers to use HTTPS only
(HSTS) and every cookie is ``Secure``; a production deployment refuses to start on plain http;
everything it publishes is https; and what developers register for users' data to travel to
(web redirect URIs, the consent screen's addresses) must be https, loopback development servers
excepted. A plain-http issuer (the loopback development server) sends no HSTS, so a developer's
browser is not pinned to https for 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.domain.accounts.devices import COOKIE as DEVICE_COOKIE
from consentry.settings import Settings
from consentry.web.session import COOKIE as SESSION_COOKIE
from tests.integration.api import (
    error,
    sign_in,
    snapshot,
)
from tests.support.browserless import CSRF_RE, FLOW_RE, form_value
from tests.support.databases import SECRET
from tests.support.flows import PASSWORD
from tests.support.seed import Seeder

HTTPS = "https://id.consentry.example"
HSTS = "max-age=63072000; includeSubDomains"
USER = "ada@example.com"


@pytest.fixture
def https_settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        issuer=HTTPS,
        secret_key=SECRET,
        environment="test",
        janitor_interval=0,
        mail_interval=0,
    )


@pytest.fixture
def https(https_settings: Settings) -> Iterator[TestClient]:
    """A browser talking to a server whose issuer is https (TLS terminates in front of it)."""
    with TestClient(create_app(https_settings), base_url=HTTPS) as c:
        yield c


def _answers(c: TestClient) -> dict[str, httpx.Response]:
    """One answer from each lane that writes its own headers."""
    return {
        "page": c.get("/signin"),
        "redirect": c.get("/console", follow_redirects=False),
        "not found": c.get("/no/such/page"),
        "discovery": c.get("/.well-known/openid-configuration"),
        "api 401": c.get("/api/v1/session"),
        "data api 401": c.get("/data/v1/mail/messages"),
        "token lane": c.post("/token", data={"grant_type": "authorization_code", "code": "x"}),
        "body limit": c.post(
            "/token",
            content=b"code=" + b"a" * (17 * 1024),
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
    }


# SEC-7 OWASP A02:2021 Cryptographic Failures: CWE-319: HSTS on every answer, so nothing travels in clear.
def test_every_answer_of_an_https_issuer_demands_https(https: TestClient) -> None:  # SEC-1
    answers = _answers(https)
    assert answers["body limit"].status_code == 413 and answers["token lane"].status_code in (400, 401)
    for lane, r in answers.items():
        assert r.headers.get("strict-transport-security") == HSTS, lane
    max_age = int(HSTS.split(";")[0].split("=")[1])
    assert max_age >= 365 * 24 * 3600  # at least a year, as browsers' preload lists ask


def test_a_plain_http_issuer_pins_no_browser_to_https(client: TestClient) -> None:  # SEC-1
    for lane, r in _answers(client).items():
        assert "strict-transport-security" not in r.headers, lane


# SEC-7 OWASP A05:2021 Security Misconfiguration: CWE-614: every cookie is Secure (and HttpOnly) under an
#   https issuer.
def test_every_cookie_of_an_https_issuer_is_secure(
    https: TestClient, https_settings: Settings
) -> None:  # SEC-1
    seeder = Seeder(https_settings)
    try:
        seeder.user(USER)
    finally:
        seeder.close()
    page = https.get("/signin")
    form = {
        "csrf": form_value(page.text, CSRF_RE),
        "flow": form_value(page.text, FLOW_RE),
        "email": USER,
        "password": PASSWORD,
        "next": "",
    }
    done = https.post("/signin", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text[:500]
    cookies = page.headers.get_list("set-cookie") + done.headers.get_list("set-cookie")
    names = {c.split("=", 1)[0] for c in cookies}
    assert {SESSION_COOKIE, DEVICE_COOKIE} <= names, names  # the session and the trusted-device one
    for cookie in cookies:
        flags = [f.strip().lower() for f in cookie.split(";")[1:]]
        assert "secure" in flags and "httponly" in flags, cookie
    assert https.get("/api/v1/session").json()["email"] == USER  # and the secure cookie works


def test_discovery_publishes_only_https_addresses(https: TestClient) -> None:  # SEC-1
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        meta = https.get(path).json()
        urls = [v for v in meta.values() if isinstance(v, str) and "://" in v]
        urls += [v for v in meta.get("consentry_legacy_endpoints", {}).values() if isinstance(v, str)]
        assert len(urls) > 8, path
        insecure = [u for u in urls if not u.startswith(HTTPS + "/") and u != HTTPS]
        assert not insecure, (path, insecure)


# SEC-7 OWASP A05:2021 Security Misconfiguration: An insecure configuration (plain http in production) does
#   not start.
@pytest.mark.parametrize(
    "issuer", ["http://id.consentry.example", "http://127.0.0.1:8000", "id.consentry.example"]
)
def test_production_refuses_to_run_without_https(issuer: str) -> None:  # SEC-1
    with pytest.raises(ValidationError, match="CONSENTRY_ISSUER must be https in production"):
        Settings(issuer=issuer, secret_key=SECRET, environment="production", password_hash_cost="standard")
    production = Settings(
        issuer=HTTPS, secret_key=SECRET, environment="production", password_hash_cost="standard"
    )
    assert production.secure_cookies


def test_web_redirect_uris_are_https_except_loopback(app: Any, seed: Seeder) -> None:  # SEC-1
    seed.user("dev@example.com")
    dev = sign_in(app, "dev@example.com")
    assert dev.post("/api/v1/projects", {"name": "Mailer", "status": "production"}).status_code == 201
    clients = "/api/v1/projects/Mailer/clients"
    before = snapshot(seed)
    for uri in ("http://app.example.org/cb", "http://app.example.org:443/cb", "http://10.0.0.5/cb"):
        r = dev.post(clients, {"type": "web", "redirect_uris": [uri]})
        assert r.status_code == 400 and error(r) == "invalid_redirect_uri", (uri, r.text)
        assert "http is allowed only for loopback addresses" in r.json()["error_description"], uri
    assert snapshot(seed) == before
    # https anywhere; plain http only where the data never leaves the developer's machine.
    for uri in (
        "https://app.example.org/cb",
        "http://127.0.0.1:8080/cb",
        "http://[::1]:8080/cb",
        "http://localhost:3000/cb",
    ):
        r = dev.post(clients, {"type": "web", "redirect_uris": [uri]})
        assert r.status_code == 201, (uri, r.text)
        assert r.json()["client"]["redirect_uris"] == [uri]


def test_the_consent_screens_addresses_must_be_https(app: Any, seed: Seeder) -> None:  # SEC-1
    seed.user("dev@example.com")
    dev = sign_in(app, "dev@example.com")
    assert dev.post("/api/v1/projects", {"name": "Mailer"}).status_code == 201
    before = snapshot(seed)
    for field in ("home_page", "privacy_policy", "terms"):
        r = dev.patch(
            "/api/v1/projects/Mailer/consent-screen",
            {"authorized_domains": ["mailer.example.com"], field: "http://mailer.example.com/page"},
        )
        assert r.status_code == 400 and error(r) == "insecure_url", (field, r.text)
        assert "plain http is not allowed" in r.json()["error_description"]
    assert snapshot(seed) == before
