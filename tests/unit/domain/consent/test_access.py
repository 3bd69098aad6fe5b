"""The user's apps as the domain computes them (DATA-1), reports (LIMIT-6) and receipts (CONSENT-8).

Real storage (SQLite and PostgreSQL), rows written directly so every edge of "holds access" is
pinned down: lapsed grants, expired access tokens with a usable refresh token, rotated and
revoked tokens, grants to several clients of one project, and what a revocation leaves alone.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.consent import access, reports
from consentry.domain.scopes.catalogue import Catalogue
from consentry.errors import Conflict, InvalidInput, NotFound
from consentry.storage.tables import (
    AccessLogEntry,
    AppReport,
    AuditEvent,
    Client,
    ConsentGrant,
    ConsentReceipt,
    SecurityEvent,
    Token,
    User,
)
from consentry.storage.tables.base import now
from tests.conftest import ISSUER
from tests.support.seed import Seeder

CAT = Catalogue(ISSUER)
MAIL = f"{ISSUER}/auth/mail.readonly"
CAL = f"{ISSUER}/auth/calendar.readonly"
T = 1_700_000_000


@pytest.fixture
def db(seed: Seeder) -> Iterator[Session]:
    with seed.db.unit_of_work() as session:
        yield session


def _user(seed: Seeder, db: Session, email: str) -> int:
    seed.user(email)
    uid = db.scalar(select(User.id).where(User.email == email))
    assert uid is not None
    return uid


def _client(seed: Seeder, db: Session, project: str) -> Client:
    row = db.get(Client, seed.client("web", project=project).pk)
    assert row is not None
    return row


def _token(db: Session, user_id: int, client: Client, scope: str, **kw: Any) -> Token:
    values: dict[str, Any] = {
        "access_hash": secrets.token_hex(32),
        "refresh_hash": None,
        "client_pk": client.id,
        "user_id": user_id,
        "scope": scope,
        "grant_type": "authorization_code",
        "issued_at": T,
        "expires_at": now() + 3600,
        "family": secrets.token_hex(8),
        "purge_after": now() + 7200,
        **kw,
    }
    row = Token(**values)
    db.add(row)
    db.flush()
    return row


def _grant(db: Session, user_id: int, client: Client, *scopes: str, **kw: Any) -> None:
    db.add(ConsentGrant(user_id=user_id, client_pk=client.id, scopes=list(scopes), **kw))
    db.flush()


def _names(db: Session, user_id: int) -> list[str]:
    return [a.name for a in access.connected_apps(db, CAT, user_id)]


def test_what_counts_as_holding_access(seed, db) -> None:  # DATA-1
    uid = _user(seed, db, "ada@example.org")
    lapsed, testing, token_only = (_client(seed, db, n) for n in ("Lapsed", "Testing", "Token only"))
    refresh, rotated, revoked = (_client(seed, db, n) for n in ("Refresh", "Rotated", "Revoked"))
    _grant(db, uid, lapsed, CAL, lapses_at=now() - 1)
    _grant(db, uid, testing, CAL, lapses_at=now() + 86400)
    _token(db, uid, token_only, MAIL, issued_at=T + 5)
    # An expired access token whose refresh token still works is access; rotated or revoked is not.
    live_refresh = {
        "expires_at": now() - 1,
        "refresh_hash": secrets.token_hex(32),
        "refresh_expires_at": now() + 60,
    }
    _token(db, uid, refresh, MAIL, **live_refresh)
    _token(
        db, uid, rotated, MAIL, **{**live_refresh, "refresh_hash": secrets.token_hex(32), "rotated_at": now()}
    )
    _token(db, uid, revoked, MAIL, revoked_at=now())
    apps = {a.name: a for a in access.connected_apps(db, CAT, uid)}
    assert sorted(apps) == ["Refresh", "Testing", "Token only"]
    assert apps["Testing"].lapses_at is not None and apps["Testing"].since > T
    assert apps["Token only"].since == T + 5 and apps["Token only"].live_tokens == 1
    assert apps["Token only"].lapses_at is None


def test_grants_to_every_client_of_a_project_count_for_the_app(seed, db) -> None:  # DATA-1
    uid = _user(seed, db, "ada@example.org")
    web, tv = _client(seed, db, "Mail Pal"), _client(seed, db, "Mail Pal")
    _grant(db, uid, web, "email", MAIL, created_at=T + 100)
    _grant(db, uid, tv, CAL, "https://legacy.example.org/feeds", created_at=T)
    [app] = access.connected_apps(db, CAT, uid)
    assert app.name == "Mail Pal" and app.client_ids == (web.client_id, tv.client_id)
    assert app.since == T  # the first grant to any of its clients
    assert [(s.scope_class, s.class_words) for s in app.scopes] == [
        ("unknown", "not described"),
        ("restricted", "highly sensitive data"),
        ("sensitive", "sensitive data"),
        ("non-sensitive", "basic account info"),
    ]
    assert app.scopes[0].description == "https://legacy.example.org/feeds"  # shown as asked, not hidden
    assert app.scopes[1].description == "View your email messages and settings"
    assert app.logo_client_id is None and app.initial == "M" and app.takes_requests is False
    web.project.app_name, web.project.logo_png, web.project.events_endpoint = "Pal", b"png", "https://x/e"
    db.flush()
    [app] = access.connected_apps(db, CAT, uid)
    assert (app.name, app.logo_client_id, app.takes_requests) == ("Pal", web.client_id, True)


def test_last_used_and_recent_activity(seed, db) -> None:  # DATA-1
    uid, other = _user(seed, db, "ada@example.org"), _user(seed, db, "bob@example.org")
    web, tv, elsewhere = (
        _client(seed, db, "Mail Pal"),
        _client(seed, db, "Mail Pal"),
        _client(seed, db, "Else"),
    )
    _grant(db, uid, web, MAIL)
    [app] = access.connected_apps(db, CAT, uid)
    assert app.last_used is None and app.recent == ()
    _token(db, uid, web, MAIL, issued_at=T)
    for i in range(12):
        c = web if i % 2 else tv
        db.add(
            AccessLogEntry(
                at=T + 10 + i,
                user_id=uid,
                client_pk=c.id,
                client_id=c.client_id,
                operation="mail.messages.list",
                scope=MAIL,
                status=200,
            )
        )
    db.add(
        AccessLogEntry(
            at=T + 99,
            user_id=other,
            client_pk=web.id,
            client_id=web.client_id,
            operation="mail.messages.list",
            scope=MAIL,
            status=200,
        )
    )
    db.add(
        AccessLogEntry(
            at=T + 98,
            user_id=uid,
            client_pk=elsewhere.id,
            client_id=elsewhere.client_id,
            operation="mail.messages.list",
            scope=MAIL,
            status=200,
        )
    )
    db.add(
        AccessLogEntry(
            at=T + 30,
            user_id=uid,
            client_pk=web.id,
            client_id=web.client_id,
            operation="files.list",
            scope="",
            status=403,
        )
    )
    db.flush()
    [app] = access.connected_apps(db, CAT, uid)
    assert app.last_used == T + 30
    assert len(app.recent) == access.RECENT
    assert [e.at for e in app.recent] == [T + 30, *range(T + 21, T + 12, -1)]
    first = app.recent[0]
    assert (first.summary, first.allowed) == ("List files", False)
    assert app.recent[1].summary == "List messages with their headers and labels" and app.recent[1].allowed
    with pytest.raises(NotFound):
        access.connected_app(db, CAT, uid, elsewhere.project_id)
    assert access.connected_app(db, CAT, uid, web.project_id).name == "Mail Pal"


def test_revoke_takes_back_only_this_users_access_to_this_app(seed, db) -> None:  # DATA-1 DATA-4
    uid, other = _user(seed, db, "ada@example.org"), _user(seed, db, "bob@example.org")
    web, tv, keep = _client(seed, db, "Mail Pal"), _client(seed, db, "Mail Pal"), _client(seed, db, "Keep")
    _grant(db, uid, web, "email", MAIL)
    _grant(db, uid, tv, CAL)
    _grant(db, other, web, MAIL)
    _grant(db, uid, keep, CAL)
    mine = [_token(db, uid, web, MAIL), _token(db, uid, tv, CAL)]
    theirs = _token(db, other, web, MAIL)
    done = access.revoke(db, user_id=uid, project_id=web.project_id, actor="ada@example.org", issuer=ISSUER)
    assert (done.app_name, done.grants, done.tokens, done.codes, done.device_codes) == (
        "Mail Pal",
        2,
        2,
        0,
        0,
    )
    db.expire_all()
    assert all(t.revoked_at is not None for t in mine) and theirs.revoked_at is None
    assert _names(db, uid) == ["Keep"] and _names(db, other) == ["Mail Pal"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.tag == "user:consent:revoke"))
    assert event is not None and event.data["tokens"] == 2 and event.data["project"] == "Mail Pal"
    # No endpoint registered: nothing to push.
    assert db.scalars(select(SecurityEvent)).all() == []
    with pytest.raises(NotFound) as caught:
        access.revoke(db, user_id=uid, project_id=web.project_id, actor="ada@example.org", issuer=ISSUER)
    assert caught.value.message == "This app has no access to your account any more."


def test_report_rules(seed, db) -> None:  # LIMIT-6
    uid = _user(seed, db, "ada@example.org")
    web, stranger = _client(seed, db, "Mail Pal"), _client(seed, db, "Stranger")
    _token(db, uid, web, MAIL, revoked_at=now())  # a revoked token: the user still dealt with the app
    args: dict[str, Any] = {"user_id": uid, "project_id": web.project_id, "actor": "ada@example.org"}
    for reason, message in (
        ("  hi \n", "Say in a few words what the app did wrong (at least 5 characters)."),
        ("x" * 1001, "Keep the report under 1000 characters (it has 1001)."),
    ):
        with pytest.raises(InvalidInput) as bad:
            reports.report(db, reason=reason, **args)
        assert (bad.value.code, bad.value.message) == ("invalid_reason", message)
    with pytest.raises(NotFound):
        reports.report(db, user_id=uid, project_id=stranger.project_id, reason="spam spam", actor="a")
    row = reports.report(db, reason=" It read my mail.  \r\nTwice. ", **args)
    assert row.reason == "It read my mail.\nTwice." and row.client_pk is None
    with pytest.raises(Conflict):
        reports.report(db, reason="Again and again", **args)
    [waiting] = reports.open_reports(db)
    assert (waiting.id, waiting.app_name, waiting.reporter) == (row.id, "Mail Pal", "ada@example.org")
    reports.close(db, row.id, actor="rita@review.example.org")
    assert reports.open_reports(db) == []
    with pytest.raises(Conflict) as twice:
        reports.close(db, row.id, actor="sam@review.example.org")
    assert twice.value.message == "This report was already closed by rita@review.example.org."
    assert db.get(AppReport, row.id).closed_by == "rita@review.example.org"
    # Closed, the user may report the app again.
    assert reports.report(db, reason="Still reading my mail", **args).id != row.id


def test_receipts_are_the_users_own_newest_first(seed, db) -> None:  # CONSENT-8
    uid, other = _user(seed, db, "ada@example.org"), _user(seed, db, "bob@example.org")
    for n, who in enumerate((uid, other, uid, uid)):
        db.add(
            ConsentReceipt(
                user_id=who,
                client_id="c",
                app_name=f"A{n}",
                protocol="oauth2",
                decision="allow",
                granted=[],
                denied=[],
                disclosure_version="v1",
                disclosure_hash="0" * 64,
            )
        )
    db.flush()
    rows = access.receipts(db, uid)
    assert [r.app_name for r in rows] == ["A3", "A2", "A0"]
    assert [r.app_name for r in access.receipts(db, uid, before=rows[0].id, limit=1)] == ["A2"]
