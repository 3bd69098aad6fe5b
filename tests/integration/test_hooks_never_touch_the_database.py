"""The rule where hooks are registered (protocol/oauth2/exchange.py), enforced end to end (ISSUE-10).

A hook that opens a session while Authlib runs is refused on every path, and the request answers
in the protocol's format (500 ``server_error``) instead of blocking the event loop on a database.
"""

from __future__ import annotations

import logging

from sqlalchemy import text

from consentry.protocol.oauth2.grants.client_credentials import ClientCredentialsGrant
from tests.support.flows import tokens_for

CC = {"grant_type": "client_credentials"}


def test_a_hook_that_opens_a_session_fails_its_request(seed, app, client, monkeypatch, caplog):
    svc = seed.client("service")
    auth = (svc.client_id, svc.client_secret)
    assert client.post("/token", data=CC, auth=auth).status_code == 200

    def reads_the_database(grant, *_args):
        with grant.server.ctx.db.unit_of_work() as session:
            session.execute(text("SELECT 1"))

    def extension(grant):
        grant.register_hook("before_create_token_response", reads_the_database)

    server = app.state.runtime.server
    grants = [
        (cls, [*(ext or []), extension] if cls is ClientCredentialsGrant else ext)
        for cls, ext in server._token_grants
    ]
    monkeypatch.setattr(server, "_token_grants", grants)
    caplog.set_level(logging.ERROR)
    refused = client.post("/token", data=CC, auth=auth)
    assert refused.status_code == 500
    assert refused.json() == {"error": "server_error", "error_description": "Internal error."}
    assert "DatabaseForbidden" in caplog.text


def test_every_grant_and_endpoint_runs_without_a_session(seed, browser, app, client, monkeypatch):
    # Any statement while an exchange is bound raises; these flows would fail if a hook read or wrote.
    c = seed.client("web")
    seed.user("h@example.org")
    tok = tokens_for(browser, client, c, "h@example.org", "openid email", access_type="offline")
    auth = (c.client_id, c.client_secret)
    refreshed = client.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]}, auth=auth
    )
    assert refreshed.status_code == 200, refreshed.text
    rotated = {"token": tok["refresh_token"], "token_type_hint": "refresh_token"}
    assert client.post("/introspect", data=rotated, auth=auth).json() == {"active": False}
    assert client.post("/introspect", data={"token": refreshed.json()["access_token"]}, auth=auth).json()[
        "active"
    ]
    assert (
        client.post("/revoke", data={"token": refreshed.json()["refresh_token"]}, auth=auth).status_code
        == 200
    )
    gone = client.post("/introspect", data={"token": refreshed.json()["access_token"]}, auth=auth)
    assert gone.json() == {"active": False}
