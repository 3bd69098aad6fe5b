"""Deleting one's own account over HTTP (ACCT-6, DATA-4): apps told, grants and data gone, a receipt.

Runs on SQLite and PostgreSQL. The user grants two apps through the real consent flow; the one
they shared their identity with, and that listens for security events, is told ``account-purged``;
both lose their access; the sample data goes; the receipt goes through the outbox to a real SMTP
server (aiosmtpd). A sole project owner is refused up front, with the project named.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from consentry.domain.mail.sender import drain
from consentry.domain.mail.smtp_url import SmtpConfig
from consentry.storage.db import Database
from consentry.storage.tables import (
    CalendarEvent,
    ConsentGrant,
    MailMessage,
    OutboxMail,
    Project,
    SecurityEvent,
    SessionAccount,
    StoredFile,
    Token,
    User,
)
from tests.conftest import ISSUER
from tests.integration.account import HTML, USER, audit_tags, csrf, error_of, grant, post, sign_in, text_of
from tests.support.accounts import age_sign_ins
from tests.support.browserless import CSRF_RE, Browser, form_value
from tests.support.smtp import smtp_server

PAGE = "/account/delete"
PURGED = "https://schemas.openid.net/secevent/risc/event-type/account-purged"


def counts(database_url: str, user_id: int) -> dict[str, int]:
    """The user's rows that deleting the account must take away."""
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            return {
                "users": s.scalar(select(func.count()).where(User.id == user_id)) or 0,
                "grants": s.scalar(select(func.count()).where(ConsentGrant.user_id == user_id)) or 0,
                "tokens": s.scalar(select(func.count()).where(Token.user_id == user_id)) or 0,
                "sessions": s.scalar(select(func.count()).where(SessionAccount.user_id == user_id)) or 0,
                "mail": s.scalar(select(func.count()).where(MailMessage.user_id == user_id)) or 0,
                "files": s.scalar(select(func.count()).where(StoredFile.owner_id == user_id)) or 0,
                "calendar": s.scalar(select(func.count()).where(CalendarEvent.user_id == user_id)) or 0,
            }
    finally:
        db.dispose()


def user_row(database_url: str, email: str) -> tuple[int, str]:
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            user = s.scalar(select(User).where(User.email == email))
            assert user is not None
            return user.id, user.sub
    finally:
        db.dispose()


def confirm(browser: Browser, typed: str) -> Any:
    page = browser.get(ISSUER + PAGE, headers=HTML)
    assert page.status_code == 200, page.text[:500]
    return post(browser, PAGE, {"csrf": form_value(page.text, CSRF_RE), "confirm": typed})


def test_deletion_revokes_grants_tells_the_apps_removes_data_and_mails_a_receipt(
    seed, browser, client, database_url
) -> None:  # ACCT-6 DATA-4
    seed.user(USER)
    mail_pal = seed.client("web", project="Mail Pal")
    cal_buddy = seed.client("web", project="Cal Buddy")
    seed.sample_data(USER, "owner@example.com")
    held = grant(browser, client, mail_pal, "openid", "email", "mail.readonly")
    grant(browser, client, cal_buddy, "calendar.readonly")  # no identity shared: loses access, not told
    db = Database(database_url)
    with db.unit_of_work() as s:
        s.execute(
            update(Project)
            .where(Project.name.in_(["Mail Pal", "Cal Buddy"]))
            .values(events_endpoint="https://app.example.com/events")
        )
    bearer = {"Authorization": f"Bearer {held['access_token']}"}
    assert client.get("/data/v1/mail/messages", headers=bearer).status_code == 200

    sign_in(browser)
    uid, sub = user_row(database_url, USER)
    before = counts(database_url, uid)
    assert before["grants"] == 2 and before["tokens"] == 2 and before["mail"] > 0 and before["files"] > 0
    page = browser.get(ISSUER + PAGE, headers=HTML)
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "Apps with access now: Cal Buddy, Mail Pal." in shown and "can't be undone" in shown
    assert 'id="blocked"' not in page.text

    wrong = post(browser, PAGE, {"csrf": form_value(page.text, CSRF_RE), "confirm": "someone@example.org"})
    assert wrong.status_code == 400
    assert error_of(wrong.text) == (
        "wrong_confirmation",
        f"To confirm, type your e-mail address exactly: {USER}. Your account was not deleted.",
    )
    assert counts(database_url, uid) == before

    with smtp_server() as smtp:
        done = confirm(browser, f"  {USER.upper()} ")
        assert done.status_code == 200, done.text[:800]
        said = text_of(done.text)
        assert "Your account was deleted" in said
        assert "Access removed Cal Buddy, Mail Pal" in said and "Apps told Mail Pal" in said
        assert counts(database_url, uid) == dict.fromkeys(before, 0)
        report = drain(db, SmtpConfig.parse(smtp.url()), mail_from="consentry@auth.example.com")
        assert report.sent == 1
        [mail] = smtp.wait_for(1)
    message = mail.message
    assert mail.rcpt_tos == [USER] and message["Subject"] == "Your Consentry account was deleted"
    body = message.get_content()
    assert f"Your Consentry account {USER} was deleted on " in body
    assert "Apps whose access to your account was removed: Cal Buddy, Mail Pal." in body
    assert "so they can delete what they hold about you: Mail Pal." in body

    with db.unit_of_work() as s:
        [event] = s.scalars(select(SecurityEvent))
        told = s.scalar(select(Project.name).where(Project.id == event.project_id))
        assert (told, event.event_type, event.user_id, event.claims["sub"]) == ("Mail Pal", PURGED, None, sub)
        [outbox] = s.scalars(select(OutboxMail))
        assert outbox.reason == "user:delete" and outbox.data == {
            "apps": ["Cal Buddy", "Mail Pal"],
            "told": ["Mail Pal"],
        }
    db.dispose()
    assert "user:delete" in audit_tags(database_url)
    # The browser is signed out; the app's access token no longer works; the other user's data stays.
    assert browser.get(ISSUER + "/account", headers=HTML).status_code == 303
    assert client.get("/data/v1/mail/messages", headers=bearer).status_code == 401
    other, _ = user_row(database_url, "owner@example.com")
    assert counts(database_url, other)["mail"] > 0


def test_a_sole_project_owner_is_refused_with_the_project_named(seed, browser, database_url) -> None:
    # ACCT-6: deleting would orphan the project's apps; the page says which and what to do
    seed.user(USER)
    seed.client("web", owner=USER, project="Weather Widget")
    sign_in(browser)
    page = browser.get(ISSUER + PAGE, headers=HTML)
    assert page.status_code == 200 and 'data-code="owns_projects"' in page.text
    assert 'name="confirm"' not in page.text  # no form to fill in vain
    blocked = text_of(page.text.split('id="blocked"')[1].split("</section>")[0])
    assert "You are the only owner of: Weather Widget" in blocked
    assert "add another owner to each project, or delete the projects you no longer need" in blocked
    refused = post(browser, PAGE, {"csrf": csrf(browser), "confirm": USER})
    assert refused.status_code == 409
    assert error_of(refused.text) == (
        "owns_projects",
        "You are the only owner of the project \u201cWeather Widget\u201d. Before deleting your account, "
        "add another owner to it in the developer console, or delete it there. Your account was not deleted.",
    )
    uid, _ = user_row(database_url, USER)
    assert counts(database_url, uid)["users"] == 1
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            assert s.scalars(select(SecurityEvent)).all() == [] and s.scalars(select(OutboxMail)).all() == []
    finally:
        db.dispose()
    assert browser.get(ISSUER + "/account", headers=HTML).status_code == 200  # still signed in


def test_deleting_needs_a_recent_sign_in_and_the_form_check(seed, browser, database_url) -> None:  # ACCT-6
    seed.user(USER)
    sign_in(browser)
    token = form_value(browser.get(ISSUER + PAGE, headers=HTML).text, CSRF_RE)
    assert post(browser, PAGE, {"confirm": USER}).status_code == 403  # no CSRF
    age_sign_ins(seed, 24 * 3600)
    again = "/signin?next=%2Faccount%2Fdelete&email=ada%40example.org&again=1"
    stale = browser.get(ISSUER + PAGE, headers=HTML)
    assert stale.status_code == 303 and stale.headers["location"] == again
    late = post(browser, PAGE, {"csrf": token, "confirm": USER})
    assert late.status_code == 303 and late.headers["location"] == again
    uid, _ = user_row(database_url, USER)
    assert counts(database_url, uid)["users"] == 1
