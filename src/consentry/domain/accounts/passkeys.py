"""An account's passkeys and security keys: who the relying party is, and the list people manage.

ACCT-3. The WebAuthn ceremonies live next door: ``passkeys_enrol.py`` adds a key,
``passkeys_signin.py`` signs in with one (first factor or second step). This module holds what
both need (the relying party, the names people give their keys) and the
list on /account/passkeys: rename, remove. Removing the last second step of an account whose
organization requires two-step verification is refused, so nobody locks themselves out of a rule;
removing the last second step otherwise takes the recovery codes and app passwords with it (both
rules: factor_removal.py, shared with turning the authenticator app off).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from consentry.domain import audit
from consentry.domain.accounts.factor_removal import after_factor_removed, check_removal
from consentry.domain.accounts.two_step_mail import PASSKEYS, security_notice
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.errors import DomainError, NotFound
from consentry.settings import Settings
from consentry.storage.tables import Passkey, User

MAX_NAME = 100
#: An account keeps at most this many keys: enough for every device, few enough to list.
MAX_PASSKEYS = 20
DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class RelyingParty:
    """WebAuthn's view of this server: keys are bound to ``id`` (the issuer's host) and answers
    must come from ``origin`` (scheme://host[:port]), so a key made here is useless to a look-alike."""

    id: str
    origin: str
    name: str

    @classmethod
    def of(cls, settings: Settings) -> RelyingParty:
        parts = urlsplit(settings.issuer_url)
        host = (parts.hostname or "").lower()
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None and DEFAULT_PORTS.get(parts.scheme) != parts.port:
            netloc += f":{parts.port}"
        return cls(host, f"{parts.scheme}://{netloc}", settings.operator_name or "Consentry")

    @property
    def usable(self) -> bool:
        """Browsers refuse an IP address as the RP id: the issuer must be a host name (localhost)."""
        try:
            ipaddress.ip_address(self.id)
        except ValueError:
            return bool(self.id)
        return False


@dataclass(frozen=True)
class PasskeyInfo:
    """A key as the account page shows it (never its public key or credential id)."""

    id: int
    name: str
    created_at: int
    last_used_at: int | None
    #: The authenticator verified its user (PIN, biometrics) when it was added.
    user_verified: bool
    transports: tuple[str, ...]


def info_of(row: Passkey) -> PasskeyInfo:
    transports = tuple(t for t in row.transports.split(",") if t)
    return PasskeyInfo(row.id, row.name, row.created_at, row.last_used_at, row.user_verified, transports)


def clean_name(raw: str, default: str = "Passkey") -> str:
    """A name people typed: printable, trimmed, 1 to 100 characters (empty -> ``default``)."""
    name = "".join(c for c in " ".join(raw.split()) if c.isprintable())
    if len(name) > MAX_NAME:
        raise DomainError("invalid_name", f"A passkey's name holds at most {MAX_NAME} characters.")
    return name or default


def list_passkeys(session: Session, user_id: int) -> list[PasskeyInfo]:
    rows = session.scalars(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id))
    return [info_of(r) for r in rows]


def _own(session: Session, user: User, passkey_id: int) -> Passkey:
    """The account's own key; another account's id reads as unknown (ids are not secrets)."""
    row = session.get(Passkey, passkey_id)
    if row is None or row.user_id != user.id:
        raise NotFound("passkey", "That passkey is not on your account (it may have been removed already).")
    return row


def rename(session: Session, user: User, passkey_id: int, name: str) -> PasskeyInfo:
    row = _own(session, user, passkey_id)
    cleaned = clean_name(name, "")
    if not cleaned:
        raise DomainError("invalid_name", "Type a name for the passkey, such as “Work laptop”.")
    row.name = cleaned
    session.flush()
    return info_of(row)


def remove(
    session: Session,
    user: User,
    passkey_id: int,
    *,
    channel: Channel = Channel.WEB,
    issuer: str,
    operator: str,
    device: str = "",
) -> PasskeyInfo:
    """Remove a key, unless it is the last second step and the organization requires one (403
    ``required_by_org``); the last second step takes the recovery codes and app passwords along."""
    gone = info_of(_own(session, user, passkey_id))
    check_removal(session, user, passkeys=1)
    deleted = session.execute(delete(Passkey).where(Passkey.id == gone.id, Passkey.user_id == user.id))
    if int(deleted.rowcount or 0) != 1:  # type: ignore[attr-defined]  # a racing removal was first
        raise NotFound("passkey", "That passkey is not on your account (it may have been removed already).")
    cleared = after_factor_removed(session, user, actor=user.email, channel=channel)
    audit.record(
        session,
        AuditTag.USER_PASSKEY_REMOVE,
        actor=user.email,
        data={
            "user_id": user.id,
            "passkey": gone.id,
            "name": gone.name,
            "recovery_codes_deleted": cleared.recovery_codes,
            "app_passwords_revoked": cleared.app_passwords,
        },
        channel=channel,
    )
    subject = f"Passkey “{gone.name}” removed"
    text = _removed_text(gone, device)
    if not cleared.two_step_left:
        text += (
            "\nIt was your last second step: signing in now asks for your password only, and your\n"
            "recovery codes and app passwords no longer work.\n"
        )
    security_notice(
        session,
        user,
        AuditTag.USER_PASSKEY_REMOVE,
        subject,
        text,
        issuer=issuer,
        operator=operator,
        review=PASSKEYS,
    )
    return gone


def _removed_text(key: PasskeyInfo, device: str) -> str:
    where = f"\nFrom: {device}\n" if device else ""
    return (
        f"The passkey “{key.name}” was removed from your account. It can no longer be used to sign in.\n"
        + where
    )
