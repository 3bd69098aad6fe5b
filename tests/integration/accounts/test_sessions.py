"""Where you're signed in, over HTTP (ACCT-5): two browsers listed, one ended from the other.

Runs on SQLite and PostgreSQL. Each "browser" is its own cookie jar with its own User-Agent, on
the same app; the sessions page of one lists both, ends the other, and the other is signed out
on its next page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from consentry.storage.db import Database
from consentry.storage.tables import ConsentGrant, Project, SecurityEvent, SessionAccount, User
from tests.conftest import ISSUER
from tests.integration.account import HTML, audit_tags, error_of, post, sign_in, text_of
from tests.support.browserless import CSRF_RE, Browser, form_value

ADA, BOB = "ada@example.org", "bob@example.org"
LINUX_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
ROW_RE = re.compile(r'<li class="browser( current)?" id="browser-(\d+)".*?</li>', re.S)


@pytest.fixture
def laptop(app) -> Iterator[Browser]:
    with TestClient(app, base_url=ISSUER, headers={"user-agent": LINUX_CHROME}) as c:
        yield Browser(c, ISSUER)


@pytest.fixture
def phone(app) -> Iterator[Browser]:
    with TestClient(app, base_url=ISSUER, headers={"user-agent": IPHONE_SAFARI}) as c:
        yield Browser(c, ISSUER)


def rows(html: str) -> list[tuple[int, bool, str]]:
    """The listed sign-ins: (id, this browser, the row's text)."""
    return [(int(m.group(2)), bool(m.group(1)), text_of(m.group(0))) for m in ROW_RE.finditer(html)]


def page(browser: Browser, path: str = "/account/sessions") -> str:
    r = browser.get(ISSUER + path, headers=HTML)
    assert r.status_code == 200, r.text[:500]
    return r.text


def signed_in(browser: Browser) -> bool:
    r = browser.get(ISSUER + "/account", headers=HTML)
    assert r.status_code in (200, 303)
    return r.status_code == 200


def test_listing_shows_both_browsers_with_device_and_this_browser(seed, laptop, phone) -> None:  # ACCT-5
    seed.user(ADA)
    sign_in(laptop)
    sign_in(phone)
    listed = rows(page(laptop))
    assert len(listed) == 2
    (here_id, here, here_text), (there_id, there, there_text) = listed
    assert here and not there and here_id != there_id
    assert here_text.startswith("Chrome on Linux This browser")
    assert "Signed in with Password" in here_text and "Sign out of this browser" in here_text
    assert there_text.startswith("Safari on iPhone") and "This browser" not in there_text
    assert "Address unknown" in there_text and "Last seen" in there_text
    # From the phone, the phone is "this browser"
    assert [(t, "Safari on iPhone" in text) for _, t, text in rows(page(phone))] == [
        (True, True),
        (False, False),
    ]


def test_ending_another_browser_signs_it_out(seed, laptop, phone, database_url) -> None:  # ACCT-5
    seed.user(ADA)
    sign_in(laptop)
    sign_in(phone)
    html = page(laptop)
    [_, (phone_id, _, _)] = rows(html)
    ended = post(laptop, f"/account/sessions/{phone_id}/end", {"csrf": form_value(html, CSRF_RE)})
    assert ended.status_code == 303 and ended.headers["location"] == "/account/sessions?done=ended"
    after = page(laptop, ended.headers["location"])
    assert "Signed out. That browser must sign in again to use your account." in text_of(after)
    assert [t for _, t, _ in rows(after)] == [True]
    assert signed_in(laptop)
    out = phone.get(ISSUER + "/account", headers=HTML)  # the phone's next page
    assert out.status_code == 303 and out.headers["location"].startswith("/signin?next=%2Faccount")
    assert [t for t in audit_tags(database_url) if t.startswith("user:session")] == ["user:session:end"]


def test_cannot_end_another_users_session(seed, laptop, phone, database_url) -> None:  # ACCT-5
    seed.user(ADA)
    seed.user(BOB)
    sign_in(laptop)
    sign_in(phone, BOB)
    [(bobs, _, _)] = rows(page(phone))
    html = page(laptop)
    refused = post(laptop, f"/account/sessions/{bobs}/end", {"csrf": form_value(html, CSRF_RE)})
    assert refused.status_code == 404
    assert error_of(refused.text) == (
        "not_found",
        "This sign-in is not one of yours, or it has already ended.",
    )
    assert signed_in(phone) and signed_in(laptop)
    assert "user:session:end" not in audit_tags(database_url)
    # Not a number, no CSRF: refused before anything is looked up.
    assert post(laptop, "/account/sessions/abc/end", {"csrf": form_value(html, CSRF_RE)}).status_code == 400
    huge = post(laptop, f"/account/sessions/{10**30}/end", {"csrf": form_value(html, CSRF_RE)})
    assert (huge.status_code, error_of(huge.text)[0]) == (400, "invalid_request")  # never a 500
    assert post(laptop, f"/account/sessions/{bobs}/end", {}).status_code == 403
    assert signed_in(phone)


def test_ending_this_browser_sends_it_to_sign_in(seed, laptop) -> None:  # ACCT-5
    seed.user(ADA)
    sign_in(laptop)
    html = page(laptop)
    [(mine, this, _)] = rows(html)
    assert this
    ended = post(laptop, f"/account/sessions/{mine}/end", {"csrf": form_value(html, CSRF_RE)})
    assert ended.status_code == 303 and ended.headers["location"] == "/signin"
    assert not signed_in(laptop)


def test_other_accounts_in_the_same_browser_stay_signed_in(
    seed, laptop, phone, database_url
) -> None:  # ACCT-5
    seed.user(ADA)
    seed.user(BOB)
    sign_in(phone)
    sign_in(laptop, BOB)  # bob first, then ada joins the same laptop browser
    page_ = laptop.follow(laptop.get(ISSUER + "/signin?next=/account"))
    laptop.sign_in(page_, ADA, "correct-horse-battery")
    html = page(phone)
    [(_, here, _), (laptop_id, there, _)] = rows(html)
    assert here and not there
    assert (
        post(phone, f"/account/sessions/{laptop_id}/end", {"csrf": form_value(html, CSRF_RE)}).status_code
        == 303
    )
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            left = s.scalars(
                select(User.email)
                .join(SessionAccount, SessionAccount.user_id == User.id)
                .order_by(User.email)
            ).all()
    finally:
        db.dispose()
    assert left == [ADA, BOB]  # ada's phone, and bob still in the laptop browser
    r = laptop.get(ISSUER + "/account", headers=HTML)
    assert r.status_code == 200 and BOB in r.text and f"<span>{ADA}</span>" not in r.text


def test_sign_out_everywhere_else_tells_the_apps(seed, laptop, phone, database_url) -> None:  # ACCT-5 DATA-4
    client = seed.client("web", project="Mail Sorter")
    seed.user(ADA)
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            ada = s.scalar(select(User).where(User.email == ADA))
            assert ada is not None
            s.add(ConsentGrant(user_id=ada.id, client_pk=client.pk, scopes=["openid", "email"]))
            s.execute(
                update(Project)
                .where(Project.name == "Mail Sorter")
                .values(events_endpoint="https://sorter.example.com/events")
            )
        sign_in(phone)
        sign_in(laptop)
        html = page(laptop)
        done = post(laptop, "/account/sessions/end-others", {"csrf": form_value(html, CSRF_RE)})
        assert done.status_code == 303 and done.headers["location"] == "/account/sessions?done=ended-others"
        assert "You are signed out everywhere else." in text_of(page(laptop, done.headers["location"]))
        assert not signed_in(phone) and signed_in(laptop)
        with db.unit_of_work() as s:
            [event] = s.scalars(select(SecurityEvent))
            assert event.event_type.endswith("/risc/event-type/sessions-revoked")
    finally:
        db.dispose()


def test_signed_out_visitors_are_sent_to_sign_in(browser) -> None:  # ACCT-5
    r = browser.get(ISSUER + "/account/sessions", headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=%2Faccount%2Fsessions"
