"""Which apps still use which legacy protocol: the operator's list of apps to move to OAuth 2.0.

Read from the tokens the legacy protocols issued (rows of ``tokens`` with a ``legacy:`` grant
type, their ``legacy_credentials``) over a window: per protocol and app (and, for apps that never
registered, per ClientLogin ``source`` or the name they gave), how many tokens were issued, to how
many users, how many are still live, and when the last one was issued.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from consentry.domain.legacy.tokens import GRANT_PREFIX
from consentry.storage.tables import Client, LegacyCredential, Project, Token
from consentry.storage.tables.base import now

DAY = 86400


@dataclass(frozen=True, slots=True)
class Usage:
    protocol: str
    project: str
    client_id: str
    #: ClientLogin ``source`` or the name an unregistered app gave; "" for registered apps.
    source: str
    tokens_issued: int
    users: int
    live_tokens: int
    last_issued_at: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def usage(session: Session, *, days: int = 30) -> list[Usage]:
    """Most recently used first."""
    t = now()
    since = t - days * DAY
    live = (Token.revoked_at.is_(None)) & (Token.expires_at > t)
    rows = session.execute(
        select(
            LegacyCredential.protocol,
            Project.name,
            Client.client_id,
            LegacyCredential.source,
            func.count(Token.id),
            func.count(func.distinct(Token.user_id)),
            func.sum(case((live, 1), else_=0)),
            func.max(Token.issued_at),
        )
        .join(LegacyCredential, LegacyCredential.token_id == Token.id)
        .join(Client, Client.id == Token.client_pk)
        .join(Project, Project.id == Client.project_id)
        .where(Token.grant_type.startswith(GRANT_PREFIX), Token.issued_at >= since)
        .group_by(LegacyCredential.protocol, Project.name, Client.client_id, LegacyCredential.source)
        .order_by(func.max(Token.issued_at).desc())
    )
    return [
        Usage(protocol, project, client_id, source or "", int(n), int(users), int(live_n or 0), int(last))
        for protocol, project, client_id, source, n, users, live_n, last in rows
    ]
