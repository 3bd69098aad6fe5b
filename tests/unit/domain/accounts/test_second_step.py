"""The decision after the right password, and the answers to the second step (ACCT-3, ACCT-7)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pyotp
from sqlalchemy import select, update

from consentry.domain.accounts.recovery_codes import RecoveryCodes
from consentry.domain.accounts.second_step import Reason, SecondStep
from consentry.domain.accounts.second_step_budget import SecondStepBudget
from consentry.domain.accounts.steps import SigninSteps
from consentry.domain.accounts.totp import PERIOD, Totp
from consentry.domain.audit.tags import Channel
from consentry.domain.keys.envelope import Envelope
from consentry.domain.ratelimit import Limiter, Limits
from consentry.domain.secrets import Hasher
from consentry.settings import Settings
from consentry.storage.repositories.rate_counters import SqlRateCounters
from consentry.storage.tables import Organization, OutboxMail, TotpFactor, User
from tests.support.accounts import seeded_user
from tests.support.seed import Seeder

ROOT = "k" * 40
BROWSER = "browser-hash"


def _second(attempts: int = 3) -> SecondStep:
    limits = Limits.from_settings(Settings(second_step_attempts=attempts))
    return SecondStep(
        SigninSteps(Hasher(ROOT), ttl=600, max_attempts=attempts),
        Totp(Envelope(ROOT), operator="Acme ID", issuer="https://id.acme.test"),
        RecoveryCodes(Hasher(ROOT, "recovery-code"), operator="Acme ID", issuer="https://id.acme.test"),
        SecondStepBudget(
            Limiter(Hasher(ROOT)), limits, SqlRateCounters, issuer="https://id.acme.test", operator="Acme ID"
        ),
    )


def _with_app(seed: Seeder, email: str, org: str | None = None) -> tuple[User, pyotp.TOTP]:
    user, totp = seeded_user(seed, email, org), _second().totp
    earlier = time.time() - 3 * PERIOD
    with seed.db.unit_of_work() as s:
        setup = totp.enrollment(s, user, at=earlier)
    with seed.db.unit_of_work() as s:
        code = pyotp.TOTP(setup.secret).at(earlier)
        assert totp.confirm(s, user, setup.sealed, code, channel=Channel.WEB, at=earlier)
    return user, pyotp.TOTP(setup.secret)


def _begin(seed: Seeder, user: User, second: SecondStep | None = None) -> str | None:
    with seed.db.unit_of_work() as s:
        return (second or _second()).begin(s, BROWSER, user, flow="flow-1", next_="/account/security")


def test_no_second_step_means_straight_sign_in(seed: Seeder) -> None:  # ACCT-3
    assert _begin(seed, seeded_user(seed, "plain@example.org")) is None


def test_a_right_code_finishes_the_step_once_with_pwd_otp_mfa(seed: Seeder) -> None:  # ACCT-3
    user, otp = _with_app(seed, "right@example.org")
    step = _begin(seed, user)
    assert step is not None
    second = _second()
    with seed.db.unit_of_work() as s:
        pending = second.pending(s, BROWSER, step)
        assert pending is not None and pending.factors.totp and not pending.setup_required
        assert pending.step.amr == "pwd"
        done = second.check_code(s, BROWSER, step, otp.now())
    assert done.ok and done.reason is Reason.OK and done.amr == "pwd otp mfa"
    assert done.user is not None and done.user.id == user.id
    assert done.step is not None and (done.step.flow, done.step.next) == ("flow-1", "/account/security")
    with seed.db.unit_of_work() as s:  # the step is used up
        assert second.check_code(s, BROWSER, step, otp.now()).reason is Reason.STEP_EXPIRED


def test_wrong_codes_are_counted_then_the_step_is_void(seed: Seeder) -> None:  # ACCT-3 ACCT-7
    user, otp = _with_app(seed, "wrong@example.org")
    step = _begin(seed, user)
    assert step is not None
    second = _second(attempts=3)
    wrong = "000000" if otp.now() != "000000" else "111111"
    seen = []
    for _ in range(3):
        with seed.db.unit_of_work() as s:
            d = second.check_code(s, BROWSER, step, wrong)
            seen.append((d.reason, d.attempts_left))
    assert seen == [(Reason.WRONG_CODE, 2), (Reason.WRONG_CODE, 1), (Reason.TOO_MANY_ATTEMPTS, 0)]
    with seed.db.unit_of_work() as s:
        d = second.check_code(s, BROWSER, step, otp.now())  # the right code comes too late
    assert d.reason is Reason.STEP_EXPIRED and not d.ok


def test_another_browser_cannot_answer_the_step(seed: Seeder) -> None:  # ACCT-3
    user, otp = _with_app(seed, "bound@example.org")
    step = _begin(seed, user)
    assert step is not None
    with seed.db.unit_of_work() as s:
        assert _second().check_code(s, "another-browser", step, otp.now()).reason is Reason.STEP_EXPIRED
    with seed.db.unit_of_work() as s:
        assert _second().check_code(s, BROWSER, step, otp.now()).ok


def test_a_recovery_code_finishes_the_step_and_is_spent(seed: Seeder) -> None:  # ACCT-3
    user, _otp = _with_app(seed, "recover@example.org")
    second = _second()
    with seed.db.unit_of_work() as s:
        codes = second.codes.generate(s, user, actor=user.email, channel=Channel.WEB)
    first = _begin(seed, user)
    assert first is not None
    with seed.db.unit_of_work() as s:
        done = second.check_recovery(s, BROWSER, first, codes[0])
    assert done.ok and done.amr == "pwd otp mfa"
    again = _begin(seed, user)
    assert again is not None
    with seed.db.unit_of_work() as s:
        refused = second.check_recovery(s, BROWSER, again, codes[0])
    assert refused.reason is Reason.WRONG_CODE and refused.attempts_left == 2


def test_a_disabled_account_cannot_finish(seed: Seeder) -> None:  # ACCT-3
    user, otp = _with_app(seed, "gone@example.org")
    step = _begin(seed, user)
    assert step is not None
    with seed.db.unit_of_work() as s:
        s.execute(update(User).where(User.id == user.id).values(disabled=True))
    with seed.db.unit_of_work() as s:
        assert _second().check_code(s, BROWSER, step, otp.now()).reason is Reason.STEP_EXPIRED


def test_required_by_the_org_without_a_factor_means_set_up_first(seed: Seeder) -> None:  # ACCT-3
    user = seeded_user(seed, "member@strict.test", org="strict.test")
    with seed.db.unit_of_work() as s:
        s.execute(update(Organization).values(require_2sv=True))
    second = _second()
    step = _begin(seed, user, second)
    assert step is not None  # due: required, although nothing is set up
    with seed.db.unit_of_work() as s:
        assert second.check_code(s, BROWSER, step, "123456").reason is Reason.SETUP_REQUIRED
        got = second.setup(s, BROWSER, step)
    assert got is not None
    pending, enrollment = got
    assert pending.setup_required and enrollment.uri.startswith("otpauth://totp/")
    otp = pyotp.TOTP(enrollment.secret)
    with seed.db.unit_of_work() as s:
        wrong = second.confirm_setup(
            s, BROWSER, step, enrollment.sealed, "000000" if otp.now() != "000000" else "111111"
        )
    assert wrong.reason is Reason.WRONG_CODE
    with seed.db.unit_of_work() as s:
        done = second.confirm_setup(s, BROWSER, step, enrollment.sealed, otp.now())
    # The new code proves only that the person scanned what we showed: this sign-in is the password.
    assert done.ok and done.amr == "pwd" and len(done.recovery_codes) == 10
    with seed.db.unit_of_work() as s:
        row = s.get(TotpFactor, user.id)
        assert row is not None and row.confirmed_at is not None
        assert second.codes.left(s, user.id) == 10
    # From now on the sign-in asks for a code, not for a set-up.
    later = _begin(seed, user, second)
    assert later is not None
    with seed.db.unit_of_work() as s:
        p = second.pending(s, BROWSER, later)
        assert p is not None and not p.setup_required
        assert second.setup(s, BROWSER, later) is None


def _wrong_code(otp: pyotp.TOTP) -> str:
    return "000000" if otp.now() != "000000" else "111111"


def test_starting_over_does_not_reset_the_accounts_budget(seed: Seeder) -> None:  # ACCT-3 ACCT-7
    # Whoever knows the password can start new sign-ins at will; the codes they may try are
    # counted on the account (2 x 3 here), and past that even the right code waits.
    user, otp = _with_app(seed, "guess@example.org")
    second, reasons = _second(attempts=3), []
    for _ in range(3):
        step = _begin(seed, user, second)
        assert step is not None
        for _ in range(3):
            with seed.db.unit_of_work() as s:
                reasons.append(second.check_code(s, BROWSER, step, _wrong_code(otp)).reason)
    # Two full steps spend the budget; the seventh answer is refused and its step voided.
    assert reasons[6] is Reason.ACCOUNT_THROTTLED and reasons.count(Reason.ACCOUNT_THROTTLED) == 1
    assert reasons[7:] == [Reason.STEP_EXPIRED, Reason.STEP_EXPIRED]
    step = _begin(seed, user, second)
    assert step is not None
    with seed.db.unit_of_work() as s:
        refused = second.check_code(s, BROWSER, step, otp.now())
        assert refused.reason is Reason.ACCOUNT_THROTTLED and not refused.ok
    with seed.db.unit_of_work() as s:
        mails = s.scalars(select(OutboxMail).where(OutboxMail.reason == "user:2sv:guessing")).all()
        assert len(mails) == 1 and "change it" in mails[0].body  # the owner is told, once


def test_right_answers_do_not_spend_the_budget(seed: Seeder) -> None:  # ACCT-3 ACCT-7
    user, _otp = _with_app(seed, "owner@example.org")
    second = _second(attempts=3)
    with seed.db.unit_of_work() as s:
        codes = second.codes.generate(s, user, actor="t", channel=Channel.WEB)
    for i in range(8):  # more sign-ins than the budget: the owner is never throttled
        step = _begin(seed, user, second)
        assert step is not None
        with seed.db.unit_of_work() as s:
            assert second.check_recovery(s, BROWSER, step, codes[i]).ok


def test_parallel_answers_never_exceed_the_steps_attempts(seed: Seeder) -> None:  # ACCT-3 ACCT-7
    user, otp = _with_app(seed, "race@example.org")
    second = _second(attempts=3)
    step = _begin(seed, user, second)
    assert step is not None
    judged: list[Reason] = []

    def answer(_: int) -> Reason:
        with seed.db.unit_of_work() as s:
            return second.check_code(s, BROWSER, step, _wrong_code(otp)).reason

    with ThreadPoolExecutor(8) as pool:
        judged = list(pool.map(answer, range(12)))
    # A code is judged only after it was counted: two wrong, the third voids the step, the rest
    # find it spent or gone (never a fourth check, however the requests interleave).
    assert judged.count(Reason.WRONG_CODE) == 2
    assert set(judged) <= {Reason.WRONG_CODE, Reason.TOO_MANY_ATTEMPTS, Reason.STEP_EXPIRED}


def test_a_recovery_code_is_no_way_around_the_orgs_rule(seed: Seeder) -> None:  # ACCT-3
    # A member with leftover recovery codes but no app or passkey must set up an app first.
    user = seeded_user(seed, "leftover@strict.test", org="strict.test")
    second = _second()
    with seed.db.unit_of_work() as s:
        codes = second.codes.generate(s, user, actor="t", channel=Channel.WEB)
        s.execute(update(Organization).values(require_2sv=True))
    step = _begin(seed, user, second)
    assert step is not None
    with seed.db.unit_of_work() as s:
        refused = second.check_recovery(s, BROWSER, step, codes[0])
    assert refused.reason is Reason.SETUP_REQUIRED and not refused.ok
    with seed.db.unit_of_work() as s:
        assert second.codes.left(s, user.id) == 10  # nothing was spent
