"""The apps that hold access to a user's account, and taking it all back in one step (DATA-1).

An app is a project: a grant to any of its clients counts for the app, and a revocation takes
back what every client of the project holds for the user. An app "holds access" while the user
has a grant that has not lapsed (``lapses_at`` NULL or ahead) or a token that still works (its
access token not expired, or its refresh token still exchangeable). The account page lists
these and the user's consent receipts (CONSENT-8); plain Python, no web framework.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.domain.events import deletion
from consentry.domain.events.emit import emit, listening_projects
from consentry.domain.scopes.catalogue import CLASS_RANK, Catalogue
from consentry.errors import NotFound
from consentry.storage.tables import (
    AccessLogEntry,
    AuthorizationCode,
    Client,
    ConsentGrant,
    ConsentReceipt,
    DeviceCode,
    GadgetToken,
    LegacyRequest,
    Project,
    SecurityEvent,
    Token,
)
from consentry.storage.tables.base import now

#: Access-log entries shown per app.
RECENT = 10
#: Receipts shown per page of /account/receipts.
RECEIPTS_PAGE = 50
#: Scope classes in the words a user reads (no "restricted scope" jargon).
CLASS_WORDS = {
    "restricted": "highly sensitive data",
    "sensitive": "sensitive data",
    "non-sensitive": "basic account info",
    "unknown": "not described",
}


@dataclass(frozen=True)
class GrantedScope:
    """One scope an app holds, described as the consent page described it."""

    uri: str
    description: str
    scope_class: str

    @property
    def class_words(self) -> str:
        return CLASS_WORDS.get(self.scope_class, CLASS_WORDS["unknown"])


@dataclass(frozen=True)
class AccessEntry:
    """One call the app made to the user's data, with what it did in plain words."""

    at: int
    client_id: str
    operation: str
    summary: str
    status: int

    @property
    def allowed(self) -> bool:
        return self.status < 400


@dataclass(frozen=True)
class ConnectedApp:
    project_id: int
    name: str
    #: A client id for /apps/<client_id>/logo.png, when the project has a logo.
    logo_client_id: str | None
    client_ids: tuple[str, ...]
    #: Most sensitive first.
    scopes: tuple[GrantedScope, ...]
    since: int
    last_used: int | None
    recent: tuple[AccessEntry, ...]
    live_tokens: int
    #: When the access lapses by itself (an app in Testing, VERIFY-11); None if it does not.
    lapses_at: int | None
    #: Whether the app registered an endpoint for security events and deletion requests.
    takes_requests: bool

    @property
    def initial(self) -> str:
        return (self.name.strip()[:1] or "?").upper()


@dataclass
class Revoked:
    """What a revocation took back (counts), for the audit event and the page's notice."""

    project_id: int
    app_name: str
    grants: int = 0
    tokens: int = 0
    codes: int = 0
    device_codes: int = 0
    client_pks: list[int] = field(default_factory=list)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _live_token(at: int) -> ColumnElement[bool]:
    """A token that still works: its access token is unexpired, or its refresh token exchangeable."""
    refreshable = and_(
        Token.refresh_hash.is_not(None), Token.rotated_at.is_(None), Token.refresh_expires_at > at
    )
    return and_(Token.revoked_at.is_(None), or_(Token.expires_at > at, refreshable))


def describe(catalogue: Catalogue, scopes: Iterable[str]) -> tuple[GrantedScope, ...]:
    """Scopes in the consent screen's words, most sensitive first; one the catalogue does not
    know (a legacy scope) is shown as it was asked, never hidden."""
    out = []
    for uri in set(scopes):
        info = catalogue.get(uri)
        if info is None:
            out.append(GrantedScope(uri, uri, "unknown"))
        else:
            out.append(GrantedScope(uri, info.description, info.scope_class))
    rank = {**CLASS_RANK, "unknown": len(CLASS_RANK)}
    return tuple(sorted(out, key=lambda s: (-rank[s.scope_class], s.description)))


@dataclass
class _Holding:
    scopes: set[str] = field(default_factory=set)
    since: int | None = None
    live_tokens: int = 0
    lapses: list[int | None] = field(default_factory=list)

    def seen(self, at: int) -> None:
        self.since = at if self.since is None else min(self.since, at)


def _holdings(session: Session, user_id: int, at: int, project_id: int | None) -> dict[int, _Holding]:
    """Per project: the scopes held through live grants and live tokens, and since when."""
    held: dict[int, _Holding] = {}
    grants = (
        select(Client.project_id, ConsentGrant.scopes, ConsentGrant.created_at, ConsentGrant.lapses_at)
        .join(Client, Client.id == ConsentGrant.client_pk)
        .where(
            ConsentGrant.user_id == user_id,
            or_(ConsentGrant.lapses_at.is_(None), ConsentGrant.lapses_at > at),
        )
    )
    tokens = (
        select(Client.project_id, Token.scope, Token.issued_at)
        .join(Client, Client.id == Token.client_pk)
        .where(Token.user_id == user_id, _live_token(at))
    )
    if project_id is not None:
        grants = grants.where(Client.project_id == project_id)
        tokens = tokens.where(Client.project_id == project_id)
    for pid, scopes, created, lapses in session.execute(grants):
        h = held.setdefault(pid, _Holding())
        h.scopes.update(scopes or [])
        h.seen(created)
        h.lapses.append(lapses)
    token_since: dict[int, int] = {}
    for pid, scope, issued in session.execute(tokens):
        h = held.setdefault(pid, _Holding())
        h.scopes.update((scope or "").split())
        h.live_tokens += 1
        token_since[pid] = min(token_since.get(pid, issued), issued)
    for pid, h in held.items():
        if h.since is None:  # only tokens left (the grant lapsed or was never stored)
            h.since = token_since[pid]
    return held


def _last_used(session: Session, user_id: int, project_ids: list[int]) -> dict[int, int]:
    """Latest token issued to, or data call made by, each app for this user."""
    issued = (
        select(Client.project_id, func.max(Token.issued_at))
        .join(Client, Client.id == Token.client_pk)
        .where(Token.user_id == user_id, Client.project_id.in_(project_ids))
        .group_by(Client.project_id)
    )
    called = (
        select(Client.project_id, func.max(AccessLogEntry.at))
        .join(Client, Client.id == AccessLogEntry.client_pk)
        .where(AccessLogEntry.user_id == user_id, Client.project_id.in_(project_ids))
        .group_by(Client.project_id)
    )
    out: dict[int, int] = {}
    for pid, at in [*session.execute(issued), *session.execute(called)]:
        if at is not None:
            out[pid] = max(out.get(pid, 0), int(at))
    return out


def _recent(session: Session, catalogue: Catalogue, user_id: int, client_pks: list[int]) -> list[AccessEntry]:
    rows = session.scalars(
        select(AccessLogEntry)
        .where(AccessLogEntry.user_id == user_id, AccessLogEntry.client_pk.in_(client_pks))
        .order_by(AccessLogEntry.id.desc())
        .limit(RECENT)
    )
    out = []
    for r in rows:
        op = catalogue.operations.get(r.operation)
        out.append(AccessEntry(r.at, r.client_id, r.operation, op.summary if op else r.operation, r.status))
    return out


def _apps(
    session: Session, catalogue: Catalogue, user_id: int, at: int, project_id: int | None = None
) -> list[ConnectedApp]:
    held = _holdings(session, user_id, at, project_id)
    if not held:
        return []
    ids = list(held)
    projects = {p.id: p for p in session.scalars(select(Project).where(Project.id.in_(ids)))}
    clients: dict[int, list[Client]] = {}
    for c in session.scalars(select(Client).where(Client.project_id.in_(ids)).order_by(Client.id)):
        clients.setdefault(c.project_id, []).append(c)
    last = _last_used(session, user_id, ids)
    apps = []
    for pid, h in held.items():
        project, own = projects[pid], clients.get(pid, [])
        lapses = None if None in h.lapses or not h.lapses else max(x or 0 for x in h.lapses)
        apps.append(
            ConnectedApp(
                project_id=pid,
                name=project.app_name or project.name,
                logo_client_id=own[0].client_id if project.logo_png and own else None,
                client_ids=tuple(c.client_id for c in own),
                scopes=describe(catalogue, h.scopes),
                since=h.since or at,
                last_used=last.get(pid),
                recent=tuple(_recent(session, catalogue, user_id, [c.id for c in own])),
                live_tokens=h.live_tokens,
                lapses_at=lapses,
                takes_requests=bool(project.events_endpoint),
            )
        )
    return sorted(apps, key=lambda a: (a.name.casefold(), a.project_id))


def connected_apps(
    session: Session, catalogue: Catalogue, user_id: int, at: int | None = None
) -> list[ConnectedApp]:
    """Every app holding access to the user's account, by name."""
    return _apps(session, catalogue, user_id, now() if at is None else at)


def connected_app(
    session: Session, catalogue: Catalogue, user_id: int, project_id: int, at: int | None = None
) -> ConnectedApp:
    """One app holding access; NotFound if it holds none (or does not exist)."""
    found = _apps(session, catalogue, user_id, now() if at is None else at, project_id)
    if not found:
        raise NotFound("app", "This app has no access to your account.")
    return found[0]


def revoke(
    session: Session,
    *,
    user_id: int,
    project_id: int,
    actor: str,
    issuer: str,
    channel: Channel = Channel.WEB,
) -> Revoked:
    """Take back everything the app holds for the user: grants, tokens, unused codes, device codes.

    The tokens are marked revoked (not deleted), so the token endpoint answers ``invalid_grant``
    for a refresh token and the data APIs 401 for an access token, at once; the app is told by a
    ``tokens-revoked`` security event (DATA-4) in the same transaction. NotFound when the app
    holds nothing, so a second click says so instead of pretending to act.
    """
    at = now()
    project = session.get(Project, project_id)
    if project is None or not _holdings(session, user_id, at, project_id):
        raise NotFound("app", "This app has no access to your account any more.")
    pks = list(session.scalars(select(Client.id).where(Client.project_id == project_id)))
    # RISC: only an app the user let know who they are (profile or email) hears of it.
    tell = any(p.id == project_id for p in listening_projects(session, user_id))
    done = Revoked(project_id, project.app_name or project.name, client_pks=pks)
    done.grants = _rowcount(
        session.execute(
            delete(ConsentGrant).where(ConsentGrant.user_id == user_id, ConsentGrant.client_pk.in_(pks))
        )
    )
    done.tokens = _rowcount(
        session.execute(
            update(Token)
            .where(Token.user_id == user_id, Token.client_pk.in_(pks), Token.revoked_at.is_(None))
            .values(revoked_at=at)
        )
    )
    done.codes = _rowcount(
        session.execute(
            delete(AuthorizationCode).where(
                AuthorizationCode.user_id == user_id,
                AuthorizationCode.client_pk.in_(pks),
                AuthorizationCode.used_at.is_(None),
            )
        )
    )
    done.device_codes = _rowcount(
        session.execute(
            update(DeviceCode)
            .where(
                DeviceCode.user_id == user_id,
                DeviceCode.client_pk.in_(pks),
                DeviceCode.status.in_(("pending", "approved")),
            )
            .values(status="denied")
        )
    )
    # Legacy requests the user approved but the app has not exchanged yet (an OAuth 1.0a request
    # token, an AuthSub single-use token) go too, and what the widget proxy holds for the app.
    session.execute(
        update(LegacyRequest)
        .where(
            LegacyRequest.user_id == user_id,
            LegacyRequest.client_pk.in_(pks),
            LegacyRequest.used_at.is_(None),
        )
        .values(used_at=at)
    )
    session.execute(delete(GadgetToken).where(GadgetToken.user_id == user_id, GadgetToken.client_pk.in_(pks)))
    record(
        session,
        AuditTag.CONSENT_REVOKE,
        actor=actor,
        data={
            "user_id": user_id,
            "project_id": project_id,
            "project": project.name,
            "grants": done.grants,
            "tokens": done.tokens,
            "codes": done.codes,
            "device_codes": done.device_codes,
        },
        channel=channel,
    )
    if tell:
        emit(session, event="tokens-revoked", user_id=user_id, project_id=project_id, issuer=issuer)
    return done


def dealt_with(session: Session, user_id: int, project_id: int) -> bool:
    """Whether the app has had to do with the user: a grant or token (even revoked), or a receipt.

    Reports and deletion requests are for apps the user knows first-hand, not any project id.
    """
    own = select(Client.id).where(Client.project_id == project_id)
    return bool(
        session.scalar(
            select(
                or_(
                    exists().where(ConsentGrant.user_id == user_id, ConsentGrant.client_pk.in_(own)),
                    exists().where(Token.user_id == user_id, Token.client_pk.in_(own)),
                    exists().where(
                        ConsentReceipt.user_id == user_id, ConsentReceipt.project_id == project_id
                    ),
                )
            )
        )
    )


def ask_deletion(session: Session, *, user_id: int, project_id: int, issuer: str) -> SecurityEvent:
    """DATA-2: push the app a request to delete the user's data; Conflict if it has no endpoint."""
    if not dealt_with(session, user_id, project_id):
        raise NotFound("app", "You can ask only an app that has had access to your account.")
    return deletion.request_deletion(session, user_id=user_id, project_id=project_id, issuer=issuer)


def receipts(
    session: Session, user_id: int, *, before: int | None = None, limit: int = RECEIPTS_PAGE
) -> list[ConsentReceipt]:
    """The user's own consent receipts, newest first; ``before`` (a receipt id) pages back."""
    stmt = select(ConsentReceipt).where(ConsentReceipt.user_id == user_id)
    if before is not None:
        stmt = stmt.where(ConsentReceipt.id < before)
    return list(session.scalars(stmt.order_by(ConsentReceipt.id.desc()).limit(limit)))
