"""DATA-1 over HTTP: the account page lists every app holding access, and one button takes it back.

Runs on SQLite and PostgreSQL. The grants and tokens come from the real consent flow and token
endpoint; the revocation is then proved from the app's side: its old access token gets 401 from
the data API and its refresh token ``invalid_grant`` from the token endpoint.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select

from consentry.storage.db import Database
from consentry.storage.tables import (
    AuditEvent,
    AuthorizationCode,
    ConsentGrant,
    DeviceCode,
    Project,
    SecurityEvent,
    Token,
)
from consentry.storage.tables.base import now
from tests.conftest import ISSUER
from tests.integration.account import (
    HTML,
    USER,
    app_card,
    csrf,
    error_of,
    grant,
    post,
    project_id,
    sign_in,
    text_of,
    uri,
)
from tests.support.flows import get_code

OTHER = "bob@example.org"


def _today() -> str:
    return dt.datetime.now(dt.UTC).strftime("%-d %b %Y")


def test_the_page_needs_a_signed_in_user(client) -> None:  # DATA-1
    r = client.get("/account", headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/signin?next=%2Faccount"


def test_every_app_is_listed_by_project_with_what_it_can_reach(
    database_url, seed, browser, client
) -> None:  # DATA-1
    seed.user(USER)
    seed.sample_data(USER)
    web = seed.client("web", project="Mail Pal", name="Mail Pal web")
    mobile = seed.client("web", project="Mail Pal", name="Mail Pal mobile")
    cal = seed.client("web", project="Cal Buddy")
    mail_tokens = grant(browser, client, web, "openid", "email", "mail.readonly")
    grant(browser, client, mobile, "calendar.readonly")
    grant(browser, client, cal, "calendar.events.readonly")
    call = client.get(
        "/data/v1/mail/messages", headers={"Authorization": f"Bearer {mail_tokens['access_token']}"}
    )
    assert call.status_code == 200, call.text

    sign_in(browser)
    page = browser.get(ISSUER + "/account")
    assert page.status_code == 200
    html = page.text
    # The signed-in account, "Add another account" and "Sign out of all accounts" are still there.
    assert USER in html and 'href="/signin?next=/account"' in html and 'action="/signout"' in html
    mail_id, cal_id = project_id(database_url, "Mail Pal"), project_id(database_url, "Cal Buddy")
    # One card per project (both Mail Pal clients count for the one app), by name.
    assert html.count('<article class="app"') == 2
    assert html.index(f'id="app-{cal_id}"') < html.index(f'id="app-{mail_id}"')

    mail = text_of(app_card(html, mail_id))
    assert "Mail Pal" in mail
    # What it can reach, in the consent screen's words, with the class in plain words, most sensitive first.
    assert "View your email messages and settings (highly sensitive data)" in mail
    assert "See and download any calendar you can access (sensitive data)" in mail
    assert "See your primary email address (basic account info)" in mail
    assert mail.index("highly sensitive") < mail.index("(sensitive data)") < mail.index("basic account info")
    assert f"Access since {_today()}" in mail
    assert "Last used never" not in mail and f"Last used {_today()}" in mail
    # Its recent calls to the user's data, in plain words.
    assert "Recent activity 1" in mail
    assert "List messages with their headers and labels Allowed" in mail

    calendar = text_of(app_card(html, cal_id))
    assert "View events on all your calendars (sensitive data)" in calendar
    assert "It has not read or changed any of your data yet." in calendar
    assert "mail" not in calendar.lower()


def test_a_lapsed_grant_is_not_access_but_a_live_token_is(
    database_url, seed, browser, client
) -> None:  # DATA-1
    seed.user(USER)
    c = seed.client("web", project="Testing App")
    grant(browser, client, c, "calendar.readonly")
    pid = project_id(database_url, "Testing App")
    db = Database(database_url)
    with db.unit_of_work() as s:
        for g in s.scalars(select(ConsentGrant)):
            g.lapses_at = now() - 1
    sign_in(browser)
    # The grant lapsed but the app's token still works: it still holds access.
    assert app_card(browser.get(ISSUER + "/account").text, pid)
    with db.unit_of_work() as s:
        for t in s.scalars(select(Token)):
            t.revoked_at = now()
    html = browser.get(ISSUER + "/account").text
    assert not app_card(html, pid)
    assert 'id="no-apps"' in html
    db.dispose()


def _device_code(client_pk: int, user_id: int, status: str, tag: str) -> DeviceCode:
    return DeviceCode(
        device_code_hash=hashlib.sha256(b"dc" + tag.encode()).hexdigest(),
        user_code_hash=hashlib.sha256(b"uc" + tag.encode()).hexdigest(),
        client_pk=client_pk,
        scope=uri("calendar.readonly"),
        status=status,
        user_id=user_id,
        expires_at=now() + 600,
    )


def test_one_button_takes_everything_back_and_the_app_is_told(
    database_url, seed, browser, client
) -> None:  # DATA-1 DATA-4
    seed.user(USER)
    seed.user(OTHER)
    seed.sample_data(USER)
    web = seed.client("web", project="Mail Pal")
    tv = seed.client("web", project="Mail Pal", name="Mail Pal TV")
    cal = seed.client("web", project="Cal Buddy")
    tokens = grant(browser, client, web, "openid", "email", "mail.readonly")
    others = grant(browser, client, web, "openid", "mail.readonly", email=OTHER)
    kept = grant(browser, client, cal, "calendar.readonly")
    get_code(browser, tv, USER, uri("calendar.readonly"), prompt="consent")  # a code never exchanged
    pid = project_id(database_url, "Mail Pal")
    db = Database(database_url)
    with db.unit_of_work() as s:
        project = s.get(Project, pid)
        assert project is not None
        project.events_endpoint = "https://mailpal.example.org/events"
        user_id = s.scalar(
            select(ConsentGrant.user_id).where(ConsentGrant.client_pk == web.pk).order_by(ConsentGrant.id)
        )
        assert user_id is not None
        s.add(_device_code(tv.pk, user_id, "pending", "a"))
        s.add(_device_code(tv.pk, user_id, "approved", "b"))
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/data/v1/mail/messages", headers=auth).status_code == 200

    sign_in(browser)
    card = app_card(browser.get(ISSUER + "/account").text, pid)
    assert f'action="/account/apps/{pid}/revoke"' in card and "Remove Mail Pal\u2019s access" in card
    r = post(browser, f"/account/apps/{pid}/revoke", {"csrf": csrf(browser)})
    assert r.status_code == 303 and r.headers["location"] == "/account?done=revoked"
    page = browser.get(ISSUER + r.headers["location"]).text
    assert "Access removed. The app can no longer reach your account, and it has been told." in text_of(page)
    assert not app_card(page, pid)
    assert app_card(page, project_id(database_url, "Cal Buddy"))

    # The app's side: its old access token is refused at once, its refresh token too.
    after = client.get("/data/v1/mail/messages", headers=auth)
    assert after.status_code == 401 and after.json()["error"] == "invalid_token"
    refresh = client.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(web.client_id, web.client_secret),
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    # Nobody else lost anything: the other user of the app, the user's other app.
    assert (
        client.get(
            "/data/v1/mail/messages", headers={"Authorization": f"Bearer {others['access_token']}"}
        ).status_code
        == 200
    )
    assert (
        client.get(
            "/data/v1/calendar/events", headers={"Authorization": f"Bearer {kept['access_token']}"}
        ).status_code
        == 200
    )

    with db.unit_of_work() as s:
        pks = (web.pk, tv.pk)
        assert (
            s.scalars(
                select(ConsentGrant).where(ConsentGrant.user_id == user_id, ConsentGrant.client_pk.in_(pks))
            ).all()
            == []
        )
        assert all(
            t.revoked_at is not None
            for t in s.scalars(select(Token).where(Token.user_id == user_id, Token.client_pk.in_(pks)))
        )
        assert (
            s.scalars(
                select(AuthorizationCode).where(
                    AuthorizationCode.client_pk == tv.pk, AuthorizationCode.used_at.is_(None)
                )
            ).all()
            == []
        )
        assert sorted(d.status for d in s.scalars(select(DeviceCode))) == ["denied", "denied"]
        event = s.scalar(select(AuditEvent).where(AuditEvent.tag == "user:consent:revoke"))
        assert event is not None and event.actor == USER
        assert event.data["project_id"] == pid and event.data["grants"] == 2 and event.data["tokens"] >= 1
        assert event.data["codes"] == 1 and event.data["device_codes"] == 2 and event.data["channel"] == "web"
        told = s.scalars(select(SecurityEvent).where(SecurityEvent.project_id == pid)).all()
        assert [e.event_type.rsplit("/", 1)[-1] for e in told] == ["tokens-revoked"]
        assert told[0].user_id == user_id

    # A second click says there is nothing left, and changes nothing.
    again = post(browser, f"/account/apps/{pid}/revoke", {"csrf": csrf(browser)})
    assert again.status_code == 404
    assert error_of(again.text) == ("not_found", "This app has no access to your account any more.")
    db.dispose()


def test_revoking_needs_the_csrf_field_and_a_real_app(database_url, seed, browser, client) -> None:  # DATA-1
    seed.user(USER)
    c = seed.client("web", project="Mail Pal")
    tokens = grant(browser, client, c, "calendar.readonly")
    pid = project_id(database_url, "Mail Pal")
    sign_in(browser)
    for data in ({}, {"csrf": "forged"}):
        r = post(browser, f"/account/apps/{pid}/revoke", data)
        assert r.status_code == 403
        assert "session check failed" in text_of(r.text).lower()
    token = csrf(browser)
    assert post(browser, "/account/apps/nope/revoke", {"csrf": token}).status_code == 400
    missing = post(browser, "/account/apps/999999/revoke", {"csrf": token})
    assert missing.status_code == 404
    assert error_of(missing.text)[1] == "This app has no access to your account any more."
    # Still granted, still working.
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/data/v1/calendar/events", headers=auth).status_code == 200
    assert app_card(browser.get(ISSUER + "/account").text, pid)
