"""Consent receipts (CONSENT-8): who decided what, for which app, on what was shown, and when.

The disclosure is identified by its template version and the SHA-256 of its exact content
(``disclosure.Disclosure.digest``); its content is kept too, so the user can read what they saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from consentry.storage.tables import ConsentReceipt
from consentry.storage.tables.base import now


@dataclass(frozen=True, slots=True)
class Shown:
    """The disclosure as rendered: what the receipt points to."""

    version: str
    digest: str
    content: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Receipt:
    user_id: int
    client_pk: int
    project_id: int
    client_id: str
    app_name: str
    protocol: str
    decision: str  # "allow" | "deny"
    granted: tuple[str, ...]
    denied: tuple[str, ...]
    shown: Shown


def record(session: Session, r: Receipt) -> ConsentReceipt:
    row = ConsentReceipt(
        user_id=r.user_id,
        client_pk=r.client_pk,
        project_id=r.project_id,
        client_id=r.client_id,
        app_name=r.app_name[:200],
        protocol=r.protocol,
        decision=r.decision,
        granted=list(r.granted),
        denied=list(r.denied),
        disclosure_version=r.shown.version,
        disclosure_hash=r.shown.digest,
        disclosure=r.shown.content,
        created_at=now(),
    )
    session.add(row)
    return row
