"""Who is calling a data operation, under which granted scope, and the access log (AUTH0-1, AUTH0-4)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.scopes.catalogue import ScopeInfo
from consentry.errors import DomainError
from consentry.storage.tables import AccessLogEntry


@dataclass(frozen=True)
class DataAccess:
    """A verified call: the token's user and app, and the granted scopes that allow the operation."""

    user_id: int
    client_pk: int
    client_id: str
    project_id: int
    operation: str
    #: Granted scopes allowing the operation, narrowest first; the first is logged as "used".
    allowing: tuple[ScopeInfo, ...]

    @property
    def scope_used(self) -> ScopeInfo:
        return self.allowing[0]

    @property
    def reaches(self) -> frozenset[str]:
        """The reaches of the granted scopes that allow this call ("all", "granted-files", …)."""
        return frozenset(s.reach for s in self.allowing)

    @property
    def sees_all(self) -> bool:
        return "all" in self.reaches


def not_found(what: str) -> DomainError:
    return DomainError("not_found", f"{what} not found")


def log_access(
    session: Session,
    *,
    user_id: int | None,
    client_pk: int | None,
    client_id: str,
    operation: str,
    scope: str,
    status: int,
) -> None:
    session.add(
        AccessLogEntry(
            user_id=user_id,
            client_pk=client_pk,
            client_id=client_id,
            operation=operation,
            scope=scope,
            status=status,
        )
    )


def access_log(session: Session, user_id: int, limit: int = 100) -> list[AccessLogEntry]:
    """The user's most recent data accesses, newest first."""
    stmt = (
        select(AccessLogEntry)
        .where(AccessLogEntry.user_id == user_id)
        .order_by(AccessLogEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
