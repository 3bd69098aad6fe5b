"""DisplayUnlockCaptcha (AUTH4-4): the account's owner, signed in to a browser, lets their apps in.

After repeated failures ClientLogin answers ``CaptchaRequired``, and many installed apps cannot show
a picture. The owner opens the unlock page, signed in, and presses Continue: for ``UNLOCK_TTL``
seconds the next ``UNLOCK_ATTEMPTS`` ClientLogin sign-ins of that account skip the CAPTCHA (each is
still counted and judged, so a wrong password still fails). The unlock is tied to the account,
which only its owner can reach, so it never tells anyone else whether an address has an account.
"""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from consentry.storage.tables import ClientLoginUnlock

UNLOCK_TTL = 600
UNLOCK_ATTEMPTS = 10


def grant_unlock(session: Session, user_id: int, t: int) -> int:
    """Open (or re-open) the window; returns when it closes."""
    session.execute(delete(ClientLoginUnlock).where(ClientLoginUnlock.user_id == user_id))
    session.add(ClientLoginUnlock(user_id=user_id, expires_at=t + UNLOCK_TTL, attempts_left=UNLOCK_ATTEMPTS))
    session.flush()
    return t + UNLOCK_TTL


def take_unlock(session: Session, user_id: int, t: int) -> bool:
    """Spend one sign-in of an open window; one conditional UPDATE, so concurrent ones cannot overdraw."""
    result = session.execute(
        update(ClientLoginUnlock)
        .where(
            ClientLoginUnlock.user_id == user_id,
            ClientLoginUnlock.expires_at > t,
            ClientLoginUnlock.attempts_left > 0,
        )
        .values(attempts_left=ClientLoginUnlock.attempts_left - 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
