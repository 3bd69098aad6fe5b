"""Adding, listing, renaming and removing an account's passkeys over HTTP (ACCT-3)."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select, update
from starlette.testclient import TestClient

from consentry.storage.tables import AuditEvent, OutboxMail, Passkey, User
from tests.conftest import ISSUER
from tests.support.browserless import Browser
from tests.support.matching import matched
from tests.support.passkey_http import csrf_on, enrol, post_json, sign_in_with_password
from tests.support.webauthn_authenticator import Authenticator

EMAIL = "dorothy@example.org"


def _signed_in(seed: Any, browser: Browser, email: str = EMAIL, **kw: Any) -> None:
    seed.user(email, **kw)
    sign_in_with_password(browser, email)


def _keys(seed: Any) -> list[Passkey]:
    with seed.db.unit_of_work() as db:
        return list(db.scalars(select(Passkey).order_by(Passkey.id)))


def _form(browser: Browser, path: str, **fields: str) -> Any:
    csrf = csrf_on(browser, "/account/passkeys")
    return browser.http.post(ISSUER + path, data={"csrf": csrf, **fields}, follow_redirects=False)


def test_registration_options_name_the_account_by_its_sub(seed, browser):  # ACCT-3
    _signed_in(seed, browser)
    csrf = csrf_on(browser, "/account/passkeys")
    opt = post_json(browser, "/account/passkeys/options", csrf, {}).json()["options"]
    with seed.db.unit_of_work() as db:
        user = db.scalars(select(User).where(User.email == EMAIL)).one()
    handle = base64.urlsafe_b64decode(opt["user"]["id"] + "=" * (-len(opt["user"]["id"]) % 4))
    assert handle == user.sub.encode()  # opaque and stable: never the row id or the address
    assert opt["rp"] == {"id": "testserver.local", "name": "Consentry"}
    assert opt["attestation"] == "none"
    assert opt["authenticatorSelection"]["residentKey"] == "preferred"
    assert opt["authenticatorSelection"]["userVerification"] == "preferred"
    assert opt["excludeCredentials"] == []


def test_a_key_already_added_is_excluded_from_the_next_registration(seed, browser, auth):  # ACCT-3
    _signed_in(seed, browser)
    assert enrol(browser, auth).status_code == 201
    csrf = csrf_on(browser, "/account/passkeys")
    opt = post_json(browser, "/account/passkeys/options", csrf, {}).json()["options"]
    assert [c["id"] for c in opt["excludeCredentials"]] == [auth.credentials[0].id]


def test_the_page_lists_each_key_with_when_and_what_it_verifies(seed, browser, auth):  # ACCT-3
    _signed_in(seed, browser)
    empty = browser.get("/account/passkeys")
    assert empty.status_code == 200 and 'id="no-passkeys"' in empty.text
    assert enrol(browser, auth, name="Work laptop").json()["redirect"] == "/account/passkeys?done=added"
    assert (
        enrol(browser, Authenticator(origin=ISSUER, user_verifying=False), name="Old key").status_code == 201
    )
    page = browser.get("/account/passkeys?done=added")
    assert "Passkey added." in page.text
    assert "Work laptop" in page.text and "Old key" in page.text
    assert page.text.count("Not used yet") == 2
    assert page.text.count(">Verifies you<") == 1 and page.text.count(">Second step<") == 1


def test_a_registration_answer_is_accepted_once(seed, browser, auth):  # ACCT-3
    _signed_in(seed, browser)
    csrf = csrf_on(browser, "/account/passkeys")
    opt = post_json(browser, "/account/passkeys/options", csrf, {}).json()
    body = {"step": opt["step"], "name": "Phone", "credential": auth.create(opt["options"])}
    assert post_json(browser, "/account/passkeys", csrf, body).status_code == 201
    again = post_json(browser, "/account/passkeys", csrf, body)
    assert (again.status_code, again.json()["error"]) == (400, "passkey_expired")
    assert len(_keys(seed)) == 1


def test_a_registration_for_another_challenge_or_site_is_refused(seed, browser, auth):  # ACCT-3
    _signed_in(seed, browser)
    csrf = csrf_on(browser, "/account/passkeys")
    first = post_json(browser, "/account/passkeys/options", csrf, {}).json()
    second = post_json(browser, "/account/passkeys/options", csrf, {}).json()
    wrong = {"step": second["step"], "name": "", "credential": auth.create(first["options"])}
    r = post_json(browser, "/account/passkeys", csrf, wrong)
    assert (r.status_code, r.json()["error"]) == (400, "passkey_invalid") and "challenge" in r.json()[
        "error_description"
    ]
    third = post_json(browser, "/account/passkeys/options", csrf, {}).json()
    phished = {
        "step": third["step"],
        "credential": auth.create(third["options"], origin="https://evil.example"),
    }
    r = post_json(browser, "/account/passkeys", csrf, phished)
    assert (r.status_code, r.json()["error"]) == (400, "passkey_invalid") and "origin" in r.json()[
        "error_description"
    ]
    assert _keys(seed) == []


def test_another_browsers_registration_step_is_refused(seed, app, browser, auth):  # ACCT-3
    _signed_in(seed, browser)
    csrf = csrf_on(browser, "/account/passkeys")
    opt = post_json(browser, "/account/passkeys/options", csrf, {}).json()
    answer = auth.create(opt["options"])
    with TestClient(app, base_url=ISSUER) as http:  # the same account, signed in elsewhere
        other = Browser(http, ISSUER)
        sign_in_with_password(other, EMAIL)
        r = post_json(
            other,
            "/account/passkeys",
            csrf_on(other, "/account/passkeys"),
            {"step": opt["step"], "credential": answer},
        )
        assert (r.status_code, r.json()["error"]) == (400, "passkey_expired")
    assert (
        post_json(browser, "/account/passkeys", csrf, {"step": opt["step"], "credential": answer}).status_code
        == 201
    )


def test_a_name_too_long_is_refused_and_the_step_kept(seed, browser, auth):  # ACCT-3
    _signed_in(seed, browser)
    csrf = csrf_on(browser, "/account/passkeys")
    opt = post_json(browser, "/account/passkeys/options", csrf, {}).json()
    answer = auth.create(opt["options"])
    r = post_json(
        browser, "/account/passkeys", csrf, {"step": opt["step"], "name": "x" * 101, "credential": answer}
    )
    assert (r.status_code, r.json()["error"]) == (400, "invalid_name") and "100" in r.json()[
        "error_description"
    ]
    r = post_json(browser, "/account/passkeys", csrf, {"step": opt["step"], "name": "", "credential": answer})
    assert r.status_code == 201 and r.json()["passkey"]["name"] == "Passkey"


def test_adding_needs_a_signed_in_account(seed, browser):  # ACCT-3
    csrf = matched(r'name="csrf" value="([^"]+)"', browser.get("/signin").text)
    r = post_json(browser, "/account/passkeys/options", csrf, {})
    assert r.status_code == 303 and r.headers["location"].startswith("/signin?")
    assert browser.get("/account/passkeys").status_code == 303


def test_rename(seed, browser, auth):  # ACCT-3
    _signed_in(seed, browser)
    key_id = enrol(browser, auth).json()["passkey"]["id"]
    r = _form(browser, f"/account/passkeys/{key_id}/rename", name="  YubiKey\t5 ")
    assert r.status_code == 303 and r.headers["location"] == "/account/passkeys?done=renamed"
    assert _keys(seed)[0].name == "YubiKey 5"
    bad = _form(browser, f"/account/passkeys/{key_id}/rename", name="   ")
    assert bad.status_code == 400 and 'data-code="invalid_name"' in bad.text and "Type a name" in bad.text
    assert _keys(seed)[0].name == "YubiKey 5"
    assert browser.get(f"/account/passkeys/{key_id}/rename").headers["location"] == "/account/passkeys"


def test_remove_is_audited_and_mailed(seed, browser, auth):  # ACCT-3
    _signed_in(seed, browser)
    key_id = enrol(browser, auth, name="Tablet").json()["passkey"]["id"]
    r = _form(browser, f"/account/passkeys/{key_id}/remove")
    assert r.status_code == 303 and r.headers["location"] == "/account/passkeys?done=removed"
    assert _keys(seed) == []
    with seed.db.unit_of_work() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.tag == "user:passkey:remove")).one()
        mail = db.scalars(select(OutboxMail).where(OutboxMail.reason == "user:passkey:remove")).one()
    assert event.actor == EMAIL and event.data["name"] == "Tablet"
    assert mail.recipients == [EMAIL] and "Tablet" in mail.subject and "removed" in mail.body


def test_another_accounts_key_cannot_be_touched(seed, app, browser, auth):  # ACCT-3
    with TestClient(app, base_url=ISSUER) as http:
        owner = Browser(http, ISSUER)
        _signed_in(seed, owner, "owner@example.org")
        key_id = enrol(owner, auth).json()["passkey"]["id"]
    _signed_in(seed, browser)
    for action in ("remove", "rename"):
        r = _form(browser, f"/account/passkeys/{key_id}/{action}", name="mine now")
        assert r.status_code == 404 and "not on your account" in r.text
    assert [k.name for k in _keys(seed)] == ["Laptop"]


def test_the_last_second_step_stays_when_the_organization_requires_one(seed, browser, auth):  # ACCT-3
    _signed_in(seed, browser, org="strict.example")
    first = enrol(browser, auth, name="One").json()["passkey"]["id"]
    second = enrol(browser, auth, name="Two").json()["passkey"]["id"]
    with seed.db.unit_of_work() as db:
        from consentry.storage.tables import Organization

        db.execute(update(Organization).values(require_2sv=True))
    assert _form(browser, f"/account/passkeys/{first}/remove").status_code == 303
    refused = _form(browser, f"/account/passkeys/{second}/remove")
    assert refused.status_code == 403 and 'data-code="required_by_org"' in refused.text
    assert "requires two-step verification" in refused.text
    assert [k.name for k in _keys(seed)] == ["Two"]
