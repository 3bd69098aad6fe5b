"""The janitor's verification pass, in its own transaction (see Verification.sweep)."""

from __future__ import annotations

from consentry.domain.actor import Actor
from consentry.domain.audit.tags import Channel
from consentry.domain.projects.service import Projects
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.verification.service import Verification
from consentry.storage.db import Database
from consentry.storage.repositories.console import SqlConsole
from consentry.storage.repositories.rate_counters import SqlRateCounters
from consentry.storage.tables.base import now

#: A claim outlives anything it guards (a reminder is for one assessment year).
CLAIM_WINDOW = 400 * 86400
JANITOR = Actor(email="janitor", user_id=None, platform_role="operator", channel=Channel.SYSTEM)


def sweep(db: Database, issuer: str, at: int | None = None) -> dict[str, int]:
    with db.unit_of_work() as session:
        counters = SqlRateCounters(session)
        t = now()

        def claim(key: str) -> bool:
            return counters.hit(f"janitor:{key}", CLAIM_WINDOW, t).count == 1

        service = Verification(Projects(SqlConsole(session), JANITOR, Catalogue(issuer)))
        return service.sweep(claim, at)
