"""App passwords over HTTP (ACCT-4): made on the account page, shown once, refused by the sign-in
page, accepted by the legacy protocols' check (``app_passwords.verify``), revoked one by one.

Runs on SQLite and PostgreSQL. Two-step verification is switched on, once signed in, by writing a
confirmed authenticator row (how it is enrolled is the security page's business, tested there).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from consentry.domain.accounts import app_passwords
from consentry.storage.db import Database
from consentry.storage.tables import AppPassword, User
from tests.conftest import ISSUER
from tests.integration.account import HTML, audit_tags, csrf, error_of, post, sign_in, text_of
from tests.support.accounts import age_sign_ins, two_step_on
from tests.support.browserless import CSRF_RE, Browser, form_value
from tests.support.databases import SECRET

ADA, BOB = "ada@example.org", "bob@example.org"
SHOWN_RE = re.compile(r'<p class="secret" id="app-password"><code>([a-z ]+)</code></p>')
PAGE = "/account/app-passwords"


def verify(database_url: str, email: str, password: str) -> str | None:
    """What ClientLogin will call: the user's e-mail when the app password is theirs."""
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            user = app_passwords.verify(s, app_passwords.hasher_for(SECRET), email, password)
            return user.email if user else None
    finally:
        db.dispose()


def create(browser: Browser, name: str) -> Any:
    token = form_value(browser.get(ISSUER + PAGE, headers=HTML).text, CSRF_RE)
    return post(browser, PAGE, {"csrf": token, "name": name})


def listed(html: str) -> list[str]:
    return re.findall(r'<strong class="ap-name">([^<]*)</strong>', html)


def test_shown_once_and_works_only_where_app_passwords_are_taken(seed, browser, database_url) -> None:
    # ACCT-4: shown once, never again; verify() takes it; the sign-in page refuses it
    seed.user(ADA)
    sign_in(browser)
    two_step_on(seed, ADA)  # turned on while signed in (the sign-in would now ask for it)
    made = create(browser, "Mail on my laptop")
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    shown = form_value(made.text, SHOWN_RE)
    assert re.fullmatch(r"[a-z]{4} [a-z]{4} [a-z]{4} [a-z]{4}", shown)
    assert "This is the only time you'll see it." in text_of(made.text)
    page = browser.get(ISSUER + PAGE, headers=HTML).text
    assert listed(page) == ["Mail on my laptop"] and "Never used" in text_of(page)
    assert shown not in page and shown.replace(" ", "") not in page
    assert "user:app-password:create" in audit_tags(database_url)

    assert verify(database_url, ADA, shown) == ADA
    assert verify(database_url, ADA, shown.replace(" ", "").upper()) == ADA
    assert verify(database_url, BOB, shown) is None
    assert "Last used" in text_of(browser.get(ISSUER + PAGE, headers=HTML).text)

    # The sign-in page checks the account password only: the app password is a wrong password.
    browser.http.cookies.clear()
    form = browser.follow(browser.get(ISSUER + "/signin?next=/account"))
    for typed in (shown, shown.replace(" ", "")):
        refused = browser.http.post(
            ISSUER + "/signin",
            data={
                "csrf": form_value(form.text, CSRF_RE),
                "email": ADA,
                "password": typed,
                "flow": "",
                "next": "",
            },
            follow_redirects=False,
        )
        assert refused.status_code != 303, refused.headers.get("location")
        assert "Wrong email or password." in text_of(refused.text)
    assert browser.get(ISSUER + "/account", headers=HTML).status_code == 303  # still signed out


def test_a_revoked_one_no_longer_works_and_someone_elses_is_not_found(seed, browser, database_url) -> None:
    # ACCT-4: revocable one by one; another user's id changes nothing
    seed.user(ADA)
    seed.user(BOB)
    sign_in(browser, BOB)
    two_step_on(seed, BOB)
    bobs = form_value(create(browser, "Bob's phone").text, SHOWN_RE)
    sign_in(browser)
    two_step_on(seed, ADA)
    laptop = form_value(create(browser, "Laptop").text, SHOWN_RE)
    phone = form_value(create(browser, "Phone").text, SHOWN_RE)
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            ids = {name: pk for name, pk in s.execute(select(AppPassword.name, AppPassword.id))}
    finally:
        db.dispose()
    page = browser.get(ISSUER + PAGE, headers=HTML).text
    assert listed(page) == ["Phone", "Laptop"]
    token = form_value(page, CSRF_RE)

    bobs_id = ids["Bob's phone"]
    other = post(browser, f"{PAGE}/{bobs_id}/revoke", {"csrf": token})
    assert other.status_code == 404
    assert error_of(other.text) == (
        "not_found",
        "This app password is not one of yours, or it was already revoked.",
    )
    assert verify(database_url, BOB, bobs) == BOB
    huge = post(browser, f"{PAGE}/{10**30}/revoke", {"csrf": token})
    assert (huge.status_code, error_of(huge.text)[0]) == (400, "invalid_request")  # never a 500
    assert post(browser, f"{PAGE}/{ids['Laptop']}/revoke", {}).status_code == 403  # no CSRF
    assert verify(database_url, ADA, laptop) == ADA

    done = post(browser, f"{PAGE}/{ids['Laptop']}/revoke", {"csrf": token})
    assert done.status_code == 303 and done.headers["location"] == f"{PAGE}?done=revoked"
    after = browser.get(ISSUER + done.headers["location"], headers=HTML).text
    assert "App password revoked." in text_of(after) and listed(after) == ["Phone"]
    assert verify(database_url, ADA, laptop) is None
    assert verify(database_url, ADA, phone) == ADA
    assert audit_tags(database_url).count("user:app-password:revoke") == 1


def test_name_and_limit_errors_say_what_to_fix(seed, browser, database_url) -> None:  # ACCT-4
    seed.user(ADA)
    sign_in(browser)
    two_step_on(seed, ADA)  # turned on while signed in (the sign-in would now ask for it)
    empty = create(browser, "   ")
    assert empty.status_code == 400
    assert error_of(empty.text) == (
        "invalid_name",
        "Give the app password a name, such as the app or device that will use it.",
    )
    long = create(browser, "n" * 101)
    assert long.status_code == 400
    assert error_of(long.text)[1] == "Keep the name to 100 characters or fewer (it has 101)."
    assert 'value="' + "n" * 101 + '"' in long.text  # what was typed is kept to correct
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            uid = s.scalar(select(User.id).where(User.email == ADA))
            s.add_all(AppPassword(user_id=uid, name=f"App {i}", secret_hash=f"{i:064x}") for i in range(20))
    finally:
        db.dispose()
    full = create(browser, "One more")
    assert full.status_code == 400
    assert error_of(full.text) == (
        "limit",
        "An account holds at most 20 app passwords. Revoke one you no longer use, then create the new one.",
    )
    assert len(listed(full.text)) == 20


def test_without_two_step_the_page_explains_and_creation_is_refused(seed, browser, database_url) -> None:
    # ACCT-4: as on the reference platform, only accounts with two-step verification have them
    seed.user(ADA)
    sign_in(browser)
    page = browser.get(ISSUER + PAGE, headers=HTML)
    assert page.status_code == 200
    assert 'id="needs-2sv"' in page.text and 'href="/account/security"' in page.text
    assert "Turn on two-step verification first" in text_of(page.text)
    assert 'action="/account/app-passwords" ' not in page.text  # no creation form
    refused = post(browser, PAGE, {"csrf": csrf(browser), "name": "Mail"})
    assert refused.status_code == 400 and error_of(refused.text)[0] == "two_step_required"


def test_creating_needs_a_recent_sign_in(seed, browser, database_url) -> None:  # ACCT-4
    seed.user(ADA)
    sign_in(browser)
    two_step_on(seed, ADA)  # turned on while signed in (the sign-in would now ask for it)
    token = form_value(browser.get(ISSUER + PAGE, headers=HTML).text, CSRF_RE)
    age_sign_ins(seed, 24 * 3600)
    again = "/signin?next=%2Faccount%2Fapp-passwords&email=ada%40example.org&again=1"
    stale = browser.get(ISSUER + PAGE, headers=HTML)
    assert stale.status_code == 303 and stale.headers["location"] == again
    made = post(browser, PAGE, {"csrf": token, "name": "Mail"})
    assert made.status_code == 303 and made.headers["location"] == again
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            assert s.scalars(select(AppPassword)).all() == []
    finally:
        db.dispose()
