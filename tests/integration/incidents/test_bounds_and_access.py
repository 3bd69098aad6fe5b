"""What a report may not do (SEC-6), on both engines: a date no page could show, another
project's incident, a report whose mail to the security contact is refused.

# SEC-6: every refusal says what to fix and stores nothing; a project reaches only its own
incidents; a report that did not reach the security contact's outbox is not kept as if it had.
"""

from __future__ import annotations

from typing import Any

from consentry.app import create_app
from consentry.settings import Settings
from tests.integration.events.test_console_and_api import signed_in
from tests.integration.incidents.world import (
    API,
    EDITOR,
    GOOD,
    HTML,
    OWNER,
    PAGE,
    STRANGER,
    World,
    audit,
    error_of,
    incidents,
    mails,
    notes,
)

OTHER = "Other Project"
OTHER_PAGE = "/console/projects/Other%20Project/incidents"
OTHER_API = "/api/v1/projects/Other%20Project/incidents"


def test_dates_no_page_could_show_are_refused_with_the_fields_code(world: World, app: Any) -> None:  # SEC-6
    """9999-12-31 at -23:59 is in the year 10000 in UTC: it was stored, then every page and mail
    showing it failed (500). Every parsed date is bounded now."""
    db = world.seed.db
    http, csrf = signed_in(app, EDITOR)
    with http:
        for change, code, words in (
            ({"statement_at": "9999-12-31T23:59:00-23:59"}, "invalid_statement_at", "within the next five"),
            ({"statement_at": "2100-01-01"}, "invalid_statement_at", "within the next five years"),
            ({"detected": "9999-12-31T23:59:00-23:59"}, "invalid_detected_at", "in the future"),
        ):
            r = http.post(PAGE, data={"csrf": csrf, **GOOD, **change}, headers=HTML)
            assert r.status_code == 400, (change, r.text[:500])
            assert error_of(r)[0] == code and words in error_of(r)[1]
            assert change.popitem()[1] in r.text  # the input is kept, to be corrected
        api = http.post(
            API,
            json={
                "summary": "s",
                "details": "d",
                "detected_at": "2026-05-04 09:30",
                "certainty": "suspected",
                "affected": "a",
                "statement": "planned",
                "statement_at": "9999-12-31T23:59:00-23:59",
            },
            headers={"X-CSRF-Token": csrf},
        )
        assert api.status_code == 400 and api.json()["error"] == "invalid_statement_at"
    assert incidents(db) == [] and mails(db) == []


def test_a_member_of_another_project_gets_404_for_its_incidents(world: World, app: Any) -> None:  # SEC-6
    """The incident's id is a plain number: asking for it under one's own project must not reach
    another project's incident, on the pages or the API, to read or to add an update."""
    db = world.seed.db
    world.seed.client("web", owner=STRANGER, project=OTHER)
    owner, ocsrf = signed_in(app, OWNER)
    with owner:
        r = owner.post(PAGE, data={"csrf": ocsrf, **GOOD}, follow_redirects=False)
        assert r.status_code == 303
    [row] = incidents(db)
    before = len(mails(db))

    http, csrf = signed_in(app, STRANGER)  # the owner of "Other Project"
    with http:
        assert http.get(OTHER_PAGE).status_code == 200  # their own project is fine
        page = http.get(f"{OTHER_PAGE}/{row.id}", headers=HTML)
        assert page.status_code == 404 and GOOD["summary"] not in page.text
        upd = http.post(
            f"{OTHER_PAGE}/{row.id}/update", data={"csrf": csrf, "update": "mine now"}, headers=HTML
        )
        assert upd.status_code == 404 and f"no incident #{row.id}" in upd.text
        assert "<code>not_found</code>" in upd.text
        got = http.get(f"{OTHER_API}/{row.id}")
        assert got.status_code == 404 and got.json()["error"] == "not_found"
        posted = http.post(
            f"{OTHER_API}/{row.id}/updates", json={"note": "mine now"}, headers={"X-CSRF-Token": csrf}
        )
        assert posted.status_code == 404 and posted.json() == {
            "error": "not_found",
            "error_description": f"no incident #{row.id}",
        }
        assert http.get(f"{OTHER_API}").json()["incidents"] == []
        # Under the incident's own project the stranger is no member: 404 too, never 403.
        assert http.get(f"{API}/{row.id}").status_code == 404
    assert notes(db, row.id) == [] and len(mails(db)) == before
    assert [t for t, _a, _d in audit(db)] == ["project:incident:report"]


def test_a_report_whose_mail_is_refused_is_not_stored(world: World, settings: Settings) -> None:  # SEC-6
    """The outbox refuses the security contact's address (settings validate it, but the outbox's
    rules are its own): the report must not be kept, audited "mailed=", and shown as mailed."""
    settings.__dict__["security_contact_address"] = "security-desk"  # no domain: the outbox refuses it
    app = create_app(settings)
    db = world.seed.db
    http, csrf = signed_in(app, EDITOR)
    with http:
        r = http.post(PAGE, data={"csrf": csrf, **GOOD}, headers=HTML)
        assert r.status_code == 503
        code, message = error_of(r)
        assert code == "security_contact_unreachable"
        assert message.startswith("The report was not stored: its mail to the platform's security contact")
        assert "CONSENTRY_SECURITY_CONTACT" in message and GOOD["details"] in r.text  # input kept
        api = http.post(
            API,
            json={
                "summary": GOOD["summary"],
                "details": GOOD["details"],
                "detected_at": GOOD["detected"],
                "certainty": "confirmed",
                "affected": GOOD["affected"],
            },
            headers={"X-CSRF-Token": csrf},
        )
        assert api.status_code == 503 and api.json()["error"] == "security_contact_unreachable"
    assert incidents(db) == [] and mails(db) == [] and audit(db) == []
