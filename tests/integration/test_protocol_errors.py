"""One error mapper for every protocol endpoint (ISSUE-10): the same failure, the same answer."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from consentry.storage.group_commit import GroupCommit
from tests.conftest import ISSUER

OUTAGES = [
    sqlite3.OperationalError("database is locked"),
    psycopg.OperationalError("connection refused"),
    OperationalError("SELECT 1", {}, Exception("server closed the connection")),
]
BASIC = ("some-client", "some-secret")
REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/token", {"data": {"grant_type": "client_credentials"}, "auth": BASIC}),
    ("POST", "/token", {"data": {"grant_type": "refresh_token", "refresh_token": "r"}, "auth": BASIC}),
    ("POST", "/revoke", {"data": {"token": "t"}, "auth": BASIC}),
    ("POST", "/introspect", {"data": {"token": "t"}, "auth": BASIC}),
    ("POST", "/device/code", {"data": {"client_id": "some-client"}}),
    ("GET", "/userinfo", {"headers": {"Authorization": "Bearer t"}}),
    ("POST", "/tokeninfo", {"data": {"access_token": "t"}}),
]


@pytest.mark.parametrize("outage", OUTAGES, ids=["sqlite3", "psycopg", "sqlalchemy"])
def test_a_database_outage_is_503_with_retry_after_on_every_endpoint(app, client, monkeypatch, outage):
    # ISSUE-10: before, the token lane answered 503 and the FastAPI route 500 for the same failure.
    async def down(self, item):
        raise outage

    monkeypatch.setattr(GroupCommit, "submit", down)
    for method, path, kwargs in REQUESTS:
        r = client.request(method, path, **kwargs)
        assert r.status_code == 503, (path, r.status_code, r.text)
        assert r.headers["retry-after"] == "5", path
        assert r.json() == {"error": "temporarily_unavailable", "error_description": "Try again in a moment."}
        assert r.headers["cache-control"] == "no-store"


def test_a_database_outage_on_the_authorization_endpoint_is_a_503_page(seed, app, browser, monkeypatch):
    # ISSUE-10: the browser gets a page that says to try again, never a 500 or a trace.
    c = seed.client("web")
    query = {
        "response_type": "code",
        "client_id": c.client_id,
        "redirect_uri": c.redirect_uris[0],
        "scope": "openid",
    }

    async def down(self, item):
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(GroupCommit, "submit", down)
    r = browser.http.get(f"{ISSUER}/authorize", params=query, headers={"Accept": "text/html"})
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert "Try again in a moment" in r.text and "Traceback" not in r.text


def test_a_protocol_endpoint_named_with_the_wrong_method_says_which_to_use(client):  # ISSUE-10
    r = client.get("/token")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert r.json() == {"error": "invalid_request", "error_description": "Use POST."}
    assert client.put("/userinfo").headers["allow"] == "GET, POST"
