"""App-specific passwords (ACCT-4, PLATFORM_RULES §3): for protocols that cannot ask a second step.

An account with two-step verification cannot sign in to ClientLogin or an IMAP-style app with its
own password (ClientLogin answers ``Info=InvalidSecondFactor``); instead the user makes a named
password for that one app, shown once, and revokes it alone when the app is gone.

- Only accounts with two-step verification on may create them, as the reference platform does:
  without a second step the account password already works in those apps, and an extra password
  would only be one more secret to leak. The page says so and links to turning two-step on.
- The password is 16 random lowercase letters (75 bits), shown as ``abcd efgh ijkl mnop``;
  spaces and case are ignored when typed. It is stored as a keyed hash under its own purpose key:
  a random secret that long cannot be guessed offline, so HMAC is as strong as argon2 here, and
  the hash can be looked up (one indexed equality) instead of tried row by row.
- :func:`verify` is for those protocols ONLY. The sign-in page checks the argon2 account
  password and never calls it, so an app password can never open a browser session.
"""

from __future__ import annotations

import hmac
import secrets
import string
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from consentry.domain.accounts.factors import factors_of
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.secrets import Hasher
from consentry.errors import DomainError, LimitReached, NotFound
from consentry.storage.db import begin_write
from consentry.storage.tables import AppPassword, Token, User
from consentry.storage.tables.base import now

#: The Hasher purpose: its own derived key, so no other keyed hash can be replayed as one.
PURPOSE = "app-password"
LETTERS = string.ascii_lowercase
LENGTH = 16
MAX_PER_ACCOUNT = 20
MAX_NAME = 100
#: Token family of what an app got with an app password (see :func:`token_family`).
FAMILY_PREFIX = "app-password:"


@lru_cache(maxsize=4)
def hasher_for(secret_key: str) -> Hasher:
    """The app-password Hasher for the platform's root secret (derived once per process)."""
    return Hasher(secret_key, PURPOSE)


def grouped(password: str) -> str:
    """``abcdefghijklmnop`` -> ``abcd efgh ijkl mnop``: easier to read out and type."""
    return " ".join(password[i : i + 4] for i in range(0, len(password), 4))


def normalized(typed: str) -> str:
    """What the user typed, without spaces (any whitespace) and in lower case."""
    return "".join(typed.split()).lower()


@dataclass(frozen=True)
class AppPasswordRow:
    """What the list shows of an app password: never the secret, which is not stored."""

    id: int
    name: str
    created_at: int
    last_used_at: int | None


@dataclass(frozen=True)
class Created:
    row: AppPasswordRow
    #: Shown once, grouped in fours; only its keyed hash is kept.
    password: str


def check_name(name: str) -> str:
    """The name trimmed, 1 to 100 printable characters, or ``invalid_name`` saying what to fix."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(
            "invalid_name", "Give the app password a name, such as the app or device that will use it."
        )
    if len(name) > MAX_NAME:
        raise DomainError(
            "invalid_name", f"Keep the name to {MAX_NAME} characters or fewer (it has {len(name)})."
        )
    if not name.isprintable():
        raise DomainError("invalid_name", "The name cannot hold control characters.")
    return name


def may_create(session: Session, user: User) -> bool:
    """App passwords need two-step verification on (see the module's docstring)."""
    return factors_of(session, user).two_step


def create(session: Session, hasher: Hasher, user: User, name: str, *, channel: Channel) -> Created:
    """A new app password for ``user``, named ``name``; refused without two-step verification,
    with a bad name, or past :data:`MAX_PER_ACCOUNT`."""
    name = check_name(name)
    if not may_create(session, user):
        raise DomainError(
            "two_step_required",
            "App passwords are for accounts with two-step verification. Turn on two-step "
            "verification first; until then, apps that ask for a password take your account password.",
        )
    # Serialize this user's creations (PostgreSQL row lock; SQLite has one writer), so two
    # concurrent requests cannot both pass the count below.
    begin_write(session.connection())  # SQLite: take the write turn before counting
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    held = session.scalar(select(func.count()).where(AppPassword.user_id == user.id)) or 0
    if held >= MAX_PER_ACCOUNT:
        raise LimitReached(
            f"An account holds at most {MAX_PER_ACCOUNT} app passwords. Revoke one you no longer "
            "use, then create the new one."
        )
    password = "".join(secrets.choice(LETTERS) for _ in range(LENGTH))
    row = AppPassword(user_id=user.id, name=name, secret_hash=hasher.hash(password), created_at=now())
    session.add(row)
    session.flush()
    record(
        session,
        AuditTag.USER_APP_PASSWORD_CREATE,
        actor=user.email,
        data={"app_password": row.id, "name": name},
        channel=channel,
    )
    return Created(AppPasswordRow(row.id, row.name, row.created_at, None), grouped(password))


def list_for(session: Session, user_id: int) -> list[AppPasswordRow]:
    """The user's app passwords, newest first."""
    rows = session.scalars(
        select(AppPassword).where(AppPassword.user_id == user_id).order_by(AppPassword.id.desc())
    )
    return [AppPasswordRow(r.id, r.name, r.created_at, r.last_used_at) for r in rows]


def revoke(session: Session, user_id: int, password_id: int, *, actor: str, channel: Channel) -> str:
    """Delete one of the user's app passwords; returns its name. ``not_found`` for anyone else's."""
    row = session.scalar(
        select(AppPassword).where(AppPassword.id == password_id, AppPassword.user_id == user_id)
    )
    if row is None:
        raise NotFound("app_password", "This app password is not one of yours, or it was already revoked.")
    name = row.name
    session.execute(delete(AppPassword).where(AppPassword.id == password_id))
    _end_tokens(session, user_id, token_family(password_id))
    record(
        session,
        AuditTag.USER_APP_PASSWORD_REVOKE,
        actor=actor,
        data={"app_password": password_id, "name": name},
        channel=channel,
    )
    return name


def revoke_all(session: Session, user_id: int, *, actor: str, channel: Channel) -> int:
    """Delete every app password of the user (when two-step is turned off, or the password is
    reset); returns how many. Audited once, with the count, when there were any."""
    result = session.execute(delete(AppPassword).where(AppPassword.user_id == user_id))
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    _end_tokens(session, user_id, None)
    if count:
        record(
            session,
            AuditTag.USER_APP_PASSWORD_REVOKE,
            actor=actor,
            data={"all": True, "count": count},
            channel=channel,
        )
    return count


def token_family(password_id: int) -> str:
    """The family of the tokens an app got with this app password (ClientLogin ``Auth``)."""
    return f"{FAMILY_PREFIX}{password_id}"


def _end_tokens(session: Session, user_id: int, family: str | None) -> None:
    """Revoking an app password ends what apps got with it (all of them when ``family`` is None)."""
    which = Token.family == family if family else Token.family.startswith(FAMILY_PREFIX)
    session.execute(
        update(Token)
        .where(Token.user_id == user_id, which, Token.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def verify(session: Session, hasher: Hasher, email: str, password: str) -> User | None:
    """:func:`matched`, the user only."""
    found = matched(session, hasher, email, password)
    return None if found is None else found[0]


def matched(session: Session, hasher: Hasher, email: str, password: str) -> tuple[User, int] | None:
    """The user and the password's id, if ``password`` is one of their app passwords; for
    ClientLogin and IMAP-style protocols ONLY (never the sign-in page).

    Constant-time by construction: the row is found by the keyed hash of what was typed, so the
    time taken does not depend on how close a guess came; the e-mail address is then compared
    with ``hmac.compare_digest``. A disabled account is refused. Marks the password used.
    """
    typed = normalized(password)
    if len(typed) != LENGTH or not typed.isascii() or not typed.isalpha():
        return None
    row = session.execute(
        select(AppPassword.id, User)
        .join(User, User.id == AppPassword.user_id)
        .where(AppPassword.secret_hash == hasher.hash(typed))
    ).first()
    if row is None:
        return None
    password_id, user = row
    wanted = email.strip().lower().encode()
    if not hmac.compare_digest(user.email.encode(), wanted) or user.disabled:
        return None
    session.execute(update(AppPassword).where(AppPassword.id == password_id).values(last_used_at=now()))
    return user, password_id
