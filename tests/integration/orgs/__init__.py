"""Tests of the organization admin console (issue 14): its rules end to end over HTTP, enforcement
on tokens already issued, members' access requests, who may administer, pages and API.

Shared here: an organization with an admin and a member, the admin's JSON API session
(tests/integration/api ``sign_in``), the member's browser through /authorize, and peeks at the
database for what a test sets up (a request aged past its lapse) or checks (tokens revoked).
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import httpx
from sqlalchemy import select

from consentry.storage.tables import AccessRequest, AuditEvent, Client, OutboxMail, Token
from tests.conftest import ISSUER
from tests.integration.api import Api, sign_in
from tests.support.browserless import CSRF_RE, Browser, form_value, pkce_pair
from tests.support.flows import PASSWORD, auth_params
from tests.support.seed import SeededClient, Seeder

ORG = "corp.example"
ADMIN = "ada@corp.example"
MEMBER = "mo@corp.example"
OUTSIDER = "out@example.org"
OTHER_ORG = "other.example"
OTHER_ADMIN = "oz@other.example"
CAL = f"{ISSUER}/auth/calendar.readonly"  # sensitive
MAIL = f"{ISSUER}/auth/mail.readonly"  # restricted
FILE = f"{ISSUER}/auth/files.file"  # non-sensitive
MESSAGE = "Corp IT reviews every app first: write to it@corp.example."
ORG_API = f"/api/v1/orgs/{ORG}"
ASK_RE = re.compile(r'href="(/account/organization/request\?project=\d+)"')


def people(seed: Seeder) -> None:
    """The organization's admin and member, an outsider, and another organization's admin."""
    seed.user(ADMIN, org=ORG, role="admin")
    seed.user(MEMBER, org=ORG)
    seed.user(OUTSIDER)
    seed.user(OTHER_ADMIN, org=OTHER_ORG, role="admin")


def admin_api(app: Any, email: str = ADMIN) -> Api:
    return sign_in(app, email)


def project_id(seed: Seeder, c: SeededClient) -> int:
    with seed.db.unit_of_work() as s:
        row = s.get(Client, c.pk)
        assert row is not None
        return row.project_id


def start(browser: Browser, c: SeededClient, email: str, scope: str, **extra: str) -> httpx.Response:
    """/authorize, signing in if asked: the page (or redirect) the gate answers with."""
    _v, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, scope, **extra))
    if page.status_code == 200 and 'action="/signin"' in page.text:
        page = browser.sign_in(page, email, PASSWORD)
    return page


def assert_org_refusal(page: httpx.Response, message: str = MESSAGE) -> str:
    """The organization's refusal page: 403, its code, its message, a way to ask; the ask URL."""
    assert page.status_code == 403, page.text[:800]
    text = unescape(page.text)
    assert "admin_policy_enforced" in text and message in text
    found = ASK_RE.search(page.text)
    assert found, "the refusal page offers no way to ask the admins"
    return found.group(1)


def reaches_consent(page: httpx.Response) -> bool:
    return page.status_code == 200 and 'action="/authorize/consent"' in page.text


def set_message(api: Api) -> None:
    r = api.patch(f"{ORG_API}/policy", {"refusal_message": MESSAGE})
    assert r.status_code == 200, r.text


def live_tokens(seed: Seeder, c: SeededClient) -> int:
    with seed.db.unit_of_work() as s:
        return len(
            list(s.scalars(select(Token.id).where(Token.client_pk == c.pk, Token.revoked_at.is_(None))))
        )


def requests_of(seed: Seeder) -> list[AccessRequest]:
    with seed.db.unit_of_work() as s:
        rows = list(s.scalars(select(AccessRequest).order_by(AccessRequest.id)))
        s.expunge_all()
        return rows


def age_requests(seed: Seeder, seconds: int) -> None:
    """Move every request into the past, as if ``seconds`` had gone by."""
    with seed.db.unit_of_work() as s:
        for row in s.scalars(select(AccessRequest)):
            row.created_at -= seconds
            row.expires_at -= seconds


def mails_to(seed: Seeder, email: str) -> list[OutboxMail]:
    with seed.db.unit_of_work() as s:
        rows = [m for m in s.scalars(select(OutboxMail).order_by(OutboxMail.id)) if email in m.recipients]
        s.expunge_all()
        return rows


def audit_tags(seed: Seeder, prefix: str = "org:") -> list[tuple[str, str, dict[str, Any]]]:
    with seed.db.unit_of_work() as s:
        return [
            (e.tag, e.actor, dict(e.data))
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.tag.startswith(prefix)).order_by(AuditEvent.id)
            )
        ]


def csrf_of(http: Any, path: str) -> str:
    page = http.get(path)
    assert page.status_code == 200, page.text[:500]
    return form_value(page.text, CSRF_RE)


def post_form(http: Any, path: str, pairs: list[tuple[str, str]], **kw: Any) -> httpx.Response:
    """A form with repeated fields (``api``, ``scope``), urlencoded as a browser sends it."""
    from urllib.parse import urlencode

    headers = {"content-type": "application/x-www-form-urlencoded"}
    return http.post(path, content=urlencode(pairs), headers=headers, **kw)
