"""Recording a consent decision: the grant it changes and its receipt, in one transaction.

Every protocol's approval page calls :func:`record_decision`, so the rules of granular consent
(CONSENT-6), the Testing lapse (VERIFY-11) and the receipt (CONSENT-8) are written once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from consentry.domain.consent import receipts, service
from consentry.domain.consent.asking import Ticks, nothing_granted, read_ticks
from consentry.domain.scopes.catalogue import SIGN_IN
from consentry.storage.tables.base import now


@dataclass(frozen=True, slots=True)
class Who:
    user_id: int
    email: str
    client_pk: int
    client_id: str
    project_id: int
    project_status: str


@dataclass(frozen=True, slots=True)
class Recorded:
    ticks: Ticks
    #: Everything the user now grants the client (None when they declined).
    granted: frozenset[str] | None
    #: When the whole grant lapses (an earlier Testing lapse included): tokens never outlive it.
    lapses_at: int | None


def record_decision(
    session: Session,
    who: Who,
    *,
    requested: list[str],
    offered: list[str],
    checked: list[str],
    allow: bool,
    shown: receipts.Shown,
    app_name: str,
    protocol: str,
    testing_ttl: int,
) -> Recorded:
    ticks = read_ticks(requested, offered, checked) if allow else nothing_granted(offered)
    granted: frozenset[str] | None = None
    lapses_at = None
    if allow:
        if who.project_status == "testing" and any(s not in SIGN_IN for s in ticks.agreed):
            lapses_at = now() + testing_ttl  # the grant itself lapses, not only its tokens
        scopes, lapses_at = service.grant(
            session,
            who.user_id,
            who.client_pk,
            list(ticks.agreed),
            actor=who.email,
            withdraw=list(ticks.withdrawn),
            lapses_at=lapses_at,
            protocol=protocol,
        )
        granted = frozenset(scopes)
    receipts.record(
        session,
        receipts.Receipt(
            user_id=who.user_id,
            client_pk=who.client_pk,
            project_id=who.project_id,
            client_id=who.client_id,
            app_name=app_name,
            protocol=protocol,
            decision="allow" if allow else "deny",
            granted=ticks.agreed,
            denied=ticks.denied,
            shown=shown,
        ),
    )
    return Recorded(ticks, granted, lapses_at)
