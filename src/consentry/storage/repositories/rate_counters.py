"""Rate counters over SQL: one INSERT ... ON CONFLICT DO UPDATE ... RETURNING per hit.

The single statement is what makes the count exact under concurrency on both engines: PostgreSQL
locks the row for the conflicting update, SQLite runs the statement under its write lock. There is
no read-modify-write in Python, so no lost update, no duplicate-key error and no stale-row error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from consentry.domain.ratelimit.counters import Count
from consentry.storage.tables import RateCounter
from consentry.storage.upsert import insert_for


class SqlRateCounters:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._insert: Any = insert_for(session)

    def hit(self, key: str, window: int, now: int) -> Count:
        table = RateCounter.__table__
        ended = table.c.expires_at <= now
        stmt = self._insert(table).values(key=key, count=1, window_start=now, expires_at=now + window)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                # Every right-hand side reads the row as it was before this statement.
                "count": case((ended, 1), else_=table.c.count + 1),
                "window_start": case((ended, now), else_=table.c.window_start),
                "expires_at": case((ended, now + window), else_=table.c.expires_at),
            },
        ).returning(table.c.count, table.c.expires_at)
        count, expires_at = self.session.execute(stmt).one()
        return Count(int(count), int(expires_at))

    def release(self, key: str, now: int) -> None:
        self.session.execute(
            update(RateCounter)
            .where(RateCounter.key == key, RateCounter.count > 0, RateCounter.expires_at > now)
            .values(count=RateCounter.count - 1)
        )

    def extend(self, key: str, until: int) -> None:
        self.session.execute(
            update(RateCounter)
            .where(RateCounter.key == key, RateCounter.expires_at < until)
            .values(expires_at=until)
        )

    def peek(self, key: str, now: int) -> int:
        count = self.session.scalar(
            select(func.coalesce(func.max(RateCounter.count), 0)).where(
                RateCounter.key == key, RateCounter.expires_at > now
            )
        )
        return int(count or 0)
