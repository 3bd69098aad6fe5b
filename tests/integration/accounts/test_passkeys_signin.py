"""Passkeys over HTTP (ACCT-3): added to an account, then signing in without a password.

A software authenticator (tests/support/webauthn_authenticator.py) makes real WebAuthn answers
(ECDSA P-256 over authenticatorData and clientDataJSON), so every check the server makes is real:
challenge, origin, RP id, signature, user verification, the signature counter, the browser binding.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from consentry.domain.accounts import service
from consentry.storage.tables import AuditEvent, OutboxMail, Passkey, SessionAccount
from tests.conftest import ISSUER
from tests.support.accounts import age_sign_ins, code_claims, consented
from tests.support.browserless import Browser, pkce_pair
from tests.support.flows import auth_params
from tests.support.passkey_http import (
    csrf_on,
    enrolled,
    passkey_sign_in,
    post_json,
    sign_in_with_password,
    signin_options,
)
from tests.support.webauthn_authenticator import Authenticator

EMAIL = "grace@example.org"


def _error(r: Any) -> tuple[int, str, str]:
    body = r.json()
    return r.status_code, body["error"], body["error_description"]


def test_a_passkey_signs_in_without_a_password(seed, browser, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    r = passkey_sign_in(browser, auth)
    assert r.status_code == 200, r.text
    assert r.json() == {"redirect": "/account"}
    assert "consentry_sid=" in r.headers["set-cookie"]
    page = browser.get("/account")
    assert page.status_code == 200 and EMAIL in page.text
    with seed.db.unit_of_work() as db:
        key = db.scalars(select(Passkey)).one()
        amrs = set(db.scalars(select(SessionAccount.amr)))
    assert key.sign_count == 1 and key.last_used_at is not None
    assert amrs == {"pwd", "hwk user mfa"}  # the password session that added it, then the passkey's


def test_adding_a_passkey_is_audited_and_mailed(seed, browser, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    with seed.db.unit_of_work() as db:
        event = db.scalars(select(AuditEvent).where(AuditEvent.tag == "user:passkey:add")).one()
        mail = db.scalars(select(OutboxMail).where(OutboxMail.reason == "user:passkey:add")).one()
        key = db.scalars(select(Passkey)).one()
    assert event.actor == EMAIL and event.data["name"] == "Laptop"
    assert mail.recipients == [EMAIL] and "Laptop" in mail.subject and "/account/passkeys" in mail.body
    assert key.user_verified is True and key.transports == "usb" and key.name == "Laptop"
    assert key.public_key and key.credential_id == auth.credentials[0].id


def test_id_token_says_hwk_user_mfa_after_a_passkey(seed, browser, client, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    c = seed.client("web")
    verifier, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, "openid email"))
    assert page.status_code == 200 and 'action="/signin"' in page.text
    flow = _flow_of(page.text)
    r = passkey_sign_in(browser, auth, flow=flow)
    assert r.status_code == 200, r.text
    target = r.json()["redirect"]
    assert target.startswith("/authorize/continue?")
    claims = code_claims(client, c, consented(browser, browser.follow(browser.get(target))), verifier)
    assert claims["amr"] == ["hwk", "user", "mfa"]
    assert claims["acr"] == "urn:consentry:acr:2"


def _flow_of(html: str) -> str:
    import re

    m = re.search(r'name="flow" value="([^"]+)"', html)
    assert m, html[:1000]
    return m.group(1)


def test_an_answer_is_accepted_once(seed, browser, auth):  # ACCT-3 (single-use challenge)
    enrolled(seed, browser, auth, EMAIL)
    csrf, opt = signin_options(browser)
    body = {"step": opt["step"], "credential": auth.get(opt["options"])}
    assert post_json(browser, "/signin/passkey/finish", csrf, body).status_code == 200
    csrf, _opt = signin_options(browser)  # the session id changed at sign-in, and its CSRF token
    replay = post_json(browser, "/signin/passkey/finish", csrf, body)
    assert _error(replay)[:2] == (400, "passkey_expired")


def test_a_used_step_is_refused_even_to_its_own_browser(seed, browser, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    csrf, opt = signin_options(browser)
    bad = post_json(browser, "/signin/passkey/finish", csrf, {"step": opt["step"], "credential": {"id": "x"}})
    assert _error(bad)[:2] == (400, "passkey_invalid")
    good = post_json(
        browser, "/signin/passkey/finish", csrf, {"step": opt["step"], "credential": auth.get(opt["options"])}
    )
    status, code, text = _error(good)
    assert (status, code) == (400, "passkey_expired") and "Try again" in text


def test_the_challenge_of_another_browser_is_refused(seed, app, browser, auth):  # ACCT-3
    from starlette.testclient import TestClient

    enrolled(seed, browser, auth, EMAIL)
    csrf, opt = signin_options(browser)
    answer = auth.get(opt["options"])
    with TestClient(app, base_url=ISSUER) as other_http:
        other = Browser(other_http, ISSUER)
        other_csrf, _ = signin_options(other)
        stolen = post_json(
            other, "/signin/passkey/finish", other_csrf, {"step": opt["step"], "credential": answer}
        )
        assert _error(stolen)[:2] == (400, "passkey_expired")
    # The step was not used up by the other browser: its own browser still finishes.
    mine = post_json(browser, "/signin/passkey/finish", csrf, {"step": opt["step"], "credential": answer})
    assert mine.status_code == 200, mine.text


def test_an_unknown_credential_is_refused(seed, browser, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    stranger = Authenticator(origin=ISSUER)
    stranger.create({"rp": {"id": "testserver.local"}, "user": {"id": "c3Vi"}, "challenge": "AAAA"})
    r = passkey_sign_in(browser, stranger)
    status, code, text = _error(r)
    assert (status, code) == (401, "passkey_unknown") and "not registered" in text
    assert browser.get("/account").status_code == 303  # not signed in


def test_a_disabled_account_cannot_sign_in_with_its_passkey(seed, browser, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    with seed.db.unit_of_work() as db:
        service.disable_user(db, EMAIL)
    status, code, text = _error(passkey_sign_in(browser, auth))
    assert (status, code) == (403, "account_disabled") and "disabled" in text


def test_a_counter_going_backwards_is_refused_as_a_copied_key(seed, browser, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    assert passkey_sign_in(browser, auth, sign_count=5).status_code == 200
    browser.http.cookies.clear()
    status, code, text = _error(passkey_sign_in(browser, auth, sign_count=3))
    assert (status, code) == (401, "passkey_cloned") and "copied" in text
    browser.http.cookies.clear()
    assert _error(passkey_sign_in(browser, auth, sign_count=5))[1] == "passkey_cloned"  # not forward
    browser.http.cookies.clear()
    assert passkey_sign_in(browser, auth, sign_count=6).status_code == 200
    with seed.db.unit_of_work() as db:
        assert db.scalar(select(Passkey.sign_count)) == 6


def test_a_key_that_never_counts_signs_in_again_and_again(seed, browser):  # ACCT-3
    synced = Authenticator(origin=ISSUER, counting=False)
    enrolled(seed, browser, synced, EMAIL)
    for _ in range(2):
        assert passkey_sign_in(browser, synced).status_code == 200
        browser.http.cookies.clear()


def test_a_passkey_that_did_not_verify_its_user_is_not_a_first_factor(seed, browser, auth):  # ACCT-3
    enrolled(seed, browser, auth, EMAIL)
    status, code, text = _error(passkey_sign_in(browser, auth, uv=False))
    assert (status, code) == (401, "passkey_not_verified") and "password" in text


def test_an_answer_made_for_another_site_is_refused(seed, browser, auth):  # ACCT-3 (phishing)
    enrolled(seed, browser, auth, EMAIL)
    status, code, text = _error(passkey_sign_in(browser, auth, origin="https://evil.example"))
    assert (status, code) == (400, "passkey_invalid") and "origin" in text


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        (b"{not json", "invalid_request", "must be a JSON object"),
        (b"[1, 2]", "invalid_request", "must be a JSON object"),
        (b'{"step": 42}', "invalid_request", "must be a string"),
    ],
)
def test_a_malformed_request_is_a_400_that_says_why(seed, browser, body, code, words):  # ACCT-3
    csrf, _opt = signin_options(browser)
    r = browser.http.post(
        ISSUER + "/signin/passkey/finish",
        content=body,
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    status, got, text = _error(r)
    assert (status, got) == (400, code) and words in text


@pytest.mark.parametrize(
    "credential",
    ["{broken", 17, {"id": "AA", "rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "%%%"}}],
)
def test_a_malformed_credential_is_a_400_that_says_why(seed, browser, credential):  # ACCT-3
    csrf, opt = signin_options(browser)
    r = post_json(browser, "/signin/passkey/finish", csrf, {"step": opt["step"], "credential": credential})
    status, code, text = _error(r)
    assert (status, code) == (400, "passkey_invalid") and text.startswith(
        "The passkey's answer was not accepted"
    )


def test_the_ceremony_needs_the_csrf_token(seed, browser):  # ACCT-3
    signin_options(browser)  # the browser has its session cookie
    r = post_json(browser, "/signin/passkey/options", "forged", {})
    assert _error(r)[:2] == (403, "csrf")


def test_next_must_stay_on_this_site(seed, browser, auth):  # ACCT-3 (no open redirect)
    enrolled(seed, browser, auth, EMAIL)
    r = passkey_sign_in(browser, auth, next_="https://evil.example/")
    assert r.json()["redirect"] == "/account"
    browser.http.cookies.clear()
    r = passkey_sign_in(browser, auth, next_="/account/passkeys")
    assert r.json()["redirect"] == "/account/passkeys"


def test_the_sign_in_page_offers_a_passkey(seed, browser):  # ACCT-3
    page = browser.get("/signin?next=/account/passkeys")
    assert "data-passkey-signin" in page.text and " hidden>" in page.text  # until the script shows it
    assert 'src="/static/passkeys.js"' in page.text and "Continue with a passkey" in page.text
    assert 'data-next="/account/passkeys"' in page.text
    assert browser.get("/static/passkeys.js").status_code == 200


def test_reauthentication_is_asked_before_adding_a_passkey(seed, browser, auth):  # ACCT-3
    seed.user(EMAIL)
    sign_in_with_password(browser, EMAIL)
    csrf = csrf_on(browser, "/account/passkeys")
    age_sign_ins(seed, 3600)
    r = post_json(browser, "/account/passkeys/options", csrf, {})
    assert r.status_code == 303
    where = urlsplit(r.headers["location"])
    assert (
        where.path == "/signin"
        and "again=1" in where.query
        and "next=%2Faccount%2Fpasskeys%2Foptions" in where.query
    )
    back = browser.get("/account/passkeys/options")
    assert back.status_code == 303 and back.headers["location"] == "/account/passkeys"


def test_passkey_sign_ins_are_limited_per_address(seed, browser, settings):  # ACCT-3 ACCT-7
    # Each passkey sign-in stores a challenge before anyone is signed in: an anonymous writer.
    limit = settings.flow_address_limit
    csrf, _first = signin_options(browser)
    answers = [post_json(browser, "/signin/passkey/options", csrf, {}) for _ in range(limit)]
    assert [r.status_code for r in answers[:-1]] == [200] * (limit - 1)  # with the first, `limit`
    assert _error(answers[-1])[:2] == (429, "rate_limited")
