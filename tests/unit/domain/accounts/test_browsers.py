"""The account's signed-in browsers on real storage (ACCT-5): listed, refreshed, ended.

Sign-ins are made the way the sign-in page makes them (web/session.py ``Sessions.sign_in``), so
the rows are exactly those the sessions page will read.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from consentry.domain.accounts import browsers
from consentry.domain.accounts.amr import (
    PASSKEY_VERIFIED,
    PASSWORD,
    PASSWORD_AND_CODE,
    PASSWORD_AND_KEY,
    encode,
)
from consentry.domain.audit.tags import Channel
from consentry.domain.secrets import Hasher
from consentry.errors import NotFound
from consentry.storage.tables import (
    AuditEvent,
    BrowserSession,
    ConsentGrant,
    Project,
    SecurityEvent,
    SessionAccount,
    User,
)
from consentry.storage.tables.base import now
from consentry.web.session import BrowserState, Device, Sessions
from tests.support.accounts import seeded_user
from tests.support.seed import Seeder

ADA, BOB = "ada@example.org", "bob@example.org"
LINUX = Device("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36", "192.0.2.10")
IPHONE = Device(
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 "
    "Mobile/15E148 Safari/604.1",
    "198.51.100.7",
)


def _sign_in(
    seed: Seeder,
    sessions: Sessions,
    user: User,
    device: Device,
    amr: str = "pwd",
    state: BrowserState | None = None,
) -> BrowserState:
    """Sign in as the sign-in page does; returns the state as the browser's next request reads it."""
    with seed.db.unit_of_work() as s:
        new = sessions.sign_in(s, state or BrowserState("x" * 30, fresh=True), user, amr=amr, device=device)
    return BrowserState(new.sid)


@pytest.fixture
def sessions(seed: Seeder) -> Sessions:
    return Sessions(seed.settings, Hasher(seed.settings.secret_key))


def test_how_each_sign_in_is_named() -> None:  # ACCT-5
    assert browsers.how_signed_in(encode(PASSWORD)) == "Password"
    assert browsers.how_signed_in(encode(PASSWORD_AND_CODE)) == "Password and code"
    assert browsers.how_signed_in(encode(PASSWORD_AND_KEY)) == "Password and security key"
    assert browsers.how_signed_in(encode(PASSKEY_VERIFIED)) == "Passkey"
    assert browsers.how_signed_in("") == "Password"  # rows from before two-step were passwords


def test_lists_live_sign_ins_this_browser_first(seed: Seeder, sessions: Sessions) -> None:  # ACCT-5
    ada, bob = seeded_user(seed, ADA), seeded_user(seed, BOB)
    laptop = _sign_in(seed, sessions, ada, LINUX)
    phone = _sign_in(seed, sessions, ada, IPHONE, encode(PASSWORD_AND_CODE))
    _sign_in(seed, sessions, bob, LINUX)  # someone else's: never listed
    old = _sign_in(seed, sessions, ada, LINUX)
    with seed.db.unit_of_work() as s:  # an expired browser session is not a sign-in any more
        s.execute(
            update(BrowserSession)
            .where(BrowserSession.id_hash == sessions.sid_hash(old))
            .values(expires_at=now() - 1)
        )
    with seed.db.unit_of_work() as s:
        found = browsers.signed_in_browsers(s, ada.id, sessions.sid_hash(phone))
    assert [(b.device, b.address, b.how, b.this_browser, b.mobile) for b in found] == [
        ("Safari on iPhone", "198.51.100.7", "Password and code", True, True),
        ("Chrome on Linux", "192.0.2.10", "Password", False, False),
    ]
    assert found[1].id != found[0].id and found[1].signed_in_at <= now()
    assert sessions.sid_hash(laptop) != sessions.sid_hash(phone)


def test_last_seen_is_refreshed_at_most_every_five_minutes(
    seed: Seeder, sessions: Sessions
) -> None:  # ACCT-5
    ada = seeded_user(seed, ADA)
    h = sessions.sid_hash(_sign_in(seed, sessions, ada, LINUX))
    with seed.db.unit_of_work() as s:
        assert browsers.seen(s, h, "203.0.113.5") is False  # just signed in: nothing to write
    with seed.db.unit_of_work() as s:
        s.execute(update(BrowserSession).where(BrowserSession.id_hash == h).values(last_seen_at=now() - 301))
    with seed.db.unit_of_work() as s:
        assert browsers.seen(s, h, "203.0.113.5") is True
        assert browsers.seen(s, h, "203.0.113.6") is False  # within five minutes of the last write
    with seed.db.unit_of_work() as s:
        row = s.get(BrowserSession, h)
        assert row is not None and row.address == "203.0.113.5" and row.last_seen_at >= now() - 2


def test_ending_one_sign_in_keeps_other_accounts_in_that_browser(seed: Seeder, sessions: Sessions) -> None:
    # ACCT-5: the row ended is the user's own in that browser; bob, signed in there too, stays
    ada, bob = seeded_user(seed, ADA), seeded_user(seed, BOB)
    shared = _sign_in(seed, sessions, bob, LINUX)
    shared = _sign_in(seed, sessions, ada, LINUX, state=shared)
    mine = _sign_in(seed, sessions, ada, IPHONE)
    with seed.db.unit_of_work() as s:
        [_here, there] = browsers.signed_in_browsers(s, ada.id, sessions.sid_hash(mine))
        ended = browsers.end(s, ada.id, there.id, sessions.sid_hash(mine), actor=ADA, channel=Channel.WEB)
        assert ended.this_browser is False and ended.device == "Chrome on Linux"
    with seed.db.unit_of_work() as s:
        assert [a.email for a in sessions.accounts(s, shared)] == [BOB]
        assert [a.email for a in sessions.accounts(s, mine)] == [ADA]
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.tag == "user:session:end"))
        assert event.actor == ADA and event.data["device"] == "Chrome on Linux"


def test_someone_elses_sign_in_is_not_found_and_stays(seed: Seeder, sessions: Sessions) -> None:  # ACCT-5
    ada, bob = seeded_user(seed, ADA), seeded_user(seed, BOB)
    mine = _sign_in(seed, sessions, ada, LINUX)
    theirs = _sign_in(seed, sessions, bob, IPHONE)
    with seed.db.unit_of_work() as s:
        [bobs] = browsers.signed_in_browsers(s, bob.id, sessions.sid_hash(theirs))
        with pytest.raises(NotFound) as refused:
            browsers.end(s, ada.id, bobs.id, sessions.sid_hash(mine), actor=ADA, channel=Channel.WEB)
        assert refused.value.message == "This sign-in is not one of yours, or it has already ended."
    with seed.db.unit_of_work() as s:
        assert [a.email for a in sessions.accounts(s, theirs)] == [BOB]


def test_sign_out_everywhere_else_tells_the_apps(seed: Seeder, sessions: Sessions) -> None:  # ACCT-5 DATA-4
    client = seed.client("web", project="Mail Sorter")
    ada = seeded_user(seed, ADA)
    with seed.db.unit_of_work() as s:
        s.add(ConsentGrant(user_id=ada.id, client_pk=client.pk, scopes=["openid", "email"]))
        project = s.scalar(select(Project).where(Project.name == "Mail Sorter"))
        assert project is not None
        project.events_endpoint = "https://sorter.example.com/events"
    others = [_sign_in(seed, sessions, ada, LINUX) for _ in range(2)]
    here = _sign_in(seed, sessions, ada, IPHONE)
    with seed.db.unit_of_work() as s:
        n = browsers.end_others(
            s, ada.id, sessions.sid_hash(here), actor=ADA, channel=Channel.WEB, issuer="https://id.example"
        )
        assert n == 2
    with seed.db.unit_of_work() as s:
        assert all(sessions.accounts(s, o) == [] for o in others)
        assert [a.email for a in sessions.accounts(s, here)] == [ADA]
        [event] = s.scalars(select(SecurityEvent))
        assert event.event_type.endswith("/risc/event-type/sessions-revoked") and event.user_id == ada.id
        assert s.scalar(select(func.count()).where(SessionAccount.user_id == ada.id)) == 1
