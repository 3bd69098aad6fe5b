"""A refresh token presented by the wrong client, or refused for any reason, changes nothing (issue 9.6).

/token answers a refresh on two paths: the token lane (the default) and the FastAPI route (taken
when the body carries any ``client_assertion`` field). Each attack below runs on both, then the
victim refreshes honestly and must still succeed with its grant alive.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from consentry.storage.tables import AuditEvent, Token, User
from tests.conftest import ISSUER
from tests.support.flows import tokens_for

MAIL = f"{ISSUER}/auth/mail.readonly"
FILES = f"{ISSUER}/auth/files.readonly"
#: Any client_assertion field sends the request to the FastAPI route instead of the token lane.
#: (Empty, so it is no second authentication method: a non-empty one beside Basic is refused
#: up front, tests/integration/test_one_auth_method.py.)
ROUTE = {"client_assertion": ""}
PATHS = pytest.mark.parametrize("extra", [{}, ROUTE], ids=["lane", "route"])


def _state(seed) -> tuple[list[tuple[Any, ...]], int]:
    """Every token's rotation and revocation marks, and the audit log's length."""
    with seed.db.unit_of_work() as s:
        rows = [
            tuple(r)
            for r in s.execute(select(Token.id, Token.rotated_at, Token.revoked_at).order_by(Token.id))
        ]
        events = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return rows, events


def _refresh(client, refresh_token: str, auth: tuple[str, str | None], **extra: str):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return client.post("/token", data=data, auth=auth)


def _victim(seed, browser, client):
    """Client A with an offline grant for u@example.org, and a stranger client B."""
    a = seed.client("web")
    b = seed.client("web")
    seed.user("u@example.org")
    tokens = tokens_for(browser, client, a, "u@example.org", f"openid {MAIL}", access_type="offline")
    return a, b, tokens


def _victim_still_works(client, a, tokens: dict[str, Any]) -> None:
    """The victim's grant is alive: its access token introspects, and its refresh token rotates."""
    auth = (a.client_id, a.client_secret)
    intro = client.post("/introspect", data={"token": tokens["access_token"]}, auth=auth)
    assert intro.json()["active"] is True, intro.text
    honest = _refresh(client, tokens["refresh_token"], auth)
    assert honest.status_code == 200, honest.text
    assert honest.json()["refresh_token"] != tokens["refresh_token"]


@PATHS
def test_a_refresh_token_presented_by_another_client_changes_nothing(seed, browser, client, extra):
    # ISSUE-9.6 RFC 9700 §4.14, RFC 6749 §6: the token is bound to the client it was issued to.
    a, b, tokens = _victim(seed, browser, client)
    before = _state(seed)
    r = _refresh(client, tokens["refresh_token"], (b.client_id, b.client_secret), **extra)
    assert r.status_code == 400 and r.json() == {"error": "invalid_grant"}, r.text
    assert _state(seed) == before
    _victim_still_works(client, a, tokens)


@PATHS
def test_a_stranger_with_client_secret_post_changes_nothing(seed, browser, client, extra):
    # ISSUE-9.6 RFC 9700 §4.14: client B authenticated in the body, A's refresh token.
    a, b, tokens = _victim(seed, browser, client)
    before = _state(seed)
    data = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": b.client_id,
        "client_secret": b.client_secret or "",
        **extra,
    }
    r = client.post("/token", data=data)
    assert r.status_code == 400 and r.json() == {"error": "invalid_grant"}, r.text
    assert _state(seed) == before
    _victim_still_works(client, a, tokens)


@PATHS
def test_an_old_refresh_token_presented_by_another_client_does_not_revoke_the_grant(
    seed, browser, client, extra
):
    # ISSUE-9.6 RFC 9700 §4.14.2: reuse detection is for the token's own client; a stranger that
    # found a rotated token (a log line, a backup) must not be able to revoke the victim's grant.
    a, b, first = _victim(seed, browser, client)
    rotated = _refresh(client, first["refresh_token"], (a.client_id, a.client_secret))
    assert rotated.status_code == 200, rotated.text
    current = rotated.json()
    before = _state(seed)
    r = _refresh(client, first["refresh_token"], (b.client_id, b.client_secret), **extra)
    assert r.status_code == 400 and r.json() == {"error": "invalid_grant"}, r.text
    assert _state(seed) == before
    _victim_still_works(client, a, current)


@PATHS
def test_a_refused_scope_escalation_changes_nothing(seed, browser, client, extra):
    # ISSUE-9.6 RFC 6749 §6: a scope beyond the grant is refused, and the token stays usable.
    a, _b, tokens = _victim(seed, browser, client)
    before = _state(seed)
    r = _refresh(
        client, tokens["refresh_token"], (a.client_id, a.client_secret), scope=f"{MAIL} {FILES}", **extra
    )
    assert r.status_code == 400, r.text
    assert r.json() == {
        "error": "invalid_scope",
        "error_description": "The requested scope is invalid, unknown, or malformed.",
    }
    assert _state(seed) == before
    _victim_still_works(client, a, tokens)


@PATHS
def test_a_refresh_refused_for_a_disabled_user_changes_nothing(seed, browser, client, extra):
    # ISSUE-9.6 RFC 9700 §4.14: refusing a refresh must not consume it; re-enabled, the user's app works.
    a, _b, tokens = _victim(seed, browser, client)
    with seed.db.unit_of_work() as s:
        s.execute(update(User).where(User.email == "u@example.org").values(disabled=True))
    before = _state(seed)
    r = _refresh(client, tokens["refresh_token"], (a.client_id, a.client_secret), **extra)
    assert r.status_code == 400, r.text
    assert r.json() == {"error": "invalid_request", "error_description": "There is no 'user' for this token."}
    assert _state(seed) == before
    with seed.db.unit_of_work() as s:
        s.execute(update(User).where(User.email == "u@example.org").values(disabled=False))
    _victim_still_works(client, a, tokens)


@PATHS
def test_the_owning_client_replaying_a_rotated_token_still_revokes_the_grant(seed, browser, client, extra):
    # ISSUE-9.6 RFC 9700 §4.14.2: moving the claim after the checks keeps reuse detection.
    a, _b, first = _victim(seed, browser, client)
    auth = (a.client_id, a.client_secret)
    second = _refresh(client, first["refresh_token"], auth).json()
    replay = _refresh(client, first["refresh_token"], auth, **extra)
    assert replay.status_code == 400 and replay.json() == {"error": "invalid_grant"}, replay.text
    dead = _refresh(client, second["refresh_token"], auth)
    assert dead.status_code == 400 and dead.json() == {"error": "invalid_grant"}
    intro = client.post("/introspect", data={"token": second["access_token"]}, auth=auth)
    assert intro.json() == {"active": False}
