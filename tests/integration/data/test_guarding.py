"""Tokens, scopes and the access log on every data API call (AUTH0-1, AUTH0-3, AUTH0-4, SCOPE-1)."""

from __future__ import annotations

import re

from sqlalchemy import select

from consentry.domain.scopes.catalogue import Catalogue
from consentry.storage.tables import AccessLogEntry, Client, User
from tests.conftest import ISSUER
from tests.integration.data.conftest import FRIEND, USER, uri

READS = ("list", "get", "metadata", "content", "query", "stream")


def test_every_catalogue_operation_is_one_documented_route(app) -> None:  # SCOPE-1, AUTH0-4
    spec = app.openapi()
    routes = {
        (method.upper(), path): op
        for path, item in spec["paths"].items()
        if path.startswith("/data/v1/")
        for method, op in item.items()
    }
    catalogue = Catalogue(ISSUER)
    expected = {(op.method, op.path): op for op in catalogue.operations.values()}
    assert set(routes) == set(expected)
    for key, op in expected.items():
        documented = routes[key]
        assert documented["operationId"] == op.name
        assert documented["x-consentry-scopes"] == [s.name for s in catalogue.allowing(op.name)]
        # Reads are GET, writes are POST/PATCH/DELETE (AUTH0-4).
        assert (op.method == "GET") == (op.name.rsplit(".", 1)[1] in READS), op.name
    for path in ("/data/v1/mail/messages", "/data/v1/files", "/data/v1/calendar/events"):
        assert "get" in spec["paths"][path]
    assert "post" in spec["paths"]["/data/v1/mail/messages/send"]


def test_no_token_or_a_bad_token_is_401(client) -> None:  # AUTH0-4
    bare = client.get("/data/v1/calendar/events")
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"] == 'Bearer realm="consentry-data"'
    bogus = client.get("/data/v1/calendar/events", headers={"Authorization": "Bearer cs1.nope"})
    assert bogus.status_code == 401 and 'error="invalid_token"' in bogus.headers["www-authenticate"]
    assert bogus.json()["error"] == "invalid_token"
    in_query = client.get("/data/v1/calendar/events", params={"access_token": "cs1.nope"})
    assert in_query.status_code == 400  # RFC 9700: never in the URL


def test_revocation_takes_effect_at_once(api_for, client, app_client) -> None:  # AUTH0-3
    api = api_for("calendar.readonly")
    r = client.post(
        "/revoke", data={"token": api.token}, auth=(app_client.client_id, app_client.client_secret)
    )
    assert r.status_code == 200
    after = api("GET", "/data/v1/calendar/events")
    assert after.status_code == 401 and after.json()["error"] == "invalid_token"


def test_jwt_access_tokens_work_too(seed, browser, client) -> None:
    from tests.support.flows import tokens_for

    seed.user(USER)
    c = seed.client("web", project="JWT App", access_token_format="jwt")
    token = tokens_for(browser, client, c, USER, uri("calendar.freebusy"))["access_token"]
    assert token.count(".") == 2
    r = client.get(
        "/data/v1/calendar/freebusy",
        params={"start": 0, "end": 86400},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text


def test_tokens_without_a_user_are_refused(seed, client) -> None:
    service = seed.client("service", project="Robot")
    r = client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": uri("calendar.readonly")},
        auth=(service.client_id, service.client_secret),
    )
    assert r.status_code == 200, r.text
    got = client.get(
        "/data/v1/calendar/events", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert got.status_code == 401 and "user" in got.json()["error_description"]


def test_each_call_is_in_the_access_log(api_for, seed, app_client) -> None:
    """AUTH0-1, LIMIT-1: every use of a user's data is attributable (user, app, operation, scope, status),
    so it can be shown to the user and audited against the app's approved use."""
    api = api_for("mail.send")
    api("POST", "/data/v1/mail/messages/send", json={"to": [FRIEND], "subject": "s", "body": "b"})
    api("GET", "/data/v1/mail/messages")  # refused: logged with status 403 and no scope
    api("POST", "/data/v1/mail/messages/send", json={"to": ["not an address"]})  # bad input: 400
    with seed.db.unit_of_work() as s:
        user_id = s.scalar(select(User.id).where(User.email == USER))
        rows = s.scalars(
            select(AccessLogEntry).where(AccessLogEntry.user_id == user_id).order_by(AccessLogEntry.id)
        )
        log = [(e.operation, e.scope, e.status, e.client_id, e.client_pk) for e in rows]
        client_id = s.get(Client, app_client.pk).client_id
    assert log == [
        ("mail.messages.send", uri("mail.send"), 201, client_id, app_client.pk),
        ("mail.messages.list", "", 403, client_id, app_client.pk),
        ("mail.messages.send", uri("mail.send"), 400, client_id, app_client.pk),
    ]
    assert all(re.fullmatch(r"[\w.]+", e[0]) for e in log)
