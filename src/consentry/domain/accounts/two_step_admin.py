"""What operators do about two-step verification: reset an account's, require it of an organization.

A reset is the way back for someone who lost their phone and their recovery codes: every second
step goes (authenticator app, recovery codes, passkeys), the app passwords with them (they stood in
for a second step: factor_removal.py), and every browser signed in to the account is signed out, so
whoever held a session through the lost device loses it too. The operator must have checked who is
asking first; the audit log names the change.

Turning an organization's requirement on ends its members' browser sessions that were signed in
with the password alone: the rule holds from now, not from each session's end up to 14 days later.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from consentry.domain.accounts.amr import is_two_step
from consentry.domain.accounts.factor_removal import after_factor_removed
from consentry.domain.accounts.service import find_org, require_user
from consentry.domain.accounts.two_step_mail import security_notice
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.events.emit import emit
from consentry.errors import NotFound
from consentry.storage.tables import Passkey, SessionAccount, SigninStep, TotpFactor, User


@dataclass(frozen=True)
class Reset:
    email: str
    totp_removed: bool
    recovery_codes_removed: int
    passkeys_removed: int
    app_passwords_revoked: int
    sessions_ended: int


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def reset_two_step(
    session: Session,
    email: str,
    *,
    actor: str,
    issuer: str,
    operator: str = "Consentry",
    channel: Channel = Channel.CLI,
) -> Reset:
    """Remove every second step of the account and sign it out everywhere (audited); the apps
    listening for security events hear ``sessions-revoked``, as after a password change, and the
    owner gets a security notice (if it was not them who asked, they must know at once)."""
    user = require_user(session, email)
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    app_on = TotpFactor.user_id == user.id, TotpFactor.confirmed_at.is_not(None)
    totp = _count(session.execute(delete(TotpFactor).where(*app_on)))
    session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))  # never-confirmed rows
    keys = _count(session.execute(delete(Passkey).where(Passkey.user_id == user.id)))
    cleared = after_factor_removed(session, user, actor=actor, channel=channel)
    sessions = _count(session.execute(delete(SessionAccount).where(SessionAccount.user_id == user.id)))
    session.execute(delete(SigninStep).where(SigninStep.user_id == user.id))  # half-done sign-ins too
    out = Reset(user.email, totp > 0, cleared.recovery_codes, keys, cleared.app_passwords, sessions)
    if sessions:
        emit(session, event="sessions-revoked", user_id=user.id, issuer=issuer)
    security_notice(
        session,
        user,
        AuditTag.USER_2SV_RESET,
        "two-step verification was reset",
        "An administrator removed the second steps of your account (authenticator app, recovery\n"
        "codes, passkeys), revoked its app passwords and signed it out everywhere. Signing in now\n"
        "asks for your password only, unless your organization requires two-step verification:\n"
        "then you set it up again.",
        issuer=issuer,
        operator=operator,
    )
    record(
        session,
        AuditTag.USER_2SV_RESET,
        actor=actor,
        data={
            "user": user.email,
            "totp_removed": out.totp_removed,
            "recovery_codes_removed": cleared.recovery_codes,
            "passkeys_removed": keys,
            "app_passwords_revoked": cleared.app_passwords,
            "sessions_ended": sessions,
        },
        channel=channel,
    )
    return out


@dataclass(frozen=True)
class Requirement:
    domain: str
    require_2sv: bool
    changed: bool
    #: Members with neither an authenticator app nor a passkey: asked to set one up at next sign-in.
    members_without_second_step: int
    #: Members' browser sessions signed in without a second step, ended by turning the rule on.
    sessions_ended: int = 0


def require_two_step(
    session: Session, domain: str, required: bool, *, actor: str, channel: Channel = Channel.CLI
) -> Requirement:
    """Turn the organization's requirement on or off; members are asked at their next sign-in.

    Turning it on (from off) signs members out of every browser session that was signed in with
    the password alone (``amr`` without ``mfa``); sessions with a second step stay."""
    org = find_org(session, domain)
    if org is None:
        raise NotFound("organization", f"no organization {domain.strip().lower()}; add it first")
    changed = org.require_2sv != required
    org.require_2sv = required
    confirmed = select(TotpFactor.user_id).where(TotpFactor.confirmed_at.is_not(None))
    keyed = select(Passkey.user_id)
    without = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.org_id == org.id, User.id.not_in(confirmed), User.id.not_in(keyed))
    )
    ended = _end_password_only_sessions(session, org.id) if required and changed else 0
    record(
        session,
        AuditTag.ORG_REQUIRE_2SV,
        actor=actor,
        data={"domain": org.domain, "required": required, "changed": changed, "sessions_ended": ended},
        channel=channel,
    )
    return Requirement(org.domain, required, changed, int(without or 0), ended)


def _end_password_only_sessions(session: Session, org_id: int) -> int:
    """Delete the org's members' sessions whose ``amr`` has no ``mfa``; how many."""
    members = select(User.id).where(User.org_id == org_id)
    rows = session.execute(
        select(SessionAccount.id, SessionAccount.amr).where(SessionAccount.user_id.in_(members))
    ).all()
    doomed = [sid for sid, amr in rows if not is_two_step(amr)]
    if not doomed:
        return 0
    return _count(session.execute(delete(SessionAccount).where(SessionAccount.id.in_(doomed))))
