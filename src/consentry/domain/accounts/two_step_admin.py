"""What operators do about two-step verification: reset an account's, require it of an organization.

A reset is the way back for someone who lost their phone and their recovery codes: every second
step goes (authenticator app, recovery codes, passkeys) and every browser signed in to the account
is signed out, so whoever held a session through the lost device loses it too. The operator must
have checked who is asking first; the audit log names the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from consentry.domain.accounts.service import find_org, require_user
from consentry.domain.accounts.two_step_mail import security_notice
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.events.emit import emit
from consentry.errors import NotFound
from consentry.storage.tables import Passkey, RecoveryCode, SessionAccount, SigninStep, TotpFactor, User


@dataclass(frozen=True)
class Reset:
    email: str
    totp_removed: bool
    recovery_codes_removed: int
    passkeys_removed: int
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
    totp = _count(session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id)))
    codes = _count(session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id)))
    keys = _count(session.execute(delete(Passkey).where(Passkey.user_id == user.id)))
    sessions = _count(session.execute(delete(SessionAccount).where(SessionAccount.user_id == user.id)))
    session.execute(delete(SigninStep).where(SigninStep.user_id == user.id))  # half-done sign-ins too
    out = Reset(user.email, totp > 0, codes, keys, sessions)
    if sessions:
        emit(session, event="sessions-revoked", user_id=user.id, issuer=issuer)
    security_notice(
        session,
        user,
        AuditTag.USER_2SV_RESET,
        "two-step verification was reset",
        "An administrator removed the second steps of your account (authenticator app, recovery\n"
        "codes, passkeys) and signed it out everywhere. Signing in now asks for your password only,\n"
        "unless your organization requires two-step verification: then you set it up again.",
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
            "recovery_codes_removed": codes,
            "passkeys_removed": keys,
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


def require_two_step(
    session: Session, domain: str, required: bool, *, actor: str, channel: Channel = Channel.CLI
) -> Requirement:
    """Turn the organization's requirement on or off; members are asked at their next sign-in."""
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
    record(
        session,
        AuditTag.ORG_REQUIRE_2SV,
        actor=actor,
        data={"domain": org.domain, "required": required, "changed": changed},
        channel=channel,
    )
    return Requirement(org.domain, required, changed, int(without or 0))
