"""The unverified-app user cap (VERIFY-11): each distinct user who goes past the screen counts
once, over the project's whole life; the count never goes down.

Counting is one conditional UPDATE (``unverified_users < cap``) in the transaction that records
the pass, so two users racing for the last place cannot both get it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consentry.domain.consent.notices import tell_developer
from consentry.storage.tables import Project, UnverifiedPass
from consentry.storage.tables.base import now


def counted(session: Session, project_id: int, user_ids: Iterable[int]) -> frozenset[int]:
    """Which of these users were counted before (they may always come back)."""
    ids = list(user_ids)
    if not ids:
        return frozenset()
    rows = session.scalars(
        select(UnverifiedPass.user_id).where(
            UnverifiedPass.project_id == project_id, UnverifiedPass.user_id.in_(ids)
        )
    )
    return frozenset(r for r in rows if r is not None)


def count_pass(session: Session, project_id: int, user_id: int, cap: int, issuer: str) -> bool:
    """Record that ``user_id`` went past the screen; False if the cap left no place for them."""
    if user_id in counted(session, project_id, [user_id]):
        return True
    taken = session.execute(
        update(Project)
        .where(Project.id == project_id, Project.unverified_users < cap)
        .values(unverified_users=Project.unverified_users + 1)
        .returning(Project.unverified_users)
    ).scalar_one_or_none()
    if taken is None:
        # Full - unless this very user took the last place from another tab meanwhile.
        return user_id in counted(session, project_id, [user_id])
    try:
        with session.begin_nested():
            session.add(UnverifiedPass(project_id=project_id, user_id=user_id, passed_at=now()))
    except IntegrityError:
        # The same user passed at the same moment in another tab: counted once, give it back.
        session.execute(
            update(Project)
            .where(Project.id == project_id)
            .values(unverified_users=Project.unverified_users - 1)
        )
        return True
    if taken == cap:
        tell_developer(
            session,
            project_id,
            "unverified_cap_reached",
            f"Your app has reached its limit of {cap} users without verification: new users "
            "can no longer sign in to it. Submit it for verification from the developer console.",
            issuer,
        )
    return True
