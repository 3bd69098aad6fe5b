"""Removing a second step: the one rule for whether it may go, and what goes with the last one (ACCT-3).

Turning off the authenticator app, removing a passkey and the operator's reset all come here, so
the rule is written once:

- :func:`check_removal` locks the account's row before counting what is left (PostgreSQL: a row
  lock; SQLite: the process's write turn, taken before the reads, since SQLite has no ``FOR
  UPDATE``), so two removals racing cannot each see the other's factor and leave an
  account that its organization requires to have two-step with none. It refuses with
  ``required_by_org`` when the organization requires two-step and this is the last second step.
- :func:`after_factor_removed` runs once the factor is gone: with no second step left (no
  confirmed app, no passkey) the recovery codes are deleted (they back up a second step, and there
  is none) and every app password is revoked (they stand in for the password in apps that cannot
  ask a second step; without two-step the account password works there, and a leftover app
  password would be a way in that skips nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.accounts.app_passwords import revoke_all
from consentry.domain.accounts.factors import Factors, factors_of
from consentry.domain.accounts.recovery_codes import RecoveryCodes
from consentry.domain.audit.tags import Channel
from consentry.errors import Forbidden
from consentry.storage.db import begin_write
from consentry.storage.tables import User


@dataclass(frozen=True)
class Cleared:
    """What went with the last second step (nothing while another second step remains)."""

    #: The account still has an authenticator app or a passkey.
    two_step_left: bool
    recovery_codes: int = 0
    app_passwords: int = 0


def blocked(factors: Factors, *, totp: bool = False, passkeys: int = 0) -> bool:
    """Would removing the app (``totp``) and/or ``passkeys`` keys leave a required account with none?"""
    app_left = factors.totp and not totp
    keys_left = factors.passkeys - passkeys
    return factors.required and not app_left and keys_left <= 0


def lock_factors(session: Session, user: User) -> Factors:
    """The account's factors, counted under a lock on its row (held until the transaction ends)."""
    begin_write(session.connection())  # SQLite: no FOR UPDATE; the write turn serializes instead
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    return factors_of(session, user)


def check_removal(session: Session, user: User, *, totp: bool = False, passkeys: int = 0) -> Factors:
    """Lock, count, and refuse (``required_by_org``, 403) removing the last required second step.

    Returns the factors as they were before the removal."""
    factors = lock_factors(session, user)
    if blocked(factors, totp=totp, passkeys=passkeys):
        instead = "a passkey or security key" if totp else "another passkey or an authenticator app"
        what = "turn the authenticator app off" if totp else "remove this one"
        raise Forbidden(
            "Your organization requires two-step verification, and this is your only second step. "
            f"Add {instead} first, then you can {what}.",
            code="required_by_org",
        )
    return factors


def after_factor_removed(session: Session, user: User, *, actor: str, channel: Channel) -> Cleared:
    """With no second step left: delete the recovery codes and revoke every app password (audited)."""
    session.flush()
    if factors_of(session, user).two_step:
        return Cleared(two_step_left=True)
    codes = RecoveryCodes.delete_all(session, user.id)
    apps = revoke_all(session, user.id, actor=actor, channel=channel)
    return Cleared(False, codes, apps)
