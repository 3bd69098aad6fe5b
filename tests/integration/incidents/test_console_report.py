"""A project reports a security incident from the developer console (SEC-6), on both engines.

# SEC-6: "Security incidents (known or suspected unauthorized access) are reported promptly to the
platform's security contact, before any public statement; the platform tracks them."

The report lands in the outbox addressed to the security contact in the same commit that stores
it, with a copy for the project's contacts carrying the "before any public statement" rule. Every
refusal says what to fix, keeps the input, and stores nothing.
"""

from __future__ import annotations

from typing import Any

from consentry.storage.tables.base import now
from tests.integration.events.test_console_and_api import signed_in
from tests.integration.incidents.world import (
    CONTACT,
    DEV_CONTACTS,
    EDITOR,
    GOOD,
    HTML,
    OWNER,
    PAGE,
    STRANGER,
    SUPPORT,
    VIEWER,
    World,
    audit,
    error_of,
    incidents,
    mails,
)


def test_an_editor_reports_and_the_security_contact_is_mailed(world: World, app: Any) -> None:  # SEC-6
    db = world.seed.db
    http, csrf = signed_in(app, EDITOR)
    with http:
        page = http.get(PAGE)
        assert page.status_code == 200
        assert 'aria-current="page">Incidents</a>' in page.text
        assert f"<code>{CONTACT}</code>" in page.text and "before any public statement" in page.text
        assert 'id="no-incidents"' in page.text and 'id="report-form"' in page.text
        assert 'id="open-incidents"' not in http.get(PAGE.removesuffix("/incidents")).text

        r = http.post(PAGE, data={"csrf": csrf, **GOOD}, follow_redirects=False)
        assert r.status_code == 303
        [row] = incidents(db)
        assert r.headers["location"] == f"{PAGE}/{row.id}?saved=reported"

        shown = http.get(r.headers["location"])
        assert shown.status_code == 200
        assert "Incident reported. The platform&#39;s security contact has been mailed" in shown.text
        assert 'id="incident-state" data-state="reported"' in shown.text
        assert "Make no public statement before they have." in shown.text
        assert 'data-users="1200"' in shown.text and "About 1,200" in shown.text
        assert "Planned for 2030-05-10 00:00 UTC" in shown.text
        listed = http.get(PAGE)
        assert f'data-incident="{row.id}" data-state="reported"' in listed.text
        overview = http.get(PAGE.removesuffix("/incidents"))
        assert 'id="open-incidents"' in overview.text and "1 security incident open" in overview.text

    assert (row.state, row.certainty, row.affected_users, row.statement) == (
        "reported",
        "confirmed",
        1200,
        "planned",
    )
    assert row.detected_at == 1777887000  # 2026-05-04 09:30 UTC
    assert row.reported_by == EDITOR and row.security_contact == CONTACT and now() - row.reported_at < 60
    assert row.details.endswith("\n\nFound by our own scan.")

    [(to_contact, subject, body, reason), (to_project, copy_subject, copy, copy_reason)] = mails(db)
    assert to_contact == [CONTACT] and reason == copy_reason == "project:incident:report"
    assert subject == f"[Consentry security] Incident #{row.id} (confirmed): Mail Sorter App"
    assert GOOD["summary"] in body and "Users affected: about 1,200" in body
    assert "Public statement: planned for 2030-05-10 00:00 UTC" in body
    assert f"http://testserver.local/review/incidents/{row.id}" in body
    assert f"Project contacts: {', '.join(sorted([*DEV_CONTACTS, EDITOR, OWNER]))}" in body
    # The copy holds the whole report: owners and developer contacts, never the support address
    # (often a shared help-desk inbox).
    assert sorted(to_project) == sorted([*DEV_CONTACTS, OWNER, EDITOR]) and SUPPORT not in to_project
    assert copy_subject == f"[Consentry] Mail Sorter App: security incident #{row.id} reported"
    assert "Before any public statement: make no public statement about this incident" in copy
    assert f"security contact, {CONTACT}." in copy
    assert f"http://testserver.local/console/projects/Mail%20Sorter/incidents/{row.id}" in copy

    [(tag, actor, data)] = audit(db)
    assert (tag, actor) == ("project:incident:report", EDITOR)
    assert data == {
        "project": "Mail Sorter",
        "incident": row.id,
        "certainty": "confirmed",
        "mailed": CONTACT,
        "channel": "web",
    }


def test_refusals_say_what_to_fix_keep_the_input_and_store_nothing(world: World, app: Any) -> None:  # SEC-6
    db = world.seed.db
    http, csrf = signed_in(app, OWNER)
    cases = [
        ({"summary": ""}, "invalid_summary", "Fill in the summary."),
        ({"summary": "x" * 201}, "invalid_summary", "Keep the summary under 200 characters (it has 201)."),
        ({"summary": "two\nlines"}, "invalid_summary", "Write the summary on one line."),
        ({"details": "y" * 5001}, "invalid_details", "Keep what happened under 5,000 characters"),
        ({"detected": "last tuesday"}, "invalid_detected_at", "Give the detection time as YYYY-MM-DD HH:MM"),
        ({"detected": "2999-01-01 00:00"}, "invalid_detected_at", "The detection time is in the future."),
        ({"certainty": "maybe"}, "invalid_certainty", "Say whether the access is suspected or confirmed."),
        ({"affected": "  "}, "invalid_affected", "Fill in what is affected."),
        ({"affected_users": "lots"}, "invalid_affected_users", "as a whole number"),
        ({"affected_users": "-3"}, "invalid_affected_users", "as a whole number"),
        ({"statement": "planned", "statement_at": ""}, "invalid_statement_at", "Give the statement date"),
        ({"statement": "made", "statement_at": "2999-01-01"}, "invalid_statement_at", "choose 'planned'"),
        ({"statement": "tweet"}, "invalid_statement", "planned, already made, or not planned"),
        ({"containment": "bad\x07bell"}, "invalid_containment", "control characters"),
    ]
    with http:
        for change, code, words in cases:
            typed = {**GOOD, **change}
            r = http.post(PAGE, data={"csrf": csrf, **typed}, headers=HTML)
            assert r.status_code == 400, (change, r.text[:500])
            assert error_of(r)[0] == code and words in error_of(r)[1], (change, error_of(r))
            assert 'id="report-form"' in r.text
            kept = "containment" if "containment" not in change else "affected"
            assert GOOD[kept] in r.text  # what was typed is kept
        no_csrf = http.post(PAGE, data=GOOD, headers=HTML)
        assert no_csrf.status_code == 403 and "session check failed" in no_csrf.text
    assert incidents(db) == [] and mails(db) == [] and audit(db) == []


def test_viewers_read_strangers_see_nothing(world: World, app: Any) -> None:  # SEC-6
    db = world.seed.db
    owner, csrf = signed_in(app, OWNER)
    with owner:
        assert owner.post(PAGE, data={"csrf": csrf, **GOOD}, follow_redirects=False).status_code == 303
    [row] = incidents(db)

    viewer, vcsrf = signed_in(app, VIEWER)
    with viewer:
        page = viewer.get(PAGE)
        assert (
            page.status_code == 200
            and 'id="viewer-note"' in page.text
            and 'id="report-form"' not in page.text
        )
        detail = viewer.get(f"{PAGE}/{row.id}")
        assert detail.status_code == 200 and GOOD["summary"] in detail.text
        assert 'id="update-form"' not in detail.text and "Owners and editors add updates." in detail.text
        refused = viewer.post(PAGE, data={"csrf": vcsrf, **GOOD}, headers=HTML)
        assert refused.status_code == 403 and "does not allow this (project:edit)" in refused.text
        update = viewer.post(f"{PAGE}/{row.id}/update", data={"csrf": vcsrf, "update": "hi"}, headers=HTML)
        assert update.status_code == 403

    stranger, _ = signed_in(app, STRANGER)
    with stranger:
        for path in (PAGE, f"{PAGE}/{row.id}"):
            r = stranger.get(path, headers=HTML)
            assert r.status_code == 404 and GOOD["summary"] not in r.text
    assert len(incidents(db)) == 1 and len(mails(db)) == 2


def test_updates_reach_the_security_contact_and_odd_ids_are_not_found(
    world: World, app: Any
) -> None:  # SEC-6
    db = world.seed.db
    http, csrf = signed_in(app, OWNER)
    with http:
        http.post(PAGE, data={"csrf": csrf, **GOOD})
        [row] = incidents(db)
        r = http.post(f"{PAGE}/{row.id}/update", data={"csrf": csrf, "update": "  "}, headers=HTML)
        assert r.status_code == 400 and error_of(r) == ("invalid_note", "Fill in the update.")
        r = http.post(
            f"{PAGE}/{row.id}/update",
            data={"csrf": csrf, "update": "Also calendar tokens."},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"].endswith("?saved=updated")
        page = http.get(r.headers["location"])
        assert 'data-side="developer"' in page.text and "Also calendar tokens." in page.text
        for odd in ("999", "99999999999999", "0"):
            r = http.get(f"{PAGE}/{odd}", headers=HTML)
            assert r.status_code == 404 and f"no incident #{int(odd)}" in r.text
    *_, (to, subject, body, reason) = mails(db)
    assert to == [CONTACT] and reason == "project:incident:update"
    assert subject == f"[Consentry security] Incident #{row.id}: update from Mail Sorter App"
    assert f"{OWNER} added an update" in body and "Also calendar tokens." in body
