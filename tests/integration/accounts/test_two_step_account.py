"""The account's two-step pages over HTTP: set up the app, recovery codes, turn off (ACCT-3).

Viewing needs a session; every change needs a recent sign-in (the password asked again, with the
email shown read-only) and the form's CSRF token. Recovery codes appear once, in the response that
made them. The owner is mailed when two-step is turned on or off. An organization's requirement
keeps its member from turning off their last second step. The sign-in page links to a forgotten
password and, only when the operator allows sign-up, to creating an account.
"""

from __future__ import annotations

import re
import time
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
from sqlalchemy import select
from starlette.testclient import TestClient

from consentry.app import create_app
from consentry.domain.accounts.recovery_codes import RecoveryCodes
from consentry.domain.accounts.two_step_admin import require_two_step
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.storage.tables import AuditEvent, OutboxMail, RecoveryCode, TotpFactor, User
from tests.conftest import ISSUER
from tests.integration.accounts.test_two_step_signin import (
    CODES_RE,
    STEP_RE,
    enrol,
    recovery_codes,
)
from tests.support.accounts import age_sign_ins
from tests.support.browserless import CSRF_RE, Browser, form_value
from tests.support.flows import PASSWORD
from tests.support.seed import Seeder

SECRET_RE = re.compile(r'data-secret="([A-Z2-7]{32})"')
SEALED_RE = re.compile(r'name="setup" value="([A-Za-z0-9_-]+)"')


def signed_in(browser: Browser, email: str, otp: pyotp.TOTP | None = None) -> Any:
    """Sign in on /signin (with the code when the account has an app); the page landed on."""
    page = browser.sign_in(browser.get(ISSUER + "/signin"), email, PASSWORD)
    if otp is not None:
        assert "2-Step Verification" in page.text
        data = {
            "csrf": form_value(page.text, CSRF_RE),
            "step": form_value(page.text, STEP_RE),
            "method": "code",
            "code": otp.now(),
        }
        page = browser.follow(browser.http.post(ISSUER + "/signin/verify", data=data, follow_redirects=False))
    assert page.status_code == 200 and "Your account" in page.text, page.text[:800]
    return page


def post(browser: Browser, path: str, page: Any, **fields: str) -> Any:
    data = {"csrf": form_value(page.text, CSRF_RE), **fields}
    return browser.http.post(ISSUER + path, data=data, follow_redirects=False)


def user_row(seed: Seeder, email: str) -> User:
    with seed.db.unit_of_work() as s:
        return s.scalars(select(User).where(User.email == email)).one()


def test_set_up_the_app_then_see_the_codes_once(seed, browser):  # ACCT-3
    seed.user("ada@example.org")
    signed_in(browser, "ada@example.org")
    status = browser.get(ISSUER + "/account/security")
    assert status.status_code == 200 and 'id="two-step-state">Off' in status.text
    assert 'href="/account/passkeys"' in status.text and 'id="passkeys-count">0' in status.text
    setup = browser.get(ISSUER + "/account/security/totp")
    assert setup.status_code == 200 and '<svg viewBox="0 0' in setup.text and "style=" not in setup.text
    secret = SECRET_RE.search(setup.text)
    assert secret is not None
    grouped = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)</code>', setup.text)
    assert grouped is not None and grouped.group(1).replace(" ", "") == secret.group(1)
    # A reload shows a new secret: a set-up never hands out one that another page showed.
    assert secret.group(1) not in browser.get(ISSUER + "/account/security/totp").text
    otp = pyotp.TOTP(secret.group(1))
    sealed = form_value(setup.text, SEALED_RE)

    bad = "000000" if otp.now() != "000000" else "111111"
    wrong = post(browser, "/account/security/totp", setup, setup=sealed, code=bad)
    assert wrong.status_code == 400 and "That code didn't work." in unescape(wrong.text)
    assert secret.group(1) in wrong.text  # the same secret again: the app holds it already
    assert post(browser, "/account/security/totp", setup, setup=sealed, code="not a code").status_code == 400
    shown = post(browser, "/account/security/totp", setup, setup=sealed, code=otp.now())
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    codes = CODES_RE.findall(shown.text)
    assert len(codes) == 10 and 'href="/account/security?done=totp-on"' in shown.text
    assert 'src="/static/security.js"' in shown.text and "data-print" in shown.text

    after = browser.get(ISSUER + "/account/security?done=totp-on")
    assert 'id="two-step-state">On' in after.text and 'id="codes-left">10 left' in after.text
    assert "The authenticator app is set up." in after.text
    assert not any(c in after.text for c in codes)  # never shown again
    assert browser.get(ISSUER + "/account/security/totp").headers["location"] == (
        "/account/security?done=totp-already"
    )
    with seed.db.unit_of_work() as s:
        tags = set(s.scalars(select(AuditEvent.tag)))
        assert {AuditTag.USER_2SV_ENABLE.value, AuditTag.USER_RECOVERY_CODES.value} <= tags
        mail = s.scalars(select(OutboxMail).where(OutboxMail.reason == AuditTag.USER_2SV_ENABLE.value)).one()
        assert mail.recipients == ["ada@example.org"] and "two-step verification is on" in mail.subject
    # The next sign-in asks for the second step.
    browser.http.cookies.clear()
    page = browser.sign_in(browser.get(ISSUER + "/signin"), "ada@example.org", PASSWORD)
    assert "2-Step Verification" in page.text


def test_changes_ask_for_the_password_again_after_a_while(seed, browser, settings):  # ACCT-3
    seed.user("bea@example.org")
    otp = enrol(seed, "bea@example.org")
    signed_in(browser, "bea@example.org", otp)
    age_sign_ins(seed, 3600)
    assert browser.get(ISSUER + "/account/security").status_code == 200  # looking is fine
    page = browser.get(ISSUER + "/account")  # a page with this session's CSRF token
    for path in ("/account/security/totp/off", "/account/security/recovery-codes"):
        for r in (browser.get(ISSUER + path), post(browser, path, page)):
            assert r.status_code == 303, path
            query = parse_qs(urlsplit(r.headers["location"]).query)
            assert query == {"next": [path], "email": ["bea@example.org"], "again": ["1"]}
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(TotpFactor.confirmed_at)) is not None  # nothing changed
    again = browser.get(ISSUER + "/signin?next=/account/security/totp/off&email=bea@example.org&again=1")
    assert "For your security, enter your password again" in again.text
    assert re.search(r'<input type="email" name="email" value="bea@example.org"[^>]* readonly', again.text)
    assert 'name="again" value="1"' in again.text and 'id="signup-line"' not in again.text
    verify = browser.sign_in(again, "bea@example.org", PASSWORD)
    assert "2-Step Verification" in verify.text  # the second step too, then back to the change
    data = {
        "csrf": form_value(verify.text, CSRF_RE),
        "step": form_value(verify.text, STEP_RE),
        "method": "code",
        "code": str(otp.at(time.time() + 30)),
    }
    back = browser.http.post(ISSUER + "/signin/verify", data=data, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/account/security/totp/off"
    assert "Turn off the authenticator app?" in browser.get(ISSUER + "/account/security/totp/off").text


def test_new_recovery_codes_replace_the_old_ones(seed, browser):  # ACCT-3
    seed.user("cy@example.org")
    otp = enrol(seed, "cy@example.org")
    old = recovery_codes(seed, "cy@example.org")
    signed_in(browser, "cy@example.org", otp)
    ask = browser.get(ISSUER + "/account/security/recovery-codes")
    assert ask.status_code == 200 and "10 unused codes" in ask.text and not CODES_RE.search(ask.text)
    made = post(browser, "/account/security/recovery-codes", ask)
    new = CODES_RE.findall(made.text)
    assert made.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    user = user_row(seed, "cy@example.org")
    codes = RecoveryCodes.from_settings(seed.settings)
    with seed.db.unit_of_work() as s:
        assert not codes.use(s, user, old[0], channel=Channel.WEB)
        assert codes.use(s, user, new[0], channel=Channel.WEB)


def test_recovery_codes_need_a_second_step(seed, browser):  # ACCT-3
    seed.user("dan@example.org")
    signed_in(browser, "dan@example.org")
    ask = browser.get(ISSUER + "/account/security/recovery-codes")
    assert "Set up an authenticator app first" in ask.text and 'id="confirm"' not in ask.text
    refused = post(browser, "/account/security/recovery-codes", browser.get(ISSUER + "/account"))
    assert refused.status_code == 409 and 'data-code="no_second_step"' in refused.text
    with seed.db.unit_of_work() as s:
        assert s.scalars(select(RecoveryCode)).all() == []


def test_turning_the_app_off(seed, browser):  # ACCT-3
    seed.user("eve@example.org")
    otp = enrol(seed, "eve@example.org")
    recovery_codes(seed, "eve@example.org")
    signed_in(browser, "eve@example.org", otp)
    ask = browser.get(ISSUER + "/account/security/totp/off")
    assert "Your recovery codes and app passwords stop working too." in ask.text
    assert post(browser, "/account/security/totp/off", ask, csrf="wrong").status_code == 403  # CSRF
    done = post(browser, "/account/security/totp/off", ask)
    assert done.status_code == 303 and done.headers["location"] == "/account/security?done=totp-off"
    status = browser.get(ISSUER + "/account/security?done=totp-off")
    assert 'id="two-step-state">Off' in status.text and 'id="codes-left">0 left' in status.text
    with seed.db.unit_of_work() as s:
        assert s.scalars(select(TotpFactor)).all() == [] and s.scalars(select(RecoveryCode)).all() == []
        mail = s.scalars(select(OutboxMail).where(OutboxMail.reason == AuditTag.USER_2SV_DISABLE.value)).one()
        assert mail.recipients == ["eve@example.org"] and "turned off" in mail.subject
    browser.http.cookies.clear()
    signed_in(browser, "eve@example.org")  # the password alone, again


def test_an_org_that_requires_two_step_keeps_the_last_second_step(seed, browser):  # ACCT-3
    seed.user("fay@strict.test", org="strict.test")
    otp = enrol(seed, "fay@strict.test")
    with seed.db.unit_of_work() as s:
        require_two_step(s, "strict.test", True, actor="test")
    signed_in(browser, "fay@strict.test", otp)
    status = browser.get(ISSUER + "/account/security")
    assert 'id="org-required"' in status.text and "strict.test" in status.text
    ask = browser.get(ISSUER + "/account/security/totp/off")
    assert 'data-code="required_by_org"' in ask.text and 'id="confirm"' not in ask.text
    refused = post(browser, "/account/security/totp/off", browser.get(ISSUER + "/account"))
    assert refused.status_code == 403 and 'data-code="required_by_org"' in refused.text
    assert "Add a passkey or security key first" in refused.text
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(TotpFactor.confirmed_at)) is not None


def test_the_security_page_needs_a_session(browser):  # ACCT-3
    r = browser.get(ISSUER + "/account/security")
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=%2Faccount%2Fsecurity"


def test_signin_page_links(browser, settings):  # ACCT-3 ACCT-1 ACCT-6
    page = browser.get(ISSUER + "/signin")
    assert 'href="/password/forgot"' in page.text and "Forgot your password?" in page.text
    assert 'href="/signup"' not in page.text  # sign-up is by invitation (the default)
    assert "For your security" not in page.text
    opened = create_app(settings.model_copy(update={"signup": "open"}))
    with TestClient(opened, base_url=ISSUER) as c:
        assert 'href="/signup"' in c.get("/signin").text and "Create an account" in c.get("/signin").text
