"""GET /api/v1/scopes and /api/v1/scopes/advice (SCOPE-1, SCOPE-3)."""

from __future__ import annotations

from tests.conftest import ISSUER


def test_scope_catalogue_as_json(client) -> None:  # SCOPE-1
    r = client.get("/api/v1/scopes")
    assert r.status_code == 200
    scopes = {s["name"]: s for s in r.json()["scopes"]}
    assert len(scopes) == 33
    send = scopes["mail.send"]
    assert send["scope"] == f"{ISSUER}/auth/mail.send"
    assert (send["scope_class"], send["verification"]) == ("sensitive", "sensitive scope review")
    assert send["operations"] == [
        {"id": "mail.messages.send", "method": "POST", "path": "/data/v1/mail/messages/send"}
    ]
    assert send["data_types"] == [{"id": "mail.outgoing", "label": "New messages sent on your behalf"}]
    assert scopes["files.file"]["reach"] == "granted-files"
    assert scopes["openid"]["scope"] == "openid"
    only = client.get("/api/v1/scopes", params={"api": "meetings"}).json()["scopes"]
    assert sorted(s["name"] for s in only) == [
        "meetings.media.readonly",
        "meetings.space.created",
        "meetings.space.readonly",
    ]


def test_advice(client) -> None:  # SCOPE-3
    r = client.get(
        "/api/v1/scopes/advice",
        params=[
            ("operation", "mail.messages.send"),
            ("requested", f"{ISSUER}/auth/mail"),
            ("requested", "openid"),
        ],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["suggested"] == ["openid", f"{ISSUER}/auth/mail.send"]
    # Sign-in scopes allow no data operation: they add no risk points.
    assert body["requested_risk"]["risk_points"] == 1400 and body["suggested_risk"]["risk_points"] == 10
    assert body["requested_risk"]["highest_class"] == "restricted"
    assert body["suggested_risk"]["verification"] == "sensitive scope review"


def test_advice_errors_are_json(client) -> None:
    assert client.get("/api/v1/scopes/advice").json()["error"] == "invalid_request"
    r = client.get("/api/v1/scopes/advice", params={"operation": "x.y"})
    assert r.status_code == 400 and r.json() == {
        "error": "unknown_operation",
        "error_description": "unknown operation(s): x.y",
    }
    r = client.get(
        "/api/v1/scopes/advice", params={"operation": "files.list", "requested": "files.everything"}
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
