"""The account's second factors over HTTP, after the review of issue 13 (ACCT-3, ACCT-4).

- A set-up page never shows a secret another page showed: someone with the password who opened
  /account/security/totp and left cannot have the owner confirm *their* secret later. The secret
  rides in the form, sealed; one older than ten minutes or made for another account is refused
  with a message saying what to do, and a new one is shown. The same at sign-in.
- Removing the last passkey takes the recovery codes and app passwords with it, as turning the
  authenticator app off does.
"""

from __future__ import annotations

import re
import time
from html import unescape
from typing import Any

import pyotp
from sqlalchemy import select, update

from consentry.domain.accounts import app_passwords
from consentry.domain.accounts.totp import SETUP_TTL, Totp
from consentry.domain.audit.tags import Channel
from consentry.domain.keys.envelope import Envelope
from consentry.storage.tables import AppPassword, Organization, RecoveryCode, TotpFactor, User
from tests.conftest import ISSUER
from tests.integration.accounts.test_two_step_account import SECRET_RE, post, signed_in
from tests.integration.accounts.test_two_step_signin import (
    SEALED_RE,
    STEP_RE,
    answer,
    recovery_codes,
    start,
)
from tests.integration.accounts.test_two_step_signin import enrol as enrol_app
from tests.support.browserless import CSRF_RE, Browser, form_value
from tests.support.passkey_http import csrf_on, enrol
from tests.support.seed import Seeder
from tests.support.webauthn_authenticator import Authenticator

SETUP = "/account/security/totp"


def _secret(page: Any) -> str:
    return form_value(page.text, SECRET_RE)


def _user(seed: Seeder, email: str) -> User:
    with seed.db.unit_of_work() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        s.expunge(user)
    return user


def _stored_secret(seed: Seeder, email: str) -> str | None:
    user = _user(seed, email)
    with seed.db.unit_of_work() as s:
        row = s.get(TotpFactor, user.id)
    if row is None:
        return None
    return Envelope(seed.settings.secret_key).open(row.secret_sealed, f"totp:{user.id}".encode()).decode()


def _stale(seed: Seeder, email: str) -> tuple[str, str]:
    """A set-up page's (secret, sealed) as it was made eleven minutes ago."""
    with seed.db.unit_of_work() as s:
        made = Totp.from_settings(seed.settings).enrollment(
            s, _user(seed, email), at=time.time() - SETUP_TTL - 60
        )
    return made.secret, made.sealed


def test_every_set_up_page_shows_a_new_secret(seed, browser):  # ACCT-3
    seed.user("ada@example.org")
    signed_in(browser, "ada@example.org")
    pages = [browser.get(ISSUER + SETUP) for _ in range(3)]
    assert all(p.status_code == 200 for p in pages)
    assert len({_secret(p) for p in pages}) == 3 and len({form_value(p.text, SEALED_RE) for p in pages}) == 3
    assert all(_secret(p) not in form_value(p.text, SEALED_RE) for p in pages)
    with seed.db.unit_of_work() as s:
        assert s.scalars(select(TotpFactor)).all() == []  # nothing stored before a right code


def test_an_unfinished_set_up_is_not_shown_to_the_owner(seed, browser, other_browser):  # ACCT-3
    # The attacker knows the password, opens the set-up and never confirms it.
    seed.user("owner@example.org")
    signed_in(other_browser, "owner@example.org")
    attacker_page = other_browser.get(ISSUER + SETUP)
    attacker = _secret(attacker_page)
    # Later the owner sets up their app: a secret of their own.
    signed_in(browser, "owner@example.org")
    owner_page = browser.get(ISSUER + SETUP)
    owner = _secret(owner_page)
    assert owner != attacker and attacker not in owner_page.text
    sealed = form_value(owner_page.text, SEALED_RE)
    code = pyotp.TOTP(owner).now()
    assert post(browser, SETUP, owner_page, setup=sealed, code=code).status_code == 200  # the codes page
    assert _stored_secret(seed, "owner@example.org") == owner
    # The attacker's page can no longer turn anything on.
    late = post(
        other_browser,
        SETUP,
        attacker_page,
        setup=form_value(attacker_page.text, SEALED_RE),
        code=pyotp.TOTP(attacker).now(),
    )
    assert late.status_code == 303 and late.headers["location"] == "/account/security?done=totp-already"
    assert _stored_secret(seed, "owner@example.org") == owner


def test_a_stale_or_foreign_sealed_secret_is_refused_with_a_new_one(seed, browser):  # ACCT-3
    seed.user("slow@example.org")
    seed.user("bob@example.org")
    signed_in(browser, "slow@example.org")
    page = browser.get(ISSUER + SETUP)
    secret, sealed = _stale(seed, "slow@example.org")
    r = post(browser, SETUP, page, setup=sealed, code=pyotp.TOTP(secret).now())
    text = unescape(r.text)
    assert r.status_code == 400 and 'data-code="setup_expired"' in r.text
    assert "open for more than 10 minutes" in text and "the new key shown below" in text
    assert secret not in r.text and re.search(SECRET_RE, r.text)  # a new secret to scan
    with seed.db.unit_of_work() as s:
        bobs = Totp.from_settings(seed.settings).enrollment(s, _user(seed, "bob@example.org"))
    r = post(browser, SETUP, page, setup=bobs.sealed, code=pyotp.TOTP(bobs.secret).now())
    assert r.status_code == 400 and 'data-code="setup_invalid"' in r.text
    assert "not made for your account" in unescape(r.text) and bobs.secret not in r.text
    missing = post(browser, SETUP, page, code="123456")  # no sealed secret at all
    assert missing.status_code == 400 and 'data-code="setup_invalid"' in missing.text
    with seed.db.unit_of_work() as s:
        assert s.scalars(select(TotpFactor)).all() == []
    # The new page works.
    fresh = form_value(r.text, SEALED_RE)
    done = post(browser, SETUP, r, setup=fresh, code=pyotp.TOTP(_secret(r)).now())
    assert done.status_code == 200 and _stored_secret(seed, "slow@example.org") == _secret(r)


def _verify_setup(browser: Browser, page: Any, sealed: str, code: str) -> Any:
    data = {
        "csrf": form_value(page.text, CSRF_RE),
        "step": form_value(page.text, STEP_RE),
        "method": "setup",
        "setup": sealed,
        "code": code,
    }
    return browser.follow(browser.http.post(ISSUER + "/signin/verify", data=data, follow_redirects=False))


def test_at_sign_in_a_stale_secret_gets_a_new_one_and_no_try_is_spent(seed, browser):  # ACCT-3
    c = seed.client("web")
    seed.user("new@strict.test", org="strict.test")
    with seed.db.unit_of_work() as s:
        s.execute(update(Organization).values(require_2sv=True))
    page, _verifier = start(browser, c, "new@strict.test")
    first = _secret(page)
    assert _secret(browser.get(page.url)) != first  # a reload: a new secret
    secret, sealed = _stale(seed, "new@strict.test")
    r = _verify_setup(browser, page, sealed, pyotp.TOTP(secret).now())
    assert r.status_code == 401 and 'data-reason="setup_stale"' in r.text
    assert "open for more than 10 minutes" in unescape(r.text) and 'id="setup-required"' in r.text
    assert secret not in r.text and _secret(r) not in (first, secret)
    wrong = answer(browser, r, "000000" if pyotp.TOTP(_secret(r)).now() != "000000" else "111111", "setup")
    assert wrong.status_code == 401 and _secret(wrong) == _secret(r)  # the same one after a wrong code
    left = seed.settings.second_step_attempts - 1
    assert f"{left} tries left" in unescape(wrong.text)  # the stale answer was not counted
    codes = answer(browser, wrong, pyotp.TOTP(_secret(wrong)).now(), method="setup")
    assert codes.status_code == 200 and "Save your recovery codes" in codes.text
    assert _stored_secret(seed, "new@strict.test") == _secret(r)


def _app_passwords(seed: Seeder, email: str, n: int = 2) -> None:
    with seed.db.unit_of_work() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        for i in range(n):
            app_passwords.create(
                s, app_passwords.hasher_for(seed.settings.secret_key), user, f"Mail {i}", channel=Channel.WEB
            )


def _left(seed: Seeder) -> tuple[int, int]:
    with seed.db.unit_of_work() as s:
        return len(s.scalars(select(RecoveryCode)).all()), len(s.scalars(select(AppPassword)).all())


def test_removing_the_last_passkey_takes_recovery_codes_and_app_passwords(seed, browser):  # ACCT-3 ACCT-4
    auth = Authenticator(origin=ISSUER)
    seed.user("keys@example.org")
    signed_in(browser, "keys@example.org")
    one = enrol(browser, auth, name="One").json()["passkey"]["id"]
    two = enrol(browser, auth, name="Two").json()["passkey"]["id"]
    recovery_codes(seed, "keys@example.org")
    _app_passwords(seed, "keys@example.org")
    csrf = csrf_on(browser, "/account/passkeys")

    def remove(key: int) -> Any:
        return browser.http.post(
            ISSUER + f"/account/passkeys/{key}/remove", data={"csrf": csrf}, follow_redirects=False
        )

    assert remove(one).status_code == 303
    assert _left(seed) == (10, 2)  # one passkey left: still two-step
    assert remove(two).status_code == 303
    assert _left(seed) == (0, 0)
    assert 'id="two-step-state">Off' in browser.get(ISSUER + "/account/security").text


def test_turning_the_app_off_takes_the_app_passwords(seed, browser):  # ACCT-3 ACCT-4
    seed.user("apps@example.org")
    otp = enrol_app(seed, "apps@example.org")
    _app_passwords(seed, "apps@example.org", 3)
    signed_in(browser, "apps@example.org", otp)
    ask = browser.get(ISSUER + "/account/security/totp/off")
    assert "app passwords stop working too" in ask.text
    assert post(browser, "/account/security/totp/off", ask).status_code == 303
    assert _left(seed) == (0, 0)


def test_the_page_shows_it_cannot_turn_off_the_last_required_step(seed, browser):  # ACCT-3
    # The page's "blocked" and the refusal come from one rule: a passkey makes the app removable.
    auth = Authenticator(origin=ISSUER)
    seed.user("fay@strict.test", org="strict.test")
    otp = enrol_app(seed, "fay@strict.test")
    with seed.db.unit_of_work() as s:
        s.execute(update(Organization).values(require_2sv=True))
    signed_in(browser, "fay@strict.test", otp)
    assert 'data-code="required_by_org"' in browser.get(ISSUER + "/account/security/totp/off").text
    enrol(browser, auth, name="Key")
    ask = browser.get(ISSUER + "/account/security/totp/off")
    assert 'data-code="required_by_org"' not in ask.text
    assert post(browser, "/account/security/totp/off", ask).status_code == 303
