"""Shared steps of the account tests (ACCT-1 to ACCT-7): forms posted as a browser does, the mail
the outbox holds and the links in it, the ID token's claims, and reads and writes straight to the
database for what a test sets up or checks (a second step already on, a sign-in grown old).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select, update

from consentry.settings import Settings
from consentry.storage.tables import AccountLink, AuditEvent, OutboxMail, SessionAccount, TotpFactor, User
from consentry.storage.tables.base import now
from tests.support.browserless import CSRF_RE, Browser, form_value, query_of
from tests.support.databases import SECRET
from tests.support.flows import PASSWORD, exchange
from tests.support.live import LiveServer, free_port, start_server
from tests.support.seed import SeededClient, Seeder

HTML = {"accept": "text/html"}
NEW_PASSWORD = "lantern orbit pickle gravel"
LINK_RE = re.compile(r"(https?://\S+[?&]token=([A-Za-z0-9_-]+))")
ALERT_RE = re.compile(r'role="alert"[^>]*>\s*<p>(.*?)</p>', re.S)


# --- a live server ------------------------------------------------------------------------------
@contextmanager
def served(
    database_url: str, env: dict[str, str] | None = None, *, host: str = "127.0.0.1"
) -> Iterator[tuple[LiveServer, Seeder]]:
    """The real app in a child process (tests/support/live.py) with the tests' secret key and
    ``env``, and a seeder on its database. ``host`` names the issuer: ``localhost`` for WebAuthn,
    which refuses an IP address as the relying party id."""
    port = free_port()
    issuer = f"http://{host}:{port}"
    started = start_server(
        database_url, port=port, issuer=issuer, env={"CONSENTRY_SECRET_KEY": SECRET, **(env or {})}
    )
    server = replace(started, url=issuer)
    seeder = Seeder(Settings(database_url=database_url, issuer=issuer, secret_key=SECRET, environment="test"))
    try:
        yield server, seeder
    finally:
        server.stop()
        seeder.close()


# --- forms ---------------------------------------------------------------------------------------
def csrf_of(browser: Browser, path: str) -> str:
    return form_value(browser.get(browser.base + path).text, CSRF_RE)


def post(browser: Browser, path: str, data: dict[str, str]) -> httpx.Response:
    return browser.http.post(browser.base + path, data=data, headers=HTML, follow_redirects=False)


def sign_in(browser: Browser, email: str, password: str = PASSWORD) -> httpx.Response:
    """The sign-in form posted, not followed: 303 to /account when the password is right."""
    data = {"csrf": csrf_of(browser, "/signin"), "email": email, "password": password, "flow": "", "next": ""}
    return post(browser, "/signin", data)


def alert(html: str) -> str:
    m = ALERT_RE.search(html)
    assert m, html[:3000]
    return unescape(m.group(1))


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


# --- back at the app ----------------------------------------------------------------------------
def consented(
    browser: Browser, page: httpx.Response, scopes: tuple[str, ...] = ("openid", "email")
) -> dict[str, str]:
    """Consent if asked; the query of the redirect back to the app."""
    if page.status_code == 200 and "/authorize/consent" in page.text:
        page = browser.consent(page, list(scopes))
    assert page.status_code in (302, 303), page.text[:1500]
    return query_of(page.headers["location"])


def id_token_claims(client: Any, token: dict[str, Any]) -> dict[str, Any]:
    """The claims of a token response's ID token, checked against the server's published keys."""
    keys = KeySet.import_key_set(client.get("/jwks").json())
    return dict(jwt.decode(token["id_token"], keys).claims)


def code_claims(client: Any, app: SeededClient, back: dict[str, str], verifier: str) -> dict[str, Any]:
    """The ID token's claims once ``app`` exchanged the code it got back (``back``)."""
    r = exchange(client, app, back["code"], verifier)
    assert r.status_code == 200, r.text
    return id_token_claims(client, r.json())


# --- mail ----------------------------------------------------------------------------------------
def mails(seed: Seeder, reason: str = "") -> list[OutboxMail]:
    with seed.db.unit_of_work() as s:
        q = select(OutboxMail).order_by(OutboxMail.id)
        if reason:
            q = q.where(OutboxMail.reason == reason)
        rows = list(s.scalars(q))
        s.expunge_all()
        return rows


def link_in(mail: OutboxMail) -> tuple[str, str]:
    """The link a mail carries, and its token."""
    m = LINK_RE.search(mail.body)
    assert m, mail.body
    return m.group(1), m.group(2)


# --- the database ------------------------------------------------------------------------------
def audit(seed: Seeder, tag: str) -> list[dict[str, Any]]:
    with seed.db.unit_of_work() as s:
        return [
            dict(e.data) | {"actor": e.actor}
            for e in s.scalars(select(AuditEvent).where(AuditEvent.tag == tag))
        ]


def seeded_user(seed: Seeder, email: str, org: str | None = None) -> User:
    """A new account (in ``org`` when given), read back detached, for the domain calls under test."""
    seed.user(email, org=org)
    with seed.db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        s.expunge(user)
        return user


def user_row(seed: Seeder, email: str) -> User | None:
    with seed.db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == email))
        if user is not None:
            _ = user.org
            s.expunge_all()
        return user


def sessions_of(seed: Seeder, email: str) -> int:
    with seed.db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        return len(list(s.scalars(select(SessionAccount).where(SessionAccount.user_id == user.id))))


def expire_links(seed: Seeder, email: str) -> None:
    """Every link of the address expired a second ago (the ttl settings allow no shorter life)."""
    with seed.db.unit_of_work() as s:
        s.execute(
            update(AccountLink)
            .where(AccountLink.email == email)
            .values(expires_at=AccountLink.created_at - 1)
        )


def age_sign_ins(seed: Seeder, seconds: int) -> None:
    """Every sign-in happened ``seconds`` earlier than it did (past the re-authentication window,
    a change that needs a recent sign-in asks for the password again)."""
    with seed.db.unit_of_work() as s:
        s.execute(update(SessionAccount).values(authenticated_at=SessionAccount.authenticated_at - seconds))


def two_step_on(seed: Seeder, email: str) -> None:
    """A confirmed authenticator app on the account, written directly (how one is set up is the
    security page's business, tested there): two-step verification is on."""
    with seed.db.unit_of_work() as s:
        uid = s.scalar(select(User.id).where(User.email == email))
        s.add(TotpFactor(user_id=uid, secret_sealed=b"sealed", confirmed_at=now()))
