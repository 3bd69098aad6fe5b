"""Signing in with two-step verification, over HTTP (ACCT-3, ACCT-7).

The password leads to /signin/verify when a second step is due; a code computed with pyotp from
the account's secret signs in, and the ID token then says ``amr`` pwd+otp+mfa and ``acr`` 2. The
same code is refused a second time (RFC 6238 §5.2), wrong codes are counted and void the step, a
recovery code works once, an organization that requires two-step makes its member set up an
authenticator app before the sign-in completes, and ``prompt=login`` / ``max_age=0`` ask for the
password *and* the second step again.
"""

from __future__ import annotations

import re
import secrets
import time
from html import unescape
from typing import Any

import pyotp
from sqlalchemy import select

from consentry.domain.accounts.recovery_codes import RecoveryCodes
from consentry.domain.accounts.totp import PERIOD, Totp
from consentry.domain.accounts.two_step_admin import require_two_step
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.storage.tables import AuditEvent, OutboxMail, SessionAccount, TotpFactor, User
from tests.conftest import ISSUER
from tests.support.accounts import age_sign_ins, code_claims, consented
from tests.support.browserless import CSRF_RE, Browser, form_value, pkce_pair
from tests.support.flows import PASSWORD, auth_params
from tests.support.matching import matched
from tests.support.seed import Seeder

STEP_RE = re.compile(r'name="step" value="([^"]+)"')
CODES_RE = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")
SEALED_RE = re.compile(r'name="setup" value="([A-Za-z0-9_-]+)"')


def enrol(seed: Seeder, email: str) -> pyotp.TOTP:
    """An authenticator app confirmed two minutes ago (its code then is used up; now's is not)."""
    totp = Totp.from_settings(seed.settings)
    with seed.db.unit_of_work() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        earlier = time.time() - 4 * PERIOD
        setup = totp.enrollment(s, user, at=earlier)
        secret = setup.secret
        code = pyotp.TOTP(secret).at(earlier)
        assert totp.confirm(s, user, setup.sealed, code, channel=Channel.WEB, at=earlier)
    return pyotp.TOTP(secret)


def recovery_codes(seed: Seeder, email: str) -> list[str]:
    with seed.db.unit_of_work() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        return RecoveryCodes.from_settings(seed.settings).generate(s, user, actor=email, channel=Channel.WEB)


def start(browser: Browser, c: Any, email: str, **extra: str) -> tuple[Any, str]:
    """Authorize, then the right password: returns (the page after it, the PKCE verifier)."""
    verifier, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, "openid email", nonce=secrets.token_hex(8), **extra))
    assert page.status_code == 200 and 'action="/signin"' in page.text, (page.headers, page.text[:500])
    return browser.sign_in(page, email, PASSWORD), verifier


def answer(browser: Browser, page: Any, code: str, method: str = "code") -> Any:
    """Post a code on the verify page; follows our own redirects."""
    data = {
        "csrf": form_value(page.text, CSRF_RE),
        "step": form_value(page.text, STEP_RE),
        "method": method,
        "code": code,
    }
    sealed = SEALED_RE.search(page.text)  # the set-up's secret, carried by its form
    if sealed is not None:
        data["setup"] = sealed.group(1)
    return browser.follow(browser.http.post(ISSUER + "/signin/verify", data=data, follow_redirects=False))


def fresh_code(otp: pyotp.TOTP, used: list[int]) -> str:
    """A code the server has not seen: the window allows one step either side of now, so up to three
    sign-ins in a row need no waiting; steps only move forward (an older one would be refused)."""
    while True:
        now = time.time()
        current = int(now // PERIOD)
        # The step before now only early in the current one: it leaves the window at the next.
        for step in (current - 1, current, current + 1)[0 if now % PERIOD < 20 else 1 :]:
            if not used or step > used[-1]:
                used.append(step)
                return str(otp.generate_otp(step))
        time.sleep(1)


# --- tests -----------------------------------------------------------------------------------------


def test_password_then_code_signs_in_and_the_id_token_says_two_factors(seed, browser, client):  # ACCT-3
    c = seed.client("web")
    seed.user("ann@example.org")
    otp = enrol(seed, "ann@example.org")
    page, verifier = start(browser, c, "ann@example.org")
    assert page.status_code == 200 and "2-Step Verification" in page.text
    assert 'autocomplete="one-time-code"' in page.text and 'inputmode="numeric"' in page.text
    assert "Try another way" in page.text and 'value="recovery"' in page.text
    with seed.db.unit_of_work() as s:  # not signed in yet: the password alone opened no session
        assert s.scalar(select(SessionAccount.user_id)) is None
    q = consented(browser, answer(browser, page, otp.now()))
    claims = code_claims(client, c, q, verifier)
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == "urn:consentry:acr:2"


def test_without_two_step_the_id_token_says_password_only(seed, browser, client):  # ACCT-3
    c = seed.client("web")
    seed.user("plain@example.org")
    page, verifier = start(browser, c, "plain@example.org")
    claims = code_claims(client, c, consented(browser, page), verifier)
    assert claims["amr"] == ["pwd"] and claims["acr"] == "urn:consentry:acr:1"


def test_the_same_code_is_refused_the_second_time(seed, browser, other_browser, client):  # ACCT-3
    c = seed.client("web")
    seed.user("replay@example.org")
    otp = enrol(seed, "replay@example.org")
    page, _v = start(browser, c, "replay@example.org")
    code = otp.now()
    assert "code" in consented(browser, answer(browser, page, code))  # signed in, back at the app
    # Someone who watched the code being typed tries it at once, from another browser, with the password.
    page2, _v2 = start(other_browser, c, "replay@example.org")
    refused = answer(other_browser, page2, code)
    assert refused.status_code == 401
    assert "That code didn't work." in unescape(refused.text)
    assert 'data-reason="wrong_code"' in refused.text and "4 tries left" in refused.text


def test_wrong_codes_are_counted_and_void_the_step(seed, browser, client):  # ACCT-3 ACCT-7
    c = seed.client("web")
    seed.user("guess@example.org")
    otp = enrol(seed, "guess@example.org")
    page, _v = start(browser, c, "guess@example.org")
    wrong = "000000" if otp.now() != "000000" else "111111"
    for left in (4, 3, 2, 1):
        page = answer(browser, page, wrong)
        assert page.status_code == 401 and f"{left} {'try' if left == 1 else 'tries'} left" in page.text
    step = form_value(page.text, STEP_RE)
    void = browser.http.post(
        ISSUER + "/signin/verify",
        data={"csrf": form_value(page.text, CSRF_RE), "step": step, "method": "code", "code": wrong},
        follow_redirects=False,
    )
    assert void.status_code == 303
    assert void.headers["location"].startswith("/signin?reason=too_many_attempts&flow=")
    back = browser.follow(void)
    assert back.status_code == 200 and "Too many wrong codes." in back.text
    assert 'data-reason="too_many_attempts"' in back.text and 'action="/signin"' in back.text
    # The right code on the voided step: the step is gone, the password comes first again.
    late = browser.http.post(
        ISSUER + "/signin/verify",
        data={"csrf": form_value(page.text, CSRF_RE), "step": step, "method": "code", "code": otp.now()},
        follow_redirects=False,
    )
    assert late.status_code == 303 and late.headers["location"].startswith("/signin?reason=step_expired")
    assert browser.get(ISSUER + "/signin/verify?step=" + step).headers["location"].startswith("/signin?")


def test_a_recovery_code_works_once(seed, browser, other_browser, client):  # ACCT-3
    c = seed.client("web")
    seed.user("lost@example.org")
    enrol(seed, "lost@example.org")
    codes = recovery_codes(seed, "lost@example.org")
    page, verifier = start(browser, c, "lost@example.org")
    q = consented(browser, answer(browser, page, codes[0], method="recovery"))
    assert code_claims(client, c, q, verifier)["amr"] == ["pwd", "otp", "mfa"]
    with seed.db.unit_of_work() as s:
        mail = s.scalars(
            select(OutboxMail).where(OutboxMail.reason == AuditTag.USER_RECOVERY_USED.value)
        ).one()
        assert mail.recipients == ["lost@example.org"] and "9 of your codes are left" in mail.body
    page2, _v = start(other_browser, c, "lost@example.org")
    again = answer(other_browser, page2, codes[0], method="recovery")
    assert again.status_code == 401 and 'data-reason="wrong_code"' in again.text
    assert '<details class="another" id="another-way" open>' in again.text  # the recovery form stays open
    assert "code" in consented(other_browser, answer(other_browser, again, codes[1], method="recovery"))


def test_the_step_belongs_to_the_browser_that_typed_the_password(seed, browser, other_browser):  # ACCT-3
    c = seed.client("web")
    seed.user("bound@example.org")
    otp = enrol(seed, "bound@example.org")
    page, _v = start(browser, c, "bound@example.org")
    step = form_value(page.text, STEP_RE)
    other_browser.get(ISSUER + "/signin")  # a session cookie of its own
    stolen = other_browser.get(ISSUER + "/signin/verify?step=" + step)
    assert stolen.status_code == 303 and stolen.headers["location"] == "/signin?reason=step_expired"
    landing = other_browser.follow(stolen)
    assert "Your sign-in took too long." in landing.text
    assert "code" in consented(browser, answer(browser, page, otp.now()))  # the owner's browser still can


def test_org_requirement_makes_the_member_set_up_an_app_at_sign_in(seed, browser, client):  # ACCT-3
    c = seed.client("web")
    seed.user("new@strict.test", org="strict.test")
    with seed.db.unit_of_work() as s:
        require_two_step(s, "strict.test", True, actor="test")
    page, verifier = start(browser, c, "new@strict.test")
    assert page.status_code == 200 and 'id="setup-required"' in page.text
    assert '<svg viewBox="0 0' in page.text and 'class="qr"' in page.text and "style=" not in page.text
    secret = re.search(r'data-secret="([A-Z2-7]{32})"', page.text)
    assert secret is not None
    otp = pyotp.TOTP(secret.group(1))
    wrong = answer(browser, page, "000000" if otp.now() != "000000" else "111111", method="setup")
    assert wrong.status_code == 401 and 'id="setup-required"' in wrong.text  # the same secret again
    assert secret.group(1) in wrong.text
    codes_page = answer(browser, wrong, otp.now(), method="setup")
    assert codes_page.status_code == 200 and "Save your recovery codes" in codes_page.text
    codes = CODES_RE.findall(codes_page.text)
    assert len(codes) == 10
    assert "consentry_sid=" in codes_page.headers.get("set-cookie", "")  # signed in by this response
    go_on = unescape(matched(r'href="([^"]+)" id="codes-saved"', codes_page.text))
    assert go_on.startswith("/authorize/continue?flow=")
    q = consented(browser, browser.follow(browser.get(ISSUER + go_on)))
    claims = code_claims(client, c, q, verifier)
    # The code typed at set-up proves only that the person scanned what was shown to whoever had
    # the password: this sign-in is one factor; the app counts from the next one.
    assert claims["amr"] == ["pwd"] and claims["acr"] == "urn:consentry:acr:1"
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(TotpFactor.confirmed_at)) is not None


def test_prompt_login_asks_the_password_and_the_second_step_again(seed, browser, client):  # ACCT-3
    c = seed.client("web")
    seed.user("again@example.org")
    otp = enrol(seed, "again@example.org")
    used: list[int] = []
    page, _v = start(browser, c, "again@example.org")
    consented(browser, answer(browser, page, fresh_code(otp, used)))
    age_sign_ins(seed, 600)  # signed in a while ago
    for extra in ({"prompt": "login"}, {"max_age": "0"}):
        verifier, challenge = pkce_pair()
        signin = browser.authorize(
            auth_params(c, challenge, "openid email", nonce=secrets.token_hex(8), **extra)
        )
        assert 'action="/signin"' in signin.text, extra
        verify = browser.sign_in(signin, "again@example.org", PASSWORD)
        assert verify.status_code == 200 and "2-Step Verification" in verify.text, extra
        q = consented(browser, answer(browser, verify, fresh_code(otp, used)))
        claims = code_claims(client, c, q, verifier)
        assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == "urn:consentry:acr:2", extra
        assert claims["auth_time"] >= int(time.time()) - 60, extra


def test_bad_input_on_the_verify_page_never_breaks_it(seed, browser):  # ACCT-3
    page = browser.get(ISSUER + "/signin/verify?step=" + "x" * 5000)
    assert page.status_code == 303 and page.headers["location"] == "/signin?reason=step_expired"
    assert browser.get(ISSUER + "/signin/verify").status_code == 303
    signin = browser.get(ISSUER + "/signin")
    csrf = form_value(signin.text, CSRF_RE)
    for data in (
        {"csrf": csrf, "step": "nope", "code": "1" * 10_000},
        {"csrf": csrf, "step": "", "method": "recovery", "code": "\x00"},
        {"csrf": csrf, "method": "setup"},
    ):
        r = browser.http.post(ISSUER + "/signin/verify", data=data, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?reason=step_expired"), data
    no_csrf = browser.http.post(ISSUER + "/signin/verify", data={"step": "x", "code": "1"})
    assert no_csrf.status_code == 403


def test_audit_names_the_recovery_code_use(seed, browser):  # ACCT-3
    c = seed.client("web")
    seed.user("audit@example.org")
    enrol(seed, "audit@example.org")
    codes = recovery_codes(seed, "audit@example.org")
    page, _v = start(browser, c, "audit@example.org")
    answer(browser, page, codes[5], method="recovery")
    with seed.db.unit_of_work() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.tag == AuditTag.USER_RECOVERY_USED.value)).one()
        assert event.actor == "audit@example.org" and event.data == {
            "user": "audit@example.org",
            "left": 9,
            "channel": "web",
        }
