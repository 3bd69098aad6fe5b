"""Removing a second step, one rule for every way it goes (ACCT-3, ACCT-4).

Whether the authenticator app is turned off, the last passkey removed or the operator resets
two-step: once no second step is left, the recovery codes are deleted and every app password is
revoked (audited), and an organization that requires two-step keeps its member's last second step
(``required_by_org``), even against two removals racing. Setting a password revokes app passwords
(audited) and voids sign-ins half done; turning an organization's requirement on ends its members'
sessions signed in with the password alone.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, update

from consentry.domain.accounts import app_passwords, passkeys
from consentry.domain.accounts.factor_removal import blocked
from consentry.domain.accounts.factors import Factors
from consentry.domain.accounts.recovery_codes import RecoveryCodes
from consentry.domain.accounts.service import set_password
from consentry.domain.accounts.totp import Totp
from consentry.domain.accounts.two_step_admin import require_two_step, reset_two_step
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.keys.envelope import Envelope
from consentry.domain.secrets import Hasher, new_id
from consentry.errors import DomainError, http_status
from consentry.storage.tables import (
    AppPassword,
    AuditEvent,
    BrowserSession,
    Organization,
    OutboxMail,
    Passkey,
    RecoveryCode,
    SessionAccount,
    SigninStep,
    TotpFactor,
    User,
)
from consentry.storage.tables.base import now
from tests.support.seed import Seeder

ROOT = "k" * 40
WEB = Channel.WEB
ISSUER = "https://id.acme.test"


def _uid(seed: Seeder, email: str, org: str | None = None) -> int:
    seed.user(email, org=org)
    with seed.db.unit_of_work() as s:
        return s.scalars(select(User.id).where(User.email == email)).one()


def _user(s: object, uid: int) -> User:
    user = s.get(User, uid)  # type: ignore[attr-defined]
    assert user is not None
    return user


def _with(seed: Seeder, uid: int, *, app: bool = False, keys: int = 0, apps: int = 2) -> None:
    """Second steps (an app, ``keys`` passkeys), ten recovery codes and ``apps`` app passwords."""
    with seed.db.unit_of_work() as s:
        if app:
            s.add(TotpFactor(user_id=uid, secret_sealed=b"sealed", confirmed_at=now()))
        for i in range(keys):
            s.add(Passkey(user_id=uid, credential_id=f"cred-{uid}-{i}", public_key=b"k", name=f"Key {i}"))
    with seed.db.unit_of_work() as s:
        user = _user(s, uid)
        RecoveryCodes(Hasher(ROOT, "recovery-code"), operator="Acme", issuer=ISSUER).generate(
            s, user, actor=user.email, channel=WEB
        )
        for i in range(apps):
            app_passwords.create(s, app_passwords.hasher_for(ROOT), user, f"App {i}", channel=WEB)


def _left(seed: Seeder, uid: int) -> tuple[int, int]:
    """(recovery codes, app passwords) the account still has."""
    with seed.db.unit_of_work() as s:
        codes = len(s.scalars(select(RecoveryCode).where(RecoveryCode.user_id == uid)).all())
        apps = len(s.scalars(select(AppPassword).where(AppPassword.user_id == uid)).all())
    return codes, apps


def _revocations(seed: Seeder) -> list[dict[str, object]]:
    with seed.db.unit_of_work() as s:
        tag = AuditTag.USER_APP_PASSWORD_REVOKE.value
        return [dict(e.data) for e in s.scalars(select(AuditEvent).where(AuditEvent.tag == tag))]


def _keys(seed: Seeder, uid: int) -> list[int]:
    with seed.db.unit_of_work() as s:
        return list(s.scalars(select(Passkey.id).where(Passkey.user_id == uid).order_by(Passkey.id)))


def _remove(seed: Seeder, uid: int, key: int) -> passkeys.PasskeyInfo:
    with seed.db.unit_of_work() as s:
        return passkeys.remove(s, _user(s, uid), key, issuer=ISSUER, operator="Acme")


def _require(seed: Seeder) -> None:
    with seed.db.unit_of_work() as s:
        s.execute(update(Organization).values(require_2sv=True))


def test_the_rule_for_the_last_required_second_step() -> None:  # ACCT-3
    required = Factors(totp=True, passkeys=1, recovery_left=0, required=True)
    assert not blocked(required, totp=True) and not blocked(required, passkeys=1)
    assert blocked(required, totp=True, passkeys=1)
    assert blocked(Factors(totp=True, passkeys=0, recovery_left=5, required=True), totp=True)
    assert blocked(Factors(totp=False, passkeys=1, recovery_left=5, required=True), passkeys=1)
    assert not blocked(Factors(totp=False, passkeys=2, recovery_left=0, required=True), passkeys=1)
    assert not blocked(Factors(totp=True, passkeys=0, recovery_left=0, required=False), totp=True)


def test_removing_the_last_passkey_takes_the_codes_and_app_passwords(seed: Seeder) -> None:  # ACCT-3 ACCT-4
    uid = _uid(seed, "keys@example.org")
    _with(seed, uid, keys=2)
    first, second = _keys(seed, uid)
    _remove(seed, uid, first)
    assert _left(seed, uid) == (10, 2)  # a passkey remains: nothing else goes
    _remove(seed, uid, second)
    assert _left(seed, uid) == (0, 0)
    assert _revocations(seed) == [{"all": True, "count": 2, "channel": "web"}]
    with seed.db.unit_of_work() as s:
        tag = AuditTag.USER_PASSKEY_REMOVE.value
        last = s.scalars(select(AuditEvent).where(AuditEvent.tag == tag).order_by(AuditEvent.id)).all()[-1]
        assert last.data["recovery_codes_deleted"] == 10 and last.data["app_passwords_revoked"] == 2
        mails = s.scalars(select(OutboxMail).where(OutboxMail.reason == tag).order_by(OutboxMail.id)).all()
        assert "your last second step" not in mails[0].body
        assert "It was your last second step" in mails[1].body and "app passwords" in mails[1].body


def test_removing_a_passkey_while_the_app_remains_keeps_them(seed: Seeder) -> None:  # ACCT-3
    uid = _uid(seed, "both@example.org")
    _with(seed, uid, app=True, keys=1)
    _remove(seed, uid, _keys(seed, uid)[0])
    assert _left(seed, uid) == (10, 2) and _revocations(seed) == []


def test_turning_the_app_off_revokes_app_passwords_when_it_was_the_last(seed: Seeder) -> None:  # ACCT-4
    uid = _uid(seed, "app@example.org")
    _with(seed, uid, app=True)
    with seed.db.unit_of_work() as s:
        off = Totp(Envelope(ROOT), operator="Acme", issuer=ISSUER).turn_off(
            s, _user(s, uid), actor="app@example.org", channel=WEB
        )
    assert (off.recovery_codes_deleted, off.app_passwords_revoked) == (10, 2)
    assert _left(seed, uid) == (0, 0) and _revocations(seed)[0]["count"] == 2
    with seed.db.unit_of_work() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.tag == AuditTag.USER_2SV_DISABLE.value)).one()
        assert event.data["app_passwords_revoked"] == 2


def test_the_org_keeps_the_last_passkey_with_required_by_org(seed: Seeder) -> None:  # ACCT-3
    uid = _uid(seed, "kept@strict.test", org="strict.test")
    _with(seed, uid, keys=1)
    _require(seed)
    with pytest.raises(DomainError) as err:
        _remove(seed, uid, _keys(seed, uid)[0])
    assert err.value.code == "required_by_org" and http_status(err.value) == 403
    assert "Add another passkey or an authenticator app first" in err.value.message
    assert len(_keys(seed, uid)) == 1 and _left(seed, uid) == (10, 2)


def test_two_removals_racing_never_take_the_last_required_second_step(seed: Seeder) -> None:  # ACCT-3
    uid = _uid(seed, "race@strict.test", org="strict.test")
    _with(seed, uid, keys=2, apps=0)
    _require(seed)
    keys = _keys(seed, uid)
    barrier = threading.Barrier(2)

    def remove(key: int) -> str:
        barrier.wait()
        try:
            _remove(seed, uid, key)
        except DomainError as exc:
            return exc.code
        except Exception:  # SQLite's single writer may refuse the racing transaction outright
            return "busy"
        return "removed"

    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(remove, keys))
    # exactly one goes (the lock serializes them, so the second sees one key left and is refused)
    assert got.count("removed") == 1 and set(got) <= {"removed", "required_by_org", "busy"}, got
    assert len(_keys(seed, uid)) == 1


def test_the_operators_reset_revokes_app_passwords(seed: Seeder) -> None:  # ACCT-3 ACCT-4
    uid = _uid(seed, "lost@example.org")
    other = _uid(seed, "other@example.org")
    _with(seed, uid, app=True, keys=1, apps=3)
    _with(seed, other, app=True)
    with seed.db.unit_of_work() as s:
        out = reset_two_step(s, "lost@example.org", actor="cli", issuer=ISSUER)
    assert (out.recovery_codes_removed, out.app_passwords_revoked, out.passkeys_removed) == (10, 3, 1)
    assert out.totp_removed and _left(seed, uid) == (0, 0)
    assert _left(seed, other) == (10, 2)  # nobody else's
    assert _revocations(seed) == [{"all": True, "count": 3, "channel": "cli"}]
    with seed.db.unit_of_work() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.tag == AuditTag.USER_2SV_RESET.value)).one()
        assert event.data["app_passwords_revoked"] == 3


def _signin_step(seed: Seeder, uid: int) -> None:
    with seed.db.unit_of_work() as s:
        s.add(
            SigninStep(
                id_hash=new_id()[:40],
                session_hash="b",
                purpose="second_step",
                user_id=uid,
                expires_at=now() + 600,
            )
        )


def test_setting_the_password_revokes_app_passwords_and_voids_half_done_sign_ins(seed: Seeder) -> None:
    # ACCT-3 ACCT-4: whoever had the old password loses what it opened, in apps and mid-sign-in
    uid = _uid(seed, "pw@example.org")
    other = _uid(seed, "keep@example.org")
    _with(seed, uid, app=True)
    _signin_step(seed, uid)
    _signin_step(seed, other)
    with seed.db.unit_of_work() as s:  # an unconfirmed set-up row from before the fix
        s.add(TotpFactor(user_id=other, secret_sealed=b"x", confirmed_at=None))
    with seed.db.unit_of_work() as s:
        set_password(s, "keep@example.org", "another-long-passphrase", actor="cli")
        set_password(s, "pw@example.org", "a-brand-new-passphrase", actor="pw@example.org", channel=WEB)
    assert _left(seed, uid) == (10, 0)  # the codes back up the app, which stays
    assert _revocations(seed) == [{"all": True, "count": 2, "channel": "web"}]
    with seed.db.unit_of_work() as s:
        assert s.scalars(select(SigninStep.user_id)).all() == []
        assert s.get(TotpFactor, other) is None and s.get(TotpFactor, uid) is not None
        tag = AuditTag.USER_PASSWORD.value
        events = s.scalars(select(AuditEvent).where(AuditEvent.tag == tag).order_by(AuditEvent.id)).all()
        assert [e.data["app_passwords_revoked"] for e in events] == [0, 2]


def _session(seed: Seeder, uid: int, amr: str) -> int:
    with seed.db.unit_of_work() as s:
        browser = new_id()[:40]
        s.add(BrowserSession(id_hash=browser, expires_at=now() + 3600))
        s.flush()
        row = SessionAccount(session_hash=browser, user_id=uid, amr=amr)
        s.add(row)
        s.flush()
        return row.id


def test_requiring_two_step_ends_members_password_only_sessions(seed: Seeder) -> None:  # ACCT-3
    pwd = _uid(seed, "pwd@strict.test", org="strict.test")
    mfa = _uid(seed, "mfa@strict.test", org="strict.test")
    outsider = _uid(seed, "out@example.org", org="example.org")
    ended = _session(seed, pwd, "pwd")
    kept = {
        _session(seed, mfa, "pwd otp mfa"),
        _session(seed, mfa, "hwk user mfa"),
        _session(seed, pwd, "pwd hwk mfa"),
        _session(seed, outsider, "pwd"),
    }
    with seed.db.unit_of_work() as s:
        on = require_two_step(s, "strict.test", True, actor="cli")
    assert on.changed and on.sessions_ended == 1
    with seed.db.unit_of_work() as s:
        left = set(s.scalars(select(SessionAccount.id)))
        event = s.scalars(select(AuditEvent).where(AuditEvent.tag == AuditTag.ORG_REQUIRE_2SV.value)).one()
    assert ended not in left and left == kept
    assert event.data["sessions_ended"] == 1
    # Already on: nothing more ends (a member who set up at sign-in this time is left alone).
    _session(seed, pwd, "pwd")
    with seed.db.unit_of_work() as s:
        assert require_two_step(s, "strict.test", True, actor="cli").sessions_ended == 0
        assert require_two_step(s, "strict.test", False, actor="cli").sessions_ended == 0
    with seed.db.unit_of_work() as s:
        assert len(s.scalars(select(SessionAccount.id)).all()) == len(kept) + 1
