"""What the developer declared in review (VERIFY-6), and whether a review still covers the app.

The consent screen repeats the developer's own words on how each scope's data is used and
shared (CONSENT-3), taken from the latest approved verification request, else the latest
submitted one; a draft is never shown, since nobody has stood behind it yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.consent.disclosure_words import declared, sharing
from consentry.domain.projects.service import brand_of
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.verification.states import ReviewState
from consentry.storage.tables import Project, VerificationRequest

#: Scope classes an approved review must cover before the app is shown as verified.
REVIEWED_CLASSES = ("sensitive", "restricted")


@dataclass(frozen=True)
class Declared:
    """Per scope URI: the declared use, and the declared sharing that applies to it."""

    uses: dict[str, str]
    sharing: dict[str, str]


def _latest(session: Session, project_id: int, *, approved: bool) -> VerificationRequest | None:
    q = select(VerificationRequest).where(VerificationRequest.project_id == project_id)
    if approved:
        q = q.where(VerificationRequest.state == ReviewState.APPROVED.value)
    else:
        q = q.where(VerificationRequest.state != ReviewState.DRAFT.value)
    return session.scalar(q.order_by(VerificationRequest.id.desc()).limit(1))


def _by_uri(catalogue: Catalogue, mapping: Any) -> dict[str, Any]:
    """Justifications keyed by URI, whether stored by URI, bare name or another issuer's URI."""
    out: dict[str, Any] = {}
    if not isinstance(mapping, dict):
        return out
    for key, value in mapping.items():
        info = catalogue.lookup(key) if isinstance(key, str) else None
        if info is not None:
            out.setdefault(info.uri, value)
    return out


def _covered(catalogue: Catalogue, row: VerificationRequest) -> set[str]:
    scopes = row.scopes if isinstance(row.scopes, list) else []
    named = {info.uri for s in scopes if isinstance(s, str) and (info := catalogue.lookup(s))}
    return named | set(_by_uri(catalogue, row.justifications))


def declarations(session: Session, project: Project, catalogue: Catalogue, uris: Iterable[str]) -> Declared:
    """The declared use and sharing of each scope in ``uris`` ("" where nothing was declared)."""
    rows = [r for r in (_latest(session, project.id, approved=a) for a in (True, False)) if r]
    uses: dict[str, str] = {}
    shared: dict[str, str] = {}
    for uri in uris:
        for row in rows:  # the approved request speaks first; the submitted one fills the gaps
            if uri not in _covered(catalogue, row):
                continue
            answer = _by_uri(catalogue, row.justifications).get(uri)
            use = declared(answer.get("usage")) if isinstance(answer, dict) else ""
            uses[uri] = uses.get(uri) or use
            shared[uri] = shared.get(uri) or sharing(row.transfers, row.human_access)
    return Declared(uses, shared)


def verified(session: Session, project: Project, catalogue: Catalogue, asked: Iterable[str]) -> bool:
    """In production, reviewed, every risky scope asked approved, the brand as it was approved.

    ``Project.approved_scopes`` is what the policy gate reads too (domain/policy/), so the badge
    and the unverified-app screen agree; a project nobody ever reviewed is not "verified" just
    because it asks for nothing risky.
    """
    if project.status != "production":
        return False
    approved = set(project.approved_scopes or [])
    row = _latest(session, project.id, approved=True)
    if not approved and row is None:
        return False
    if row is not None and row.brand and row.brand != brand_of(project):
        return False  # a brand change sends the app back to review (VERIFY-3)
    for uri in asked:
        info = catalogue.get(uri)
        if info is not None and info.scope_class in REVIEWED_CLASSES and uri not in approved:
            return False
    return True
