"""Setting up an authenticator app keeps no secret on the server until it is confirmed (ACCT-3).

Every set-up page gets a fresh secret, sealed for the account and the purpose with the time it was
made and carried in the page's form; confirming opens it, checks the code and only then stores the
factor. So a set-up somebody with the password left unfinished is never shown to the owner later,
a sealed secret from another account, a changed one or one older than ten minutes is refused with
a message saying what to do, and at sign-in a stale one is not counted as a wrong answer.
"""

from __future__ import annotations

import base64
import time

import pyotp
import pytest
from sqlalchemy import select, update

from consentry.domain.accounts.recovery_codes import RecoveryCodes
from consentry.domain.accounts.second_step import Reason, SecondStep
from consentry.domain.accounts.second_step_budget import SecondStepBudget
from consentry.domain.accounts.service import set_password
from consentry.domain.accounts.steps import SigninSteps
from consentry.domain.accounts.totp import SETUP_TTL, SetupExpired, SetupInvalid, Totp
from consentry.domain.audit.tags import Channel
from consentry.domain.keys.envelope import Envelope
from consentry.domain.ratelimit import Limiter, Limits
from consentry.domain.secrets import Hasher
from consentry.errors import DomainError
from consentry.settings import Settings
from consentry.storage.repositories.rate_counters import SqlRateCounters
from consentry.storage.tables import Organization, SigninStep, TotpFactor, User
from tests.support.seed import Seeder

ROOT = "k" * 40
T0 = 1_700_000_010.0
WEB = Channel.WEB
BROWSER = "browser-hash"


def _totp() -> Totp:
    return Totp(Envelope(ROOT), operator="Acme ID", issuer="https://id.acme.test")


def _user(seed: Seeder, email: str, org: str | None = None) -> User:
    seed.user(email, org=org)
    with seed.db.unit_of_work() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        s.expunge(user)
    return user


def _stored_secret(seed: Seeder, user: User) -> str | None:
    with seed.db.unit_of_work() as s:
        row = s.get(TotpFactor, user.id)
        if row is None:
            return None
        return Envelope(ROOT).open(row.secret_sealed, f"totp:{user.id}".encode()).decode()


def test_every_set_up_page_gets_its_own_secret_and_nothing_is_stored(seed: Seeder) -> None:  # ACCT-3
    user, totp = _user(seed, "fresh@example.org"), _totp()
    with seed.db.unit_of_work() as s:
        pages = [totp.enrollment(s, user, at=T0) for _ in range(3)]
    assert len({p.secret for p in pages}) == 3 and len({p.sealed for p in pages}) == 3
    assert all(p.secret not in p.sealed and f"secret={p.secret}" in p.uri for p in pages)
    assert _stored_secret(seed, user) is None
    # The form carries it back: the same secret, the same sealed value (shown again after a typo).
    again = totp.reopen(user, pages[1].sealed, at=T0 + 60)
    assert (again.secret, again.sealed, again.uri) == (pages[1].secret, pages[1].sealed, pages[1].uri)


def test_an_unfinished_set_up_is_never_the_owners(seed: Seeder) -> None:  # ACCT-3
    # Someone with the password opens the set-up and leaves; the owner resets the password and sets
    # up their app: they see a secret of their own, and the other one can never become the factor.
    user, totp = _user(seed, "owner@example.org"), _totp()
    with seed.db.unit_of_work() as s:
        attacker = totp.enrollment(s, user, at=T0)
    with seed.db.unit_of_work() as s:
        set_password(s, user.email, "a-new-long-passphrase", actor=user.email, channel=WEB)
    with seed.db.unit_of_work() as s:
        owner = totp.enrollment(s, user, at=T0 + 120)
    assert owner.secret != attacker.secret
    attacker_code = pyotp.TOTP(attacker.secret).at(T0 + 120)
    with seed.db.unit_of_work() as s:  # the attacker's code does not fit the owner's page
        assert pyotp.TOTP(owner.secret).at(T0 + 120) == attacker_code or not totp.confirm(
            s, user, owner.sealed, attacker_code, channel=WEB, at=T0 + 120
        )
    with seed.db.unit_of_work() as s:
        assert totp.confirm(
            s, user, owner.sealed, pyotp.TOTP(owner.secret).at(T0 + 120), channel=WEB, at=T0 + 120
        )
    assert _stored_secret(seed, user) == owner.secret
    with seed.db.unit_of_work() as s, pytest.raises(DomainError) as err:  # too late for the other one
        totp.confirm(
            s, user, attacker.sealed, pyotp.TOTP(attacker.secret).at(T0 + 150), channel=WEB, at=T0 + 150
        )
    assert err.value.code == "totp_on"
    assert _stored_secret(seed, user) == owner.secret


def test_a_sealed_secret_expires_after_ten_minutes(seed: Seeder) -> None:  # ACCT-3
    user, totp = _user(seed, "slow@example.org"), _totp()
    with seed.db.unit_of_work() as s:
        page = totp.enrollment(s, user, at=T0)
    late = T0 + SETUP_TTL + 1
    with seed.db.unit_of_work() as s, pytest.raises(SetupExpired) as err:
        totp.confirm(s, user, page.sealed, pyotp.TOTP(page.secret).at(late), channel=WEB, at=late)
    assert err.value.code == "setup_expired" and "more than 10 minutes" in err.value.message
    assert "the new key shown below" in err.value.message
    with pytest.raises(SetupExpired):
        totp.reopen(user, page.sealed, at=late)
    assert _stored_secret(seed, user) is None
    in_time = T0 + SETUP_TTL - 5
    with seed.db.unit_of_work() as s:
        code = pyotp.TOTP(page.secret).at(in_time)
        assert totp.confirm(s, user, page.sealed, code, channel=WEB, at=in_time)
    assert _stored_secret(seed, user) == page.secret


def test_another_accounts_or_a_changed_sealed_secret_is_refused(seed: Seeder) -> None:  # ACCT-3
    ada, bob, totp = _user(seed, "ada@example.org"), _user(seed, "bob@example.org"), _totp()
    with seed.db.unit_of_work() as s:
        adas = totp.enrollment(s, ada, at=T0)
    code = pyotp.TOTP(adas.secret).at(T0)
    raw = base64.urlsafe_b64decode(adas.sealed + "=" * (-len(adas.sealed) % 4))
    flipped = base64.urlsafe_b64encode(raw[:-1] + bytes([raw[-1] ^ 1])).rstrip(b"=").decode()
    stored_kind = Envelope(ROOT).seal(f"{int(T0)}:{adas.secret}".encode(), f"totp:{ada.id}".encode())
    other_purpose = base64.urlsafe_b64encode(stored_kind).rstrip(b"=").decode()
    future = Envelope(ROOT).seal(f"{int(T0) + 3600}:{adas.secret}".encode(), f"totp-setup:{ada.id}".encode())
    cases = [
        (bob, adas.sealed),  # Ada's page posted to Bob's account
        (ada, flipped),
        (ada, other_purpose),  # sealed for the stored factor, not for a set-up
        (ada, base64.urlsafe_b64encode(future).rstrip(b"=").decode()),
        (ada, ""),
        (ada, "not base64 at all!"),
        (ada, "A" * 5000),
    ]
    for user, sealed in cases:
        with seed.db.unit_of_work() as s, pytest.raises(SetupInvalid) as err:
            totp.confirm(s, user, sealed, code, channel=WEB, at=T0)
        assert err.value.code == "setup_invalid", sealed[:20]
        assert "not made for your account" in err.value.message
    assert _stored_secret(seed, ada) is None and _stored_secret(seed, bob) is None


def test_racing_confirms_store_exactly_one_factor(seed: Seeder) -> None:  # ACCT-3
    from concurrent.futures import ThreadPoolExecutor

    user, totp = _user(seed, "race@example.org"), _totp()
    with seed.db.unit_of_work() as s:
        pages = [totp.enrollment(s, user, at=T0) for _ in range(4)]

    def confirm(i: int) -> str:
        try:
            with seed.db.unit_of_work() as s:
                code = pyotp.TOTP(pages[i].secret).at(T0)
                return "on" if totp.confirm(s, user, pages[i].sealed, code, channel=WEB, at=T0) else "wrong"
        except DomainError as exc:
            return exc.code
        except Exception:  # SQLite's single writer may refuse a racing transaction outright
            return "busy"

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(confirm, range(4)))
    assert got.count("on") == 1 and set(got) <= {"on", "totp_on", "busy"}, got
    assert _stored_secret(seed, user) in {p.secret for p in pages}


# --- at sign-in ------------------------------------------------------------------------------------


def _second() -> SecondStep:
    limits = Limits.from_settings(Settings(second_step_attempts=3))
    return SecondStep(
        SigninSteps(Hasher(ROOT), ttl=600, max_attempts=3),
        _totp(),
        RecoveryCodes(Hasher(ROOT, "recovery-code"), operator="Acme ID", issuer="https://id.acme.test"),
        SecondStepBudget(
            Limiter(Hasher(ROOT)), limits, SqlRateCounters, issuer="https://id.acme.test", operator="Acme ID"
        ),
    )


def test_set_up_at_sign_in_carries_its_secret_and_refuses_a_stale_one(seed: Seeder) -> None:  # ACCT-3
    user = _user(seed, "member@strict.test", org="strict.test")
    with seed.db.unit_of_work() as s:
        s.execute(update(Organization).values(require_2sv=True))
    second = _second()
    with seed.db.unit_of_work() as s:
        step = second.begin(s, BROWSER, user, flow="", next_="/account")
    assert step is not None
    with seed.db.unit_of_work() as s:
        first = second.setup(s, BROWSER, step)
        reload = second.setup(s, BROWSER, step)
        assert first is not None and reload is not None
        assert reload[1].secret != first[1].secret  # a new page, a new secret
        carried = second.setup(s, BROWSER, step, sealed=first[1].sealed)
        assert carried is not None and carried[1].secret == first[1].secret  # after a wrong code
        other = second.setup(s, BROWSER, step, sealed="garbage")
        assert other is not None and other[1].secret not in (first[1].secret, reload[1].secret)
        assert s.get(TotpFactor, user.id) is None
    # A sealed secret made over ten minutes ago: refused, saying why, and not counted as a try.
    old = _totp()
    with seed.db.unit_of_work() as s:
        stale = old.enrollment(s, user, at=time.time() - SETUP_TTL - 30)
    code = pyotp.TOTP(stale.secret).now()
    with seed.db.unit_of_work() as s:
        refused = second.confirm_setup(s, BROWSER, step, stale.sealed, code)
    assert refused.reason is Reason.SETUP_STALE and not refused.ok
    assert "more than 10 minutes" in refused.explanation
    with seed.db.unit_of_work() as s:
        attempts = s.scalars(select(SigninStep.attempts)).one()
        assert attempts == 0 and s.get(TotpFactor, user.id) is None
        bobs = second.confirm_setup(s, BROWSER, step, "x" * 40, code)
    assert bobs.reason is Reason.SETUP_STALE and "not made for your account" in bobs.explanation
    with seed.db.unit_of_work() as s:
        done = second.confirm_setup(s, BROWSER, step, first[1].sealed, pyotp.TOTP(first[1].secret).now())
    assert done.ok and len(done.recovery_codes) == 10
    assert _stored_secret(seed, user) == first[1].secret
