"""The authenticator app as a second step, on real storage (ACCT-3).

A set-up page's secret is fresh every time and stored only once confirmed, sealed (never in
clear); a code is accepted within one step of the clock, never for a
time step already used (RFC 6238 §5.2, atomic across racing requests), and turning the app off
follows the organization's rule.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select, update

from consentry.domain.accounts.recovery_codes import RecoveryCodes
from consentry.domain.accounts.totp import PERIOD, Totp, normalize
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.keys.envelope import Envelope
from consentry.domain.secrets import Hasher
from consentry.errors import DomainError
from consentry.storage.tables import (
    AuditEvent,
    Organization,
    OutboxMail,
    Passkey,
    RecoveryCode,
    TotpFactor,
    User,
)
from tests.support.accounts import seeded_user
from tests.support.seed import Seeder

ROOT = "k" * 40
T0 = 1_700_000_010.0  # 10 s into a 30-second step


def _totp() -> Totp:
    return Totp(Envelope(ROOT), operator="Acme ID", issuer="https://id.acme.test")


def _enrolled(seed: Seeder, email: str, org: str | None = None) -> tuple[User, str]:
    """A user with a confirmed app (confirmed at T0 - 60 s); returns the user and the secret."""
    user, totp = seeded_user(seed, email, org), _totp()
    with seed.db.unit_of_work() as s:
        setup = totp.enrollment(s, user, at=T0 - 60)
    with seed.db.unit_of_work() as s:
        code = pyotp.TOTP(setup.secret).at(T0 - 60)
        assert totp.confirm(s, user, setup.sealed, code, channel=Channel.WEB, at=T0 - 60)
    return user, setup.secret


def _verify(seed: Seeder, user: User, code: str, at: float) -> bool:
    with seed.db.unit_of_work() as s:
        return _totp().verify(s, user.id, code, at=at)


def test_secret_is_fresh_per_page_stored_only_when_confirmed_sealed_to_the_account(seed: Seeder) -> None:
    # ACCT-3
    user, totp = seeded_user(seed, "seal@example.org"), _totp()
    with seed.db.unit_of_work() as s:
        first = totp.enrollment(s, user, at=T0)
    with seed.db.unit_of_work() as s:
        again = totp.enrollment(s, user, at=T0)  # another page: another secret, nothing kept
        assert s.get(TotpFactor, user.id) is None
    assert again.secret != first.secret and len(first.secret) == 32
    assert first.secret not in first.sealed and again.sealed != first.sealed
    with seed.db.unit_of_work() as s:
        assert totp.confirm(
            s, user, first.sealed, pyotp.TOTP(first.secret).at(T0), channel=Channel.WEB, at=T0
        )
    with seed.db.unit_of_work() as s:
        row = s.get(TotpFactor, user.id)
        assert row is not None and row.confirmed_at is not None
        sealed = row.secret_sealed
    assert first.secret.encode() not in sealed
    assert Envelope(ROOT).open(sealed, f"totp:{user.id}".encode()).decode() == first.secret
    with pytest.raises(InvalidTag):  # sealed for this account only: copied to another row it opens nothing
        Envelope(ROOT).open(sealed, f"totp:{user.id + 1}".encode())
    uri = urlsplit(first.uri)
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert "seal%40example.org" in uri.path and uri.path.startswith("/Acme%20ID:")
    query = parse_qs(uri.query)
    assert query["secret"] == [first.secret] and query["issuer"] == ["Acme ID"]
    assert first.grouped.replace(" ", "") == first.secret and first.grouped.count(" ") == 7


def test_confirm_turns_the_app_on_audits_and_mails(seed: Seeder) -> None:  # ACCT-3
    user, totp = seeded_user(seed, "confirm@example.org"), _totp()
    with seed.db.unit_of_work() as s:
        setup = totp.enrollment(s, user, at=T0)
    secret, sealed = setup.secret, setup.sealed
    with seed.db.unit_of_work() as s:
        assert not totp.confirm(
            s,
            user,
            sealed,
            "000000" if pyotp.TOTP(secret).at(T0) != "000000" else "111111",
            channel=Channel.WEB,
            at=T0,
        )
        old = pyotp.TOTP(secret).at(T0 - 3 * PERIOD)
        assert not totp.confirm(s, user, sealed, old, channel=Channel.WEB, at=T0)
        assert s.get(TotpFactor, user.id) is None  # wrong codes store nothing
    with seed.db.unit_of_work() as s:
        assert totp.confirm(s, user, sealed, pyotp.TOTP(secret).at(T0), channel=Channel.WEB, at=T0)
    with seed.db.unit_of_work() as s:
        row = s.get(TotpFactor, user.id)
        assert row is not None and row.confirmed_at is not None and row.last_step == int(T0 // PERIOD)
        tags = [
            e.tag for e in s.scalars(select(AuditEvent).where(AuditEvent.tag == AuditTag.USER_2SV_ENABLE))
        ]
        assert tags == [AuditTag.USER_2SV_ENABLE.value]
        mail = s.scalars(select(OutboxMail).where(OutboxMail.reason == AuditTag.USER_2SV_ENABLE.value)).one()
        assert mail.recipients == ["confirm@example.org"] and "two-step verification is on" in mail.subject
    with seed.db.unit_of_work() as s, pytest.raises(DomainError) as err:
        totp.enrollment(s, user)  # on already: no second secret handed out
    assert err.value.code == "totp_on"
    with seed.db.unit_of_work() as s, pytest.raises(DomainError) as again:  # nor confirming again
        totp.confirm(s, user, sealed, pyotp.TOTP(secret).at(T0 + PERIOD), channel=Channel.WEB, at=T0 + PERIOD)
    assert again.value.code == "totp_on"


def test_codes_one_step_either_side_are_accepted_two_steps_are_not(seed: Seeder) -> None:  # ACCT-3
    user, secret = _enrolled(seed, "window@example.org")
    otp = pyotp.TOTP(secret)
    assert not _verify(seed, user, otp.at(T0 - 2 * PERIOD), T0 + 0)  # too old
    assert not _verify(seed, user, otp.at(T0 + 2 * PERIOD), T0)  # too far ahead
    assert _verify(seed, user, otp.at(T0 - PERIOD), T0)  # a slow clock
    assert _verify(seed, user, otp.at(T0 + PERIOD), T0 + 2)  # a fast one
    assert not _verify(seed, user, "12345", T0) and not _verify(seed, user, "abcdef", T0)


def test_a_code_is_never_accepted_twice_nor_an_older_one_after_it(seed: Seeder) -> None:  # ACCT-3
    user, secret = _enrolled(seed, "replay@example.org")
    otp = pyotp.TOTP(secret)
    assert _verify(seed, user, otp.at(T0), T0)
    assert not _verify(seed, user, otp.at(T0), T0)  # the same code, same step: replay
    assert not _verify(seed, user, otp.at(T0), T0 + 5)
    assert not _verify(seed, user, otp.at(T0 - PERIOD), T0)  # older than the one just used
    assert _verify(seed, user, otp.at(T0 + PERIOD), T0 + PERIOD)  # the next step's code works
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(TotpFactor.last_step).where(TotpFactor.user_id == user.id)) == int(
            (T0 + PERIOD) // PERIOD
        )


def test_racing_requests_with_one_code_let_exactly_one_through(seed: Seeder) -> None:  # ACCT-3
    user, secret = _enrolled(seed, "race@example.org")
    code = pyotp.TOTP(secret).at(T0)
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda _: _verify(seed, user, code, T0), range(8)))
    assert won.count(True) == 1


def test_unconfirmed_app_accepts_nothing_at_sign_in(seed: Seeder) -> None:  # ACCT-3
    user, totp = seeded_user(seed, "pending@example.org"), _totp()
    with seed.db.unit_of_work() as s:
        secret = totp.enrollment(s, user).secret
    assert not _verify(seed, user, pyotp.TOTP(secret).at(T0), T0)
    with seed.db.unit_of_work() as s:  # a row left unconfirmed by an older set-up counts for nothing
        sealed = Envelope(ROOT).seal(secret.encode(), f"totp:{user.id}".encode())
        s.add(TotpFactor(user_id=user.id, secret_sealed=sealed, confirmed_at=None, last_step=0))
    assert not _verify(seed, user, pyotp.TOTP(secret).at(T0), T0)


def test_normalize_takes_six_ascii_digits_only() -> None:  # ACCT-3
    assert normalize("123 456") == "123456" and normalize(" 123-456 ") == "123456"
    for bad in ("12345", "1234567", "12345a", "\uff11\uff12\uff13\uff14\uff15\uff16", "", "12\x0056"):
        assert normalize(bad) is None, bad


def _codes() -> RecoveryCodes:
    return RecoveryCodes(Hasher(ROOT, "recovery-code"), operator="Acme ID", issuer="https://id.acme.test")


def test_turning_off_deletes_the_app_and_the_codes_when_no_passkey_is_left(seed: Seeder) -> None:  # ACCT-3
    user, _secret = _enrolled(seed, "off@example.org")
    with seed.db.unit_of_work() as s:
        _codes().generate(s, user, actor=user.email, channel=Channel.WEB)
    with seed.db.unit_of_work() as s:
        assert _totp().turn_off(s, user, actor=user.email, channel=Channel.WEB).recovery_codes_deleted == 10
    with seed.db.unit_of_work() as s:
        assert s.get(TotpFactor, user.id) is None
        assert s.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
        assert s.scalar(select(AuditEvent.tag).where(AuditEvent.tag == AuditTag.USER_2SV_DISABLE.value))
        mail = s.scalars(select(OutboxMail).where(OutboxMail.reason == AuditTag.USER_2SV_DISABLE.value)).one()
        assert "password only" in mail.body
    with seed.db.unit_of_work() as s, pytest.raises(DomainError) as err:
        _totp().turn_off(s, user, actor=user.email, channel=Channel.WEB)
    assert err.value.code == "totp_off"


def test_turning_off_keeps_the_codes_when_a_passkey_remains(seed: Seeder) -> None:  # ACCT-3
    user, _secret = _enrolled(seed, "keyed@example.org", org="keyed.test")
    with seed.db.unit_of_work() as s:
        s.execute(update(Organization).values(require_2sv=True))
        s.add(Passkey(user_id=user.id, credential_id="cred-1", public_key=b"k", name="Key"))
        _codes().generate(s, user, actor=user.email, channel=Channel.WEB)
    with seed.db.unit_of_work() as s:  # required by the org, but the passkey is a second step
        assert _totp().turn_off(s, user, actor=user.email, channel=Channel.WEB).recovery_codes_deleted == 0
    with seed.db.unit_of_work() as s:
        assert _codes().left(s, user.id) == 10


def test_the_org_rule_keeps_the_last_second_step(seed: Seeder) -> None:  # ACCT-3
    user, _secret = _enrolled(seed, "member@required.test", org="required.test")
    with seed.db.unit_of_work() as s:
        s.execute(update(Organization).values(require_2sv=True))
    with seed.db.unit_of_work() as s, pytest.raises(DomainError) as err:
        _totp().turn_off(s, user, actor=user.email, channel=Channel.WEB)
    assert err.value.code == "required_by_org" and "passkey" in err.value.message
    with seed.db.unit_of_work() as s:
        assert s.get(TotpFactor, user.id) is not None


def test_the_code_is_checked_against_now_by_default(seed: Seeder) -> None:  # ACCT-3
    user, secret = _enrolled(seed, "now@example.org")
    with seed.db.unit_of_work() as s:
        assert _totp().verify(s, user.id, pyotp.TOTP(secret).at(time.time()))
