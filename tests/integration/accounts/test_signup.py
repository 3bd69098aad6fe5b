"""Sign-up by the operator's policy over HTTP (ACCT-6, ACCT-2 on its page), SQLite and PostgreSQL.

``open``: an address gets a verification link, the link's page creates the account and signs it
in; a taken address is mailed "you already have an account" and the page says the same as for a
new one. ``invite`` and ``closed``: /signup explains how accounts are made, 403, no form.
"""

from __future__ import annotations

import pytest

from consentry.domain.audit.tags import AuditTag
from tests.conftest import ISSUER
from tests.support.accounts import NEW_PASSWORD, alert, audit, csrf_of, link_in, mails, post, user_row
from tests.support.browserless import Browser

NEW = "newcomer@example.org"
TAKEN = "takenone@example.org"  # as long as NEW
REQUEST = AuditTag.USER_SIGNUP_REQUEST.value


@pytest.fixture
def signup_mode(request: pytest.FixtureRequest) -> str:
    """Open unless a test says otherwise (tests/integration/accounts/conftest.py applies it)."""
    return str(getattr(request, "param", "open"))


def ask(browser: Browser, email: str):
    return post(browser, "/signup", {"csrf": csrf_of(browser, "/signup"), "email": email})


def finish(browser: Browser, token: str, name: str, password: str):
    data = {"csrf": csrf_of(browser, "/password/forgot"), "token": token, "name": name}
    return post(browser, "/signup/complete", data | {"password": password, "password_again": password})


def test_open_signup_verifies_the_address_then_creates_and_signs_in(seed, browser) -> None:  # ACCT-6
    r = ask(browser, NEW)
    assert r.status_code == 200 and "Open the link in it to create your account" in r.text
    sent = mails(seed, REQUEST)
    assert [m.recipients for m in sent] == [[NEW]]
    url, token = link_in(sent[0])
    assert url.startswith(ISSUER + "/signup/complete?token=") and "within 24 hours" in sent[0].body
    assert user_row(seed, NEW) is None  # nothing exists before the link is used
    page = browser.get(url)
    assert page.status_code == 200 and NEW in page.text and 'name="name"' in page.text
    done = finish(browser, token, "Nia Newcomer", NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/account"
    account = browser.get(ISSUER + "/account")
    assert account.status_code == 200 and NEW in account.text  # signed in
    user = user_row(seed, NEW)
    assert user is not None and user.name == "Nia Newcomer" and user.org_id is None and user.role == "user"
    assert [a["email"] for a in audit(seed, AuditTag.USER_SIGNUP.value)] == [NEW]
    # The link worked once.
    assert browser.get(url).status_code == 400
    assert finish(browser, token, "Someone Else", "another fine passphrase").status_code == 400


def test_a_taken_address_gets_the_same_page_and_a_different_mail(seed, browser) -> None:  # ACCT-6
    seed.user(TAKEN)
    new, taken = ask(browser, NEW), ask(browser, TAKEN)
    assert new.status_code == taken.status_code == 200 and new.text == taken.text
    by_address = {m.recipients[0]: m for m in mails(seed, REQUEST)}
    assert by_address[TAKEN].subject == "You already have a Consentry account"
    assert "/password/forgot?email=takenone%40example.org" in by_address[TAKEN].body
    assert "token=" not in by_address[TAKEN].body  # no way to make a second account


def test_a_refused_password_or_name_keeps_the_link(seed, browser) -> None:  # ACCT-6, ACCT-2
    ask(browser, NEW)
    _url, token = link_in(mails(seed, REQUEST)[0])
    weak = finish(browser, token, "Nia", "password1234")
    assert weak.status_code == 400 and "common" in alert(weak.text)
    nameless = finish(browser, token, "   ", NEW_PASSWORD)
    assert nameless.status_code == 400 and alert(nameless.text) == "Type your name, as apps should show it."
    assert user_row(seed, NEW) is None
    assert finish(browser, token, "Nia", NEW_PASSWORD).status_code == 303


def test_signup_throttles_mails_per_address(seed, browser) -> None:  # ACCT-6
    for _ in range(4):
        ask(browser, NEW)
    assert len(mails(seed, REQUEST)) == 3


@pytest.mark.parametrize("signup_mode", ["invite", "closed"], indirect=True)
def test_without_open_signup_the_page_explains_and_has_no_form(seed, browser, signup_mode) -> None:  # ACCT-6
    page = browser.get(ISSUER + "/signup")
    assert page.status_code == 403
    assert "<form" not in page.text and f'data-mode="{signup_mode}"' in page.text
    words = "Accounts are by invitation" if signup_mode == "invite" else "Accounts are made by the operator"
    assert words in page.text
    r = post(browser, "/signup", {"csrf": csrf_of(browser, "/password/forgot"), "email": NEW})
    assert r.status_code == 403 and mails(seed) == []
    assert browser.get(ISSUER + "/signup/complete?token=abc").status_code == 403


def test_an_address_taken_after_the_mail_is_refused_at_the_end(seed, browser) -> None:  # ACCT-6
    ask(browser, NEW)
    _url, token = link_in(mails(seed, REQUEST)[0])
    seed.user(NEW)  # the operator made the account meanwhile
    r = finish(browser, token, "Nia", NEW_PASSWORD)
    assert r.status_code == 400
    assert alert(r.text) == "An account already uses this address: sign in, or reset its password."
