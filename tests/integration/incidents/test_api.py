"""Incidents over ``/api/v1`` (SEC-6): the project reports and reads, the platform tracks; both engines.

# SEC-6: the same rules as the console: editors report, viewers read, reviewers acknowledge, note
and resolve; writes need X-CSRF-Token; every refusal is JSON with a stable code and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from tests.integration.events.test_console_and_api import signed_in
from tests.integration.incidents.world import (
    API,
    CONTACT,
    EDITOR,
    OWNER,
    REVIEWER,
    STRANGER,
    VIEWER,
    World,
    audit,
    incidents,
    mails,
)

BODY: dict[str, Any] = {
    "summary": "Client secret committed to a public repository",
    "details": "The web client's secret was in a public commit for six hours.",
    "detected_at": "2026-05-04T09:30:00+02:00",
    "certainty": "suspected",
    "affected": "Every user of the web client; scopes openid email calendar.readonly",
    "affected_users": 40,
    "containment": "Secret rotated.",
    "statement": "none",
}


def test_report_read_and_update_over_the_api(world: World, app: Any) -> None:  # SEC-6
    db = world.seed.db
    http, csrf = signed_in(app, EDITOR)
    with http:
        assert http.post(API, json=BODY).status_code == 403  # no X-CSRF-Token
        head = {"X-CSRF-Token": csrf}
        bad = http.post(API, json={**BODY, "detected_at": "soon"}, headers=head)
        assert bad.status_code == 400
        assert (
            bad.json()["error"] == "invalid_detected_at"
            and "YYYY-MM-DD HH:MM" in bad.json()["error_description"]
        )
        schema = http.post(API, json={**BODY, "severity": "high"}, headers=head)
        assert schema.status_code == 400 and schema.json() == {
            "error": "invalid_request",
            "error_description": "severity is not a field of this request",
        }
        # Schema refusals name the field, as the domain's do.
        for nasty, code in (
            ({"detected_at": "2026-05-04\u0000"}, "invalid_detected_at"),
            ({"statement": "made", "statement_at": "\ud800"}, "invalid_statement_at"),
            ({"summary": "a\ud800"}, "invalid_summary"),
            ({"details": "x" * 20_000}, "invalid_details"),
            ({"affected_users": -1}, "invalid_affected_users"),
            ({"certainty": "likely"}, "invalid_certainty"),
            ({"statement_at": "9999-12-31T23:59:00-23:59", "statement": "planned"}, "invalid_statement_at"),
        ):
            raw = json.dumps({**BODY, **nasty})  # lone surrogates escaped, as a hostile client sends them
            r = http.post(API, content=raw, headers={**head, "content-type": "application/json"})
            assert (r.status_code, r.json()["error"]) == (400, code), (nasty, r.text)
        long = http.post(API, json={**BODY, "details": "x" * 20_000}, headers=head).json()
        assert long["error_description"] == "details: String should have at most 10000 characters"
        assert incidents(db) == [] and mails(db) == []

        r = http.post(API, json=BODY, headers=head)
        assert r.status_code == 201, r.text
        out = r.json()
        assert out["state"] == "reported" and out["state_label"] == "Reported"
        assert out["detected_at"] == 1777879800  # 07:30 UTC: the offset was honoured
        assert (out["reported_by"], out["security_contact"], out["affected_users"]) == (EDITOR, CONTACT, 40)
        assert out["notes"] == [] and out["explained"].startswith("The platform's security contact has it")

        listed = http.get(API).json()["incidents"]
        assert [(i["id"], i["summary"]) for i in listed] == [(out["id"], BODY["summary"])]
        upd = http.post(f"{API}/{out['id']}/updates", json={"note": "Repository made private."}, headers=head)
        assert upd.status_code == 200
        assert [(n["side"], n["author"], n["body"]) for n in upd.json()["notes"]] == [
            ("developer", EDITOR, "Repository made private.")
        ]
        assert http.get(f"{API}/424242").status_code == 404
        assert http.get(f"{API}/99999999999").status_code == 400  # beyond any id: a schema error, not a 500

    assert [to for to, *_ in mails(db)] == [
        [CONTACT],
        sorted({"dev@mailsorter.example.com", OWNER, EDITOR}),  # not the support address
        [CONTACT],
    ]
    assert [(t, d["channel"]) for t, _a, d in audit(db)] == [
        ("project:incident:report", "api"),
        ("project:incident:update", "api"),
    ]

    viewer, vcsrf = signed_in(app, VIEWER)
    with viewer:
        assert viewer.get(API).status_code == 200
        refused = viewer.post(API, json=BODY, headers={"X-CSRF-Token": vcsrf})
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    stranger, _ = signed_in(app, STRANGER)
    with stranger:
        assert stranger.get(API).status_code == 404
        assert stranger.get(f"{API}/{out['id']}").status_code == 404
    assert len(incidents(db)) == 1


def test_the_platform_tracks_over_the_review_api(world: World, app: Any) -> None:  # SEC-6
    db = world.seed.db
    dev, dcsrf = signed_in(app, OWNER)
    with dev:
        incident = dev.post(API, json=BODY, headers={"X-CSRF-Token": dcsrf}).json()["id"]
        assert dev.get("/api/v1/review/incidents").status_code == 403
        ack = dev.post(
            f"/api/v1/review/incidents/{incident}/acknowledge", json={}, headers={"X-CSRF-Token": dcsrf}
        )
        assert ack.status_code == 403

    http, csrf = signed_in(app, REVIEWER)
    head = {"X-CSRF-Token": csrf}
    base = f"/api/v1/review/incidents/{incident}"
    with http:
        queue = http.get("/api/v1/review/incidents").json()
        assert [(i["id"], i["state"], i["overdue"]) for i in queue["incidents"]] == [
            (incident, "reported", False)
        ]
        assert queue["counts"]["open"] == 1 and queue["counts"]["closed"] == 0
        assert http.get("/api/v1/review/incidents?state=sometimes").json()["error"] == "invalid_state"

        assert (
            http.post(base + "/acknowledge", json={"note": "Thanks."}, headers=head).json()["state"]
            == "acknowledged"
        )
        again = http.post(base + "/acknowledge", json={}, headers=head)
        assert again.status_code == 409 and again.json() == {
            "error": "wrong_state",
            "error_description": "cannot acknowledge an incident that is acknowledged",
        }
        noted = http.post(base + "/notes", json={"note": "Rotate the other client too."}, headers=head)
        assert [n["body"] for n in noted.json()["notes"]] == ["Thanks.", "Rotate the other client too."]
        done = http.post(
            base + "/resolve", json={"note": "No misuse seen.", "outcome": "no_finding"}, headers=head
        )
        assert done.status_code == 200 and done.json()["state"] == "closed_no_finding"
        assert done.json()["closed_by"] == REVIEWER
        closed = http.get("/api/v1/review/incidents?state=closed").json()["incidents"]
        assert [i["id"] for i in closed] == [incident]
        assert http.get("/api/v1/review/incidents/777").status_code == 404

    with dev:
        seen = dev.get(f"{API}/{incident}").json()
        assert seen["state"] == "closed_no_finding"
        assert [(n["side"], n["action"]) for n in seen["notes"]] == [
            ("platform", "acknowledged"),
            ("platform", ""),
            ("platform", "closed_no_finding"),
        ]
    assert [t for t, _a, _d in audit(db, "review:")] == [
        "review:incident:acknowledge",
        "review:incident:note",
        "review:incident:close",
    ]
