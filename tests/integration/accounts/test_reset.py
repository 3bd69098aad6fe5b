"""Password reset by a mailed link over HTTP (ACCT-1, ACCT-2 on the reset page), SQLite and PostgreSQL.

The answer to "send me a link" is the same for every address; the link is single-use, short-lived
and refused once expired; a refused password leaves it usable; using it ends every session of the
account, tells the apps, mails a notice and sends the browser to sign in again.
"""

from __future__ import annotations

from sqlalchemy import select

from consentry.domain.audit.tags import AuditTag
from consentry.storage.tables import AccountLink, Passkey, User
from tests.conftest import ISSUER
from tests.integration.events.helpers import events, make_world, set_endpoint_row
from tests.support.accounts import (
    NEW_PASSWORD,
    alert,
    audit,
    csrf_of,
    expire_links,
    link_in,
    mails,
    path_of,
    post,
    query,
    sessions_of,
    sign_in,
)
from tests.support.browserless import Browser
from tests.support.flows import PASSWORD

KNOWN = "known@example.org"
UNKNOWN = "nobod@example.org"  # as long as KNOWN: the bodies can be compared byte for byte
RESET = AuditTag.USER_RESET_REQUEST.value


def ask(browser: Browser, email: str) -> object:
    return post(browser, "/password/forgot", {"csrf": csrf_of(browser, "/password/forgot"), "email": email})


def mailed_token(seed, n: int = 1) -> str:
    sent = mails(seed, RESET)
    assert len(sent) == n, [m.recipients for m in sent]
    url, token = link_in(sent[-1])
    assert url.startswith(ISSUER + "/password/reset?token=")
    return token


def choose(browser: Browser, token: str, password: str, again: str | None = None):
    page = browser.get(ISSUER + "/password/reset?token=" + token)
    assert page.status_code == 200, page.text
    data = {"csrf": csrf_of(browser, "/password/forgot"), "token": token, "password": password}
    data["password_again"] = password if again is None else again
    return post(browser, "/password/reset", data)


def test_known_and_unknown_addresses_get_the_same_answer(seed, browser) -> None:  # ACCT-1
    seed.user(KNOWN)
    known, unknown = ask(browser, KNOWN), ask(browser, UNKNOWN)
    assert known.status_code == unknown.status_code == 200  # type: ignore[attr-defined]
    assert known.text == unknown.text  # type: ignore[attr-defined]
    assert "If an account uses the address you typed, we sent it a link" in known.text  # type: ignore[attr-defined]
    same = {k: v for k, v in known.headers.items() if k != "date"}  # type: ignore[attr-defined]
    assert same == {k: v for k, v in unknown.headers.items() if k != "date"}  # type: ignore[attr-defined]
    sent = mails(seed, RESET)
    assert [m.recipients for m in sent] == [[KNOWN]]  # only the account's address got mail
    assert "within 30 minutes" in sent[0].body and "If you did not ask, ignore this mail" in sent[0].body


def test_the_form_needs_its_csrf_token_and_an_address(seed, browser) -> None:  # ACCT-1
    seed.user(KNOWN)
    r = post(browser, "/password/forgot", {"csrf": "forged", "email": KNOWN})
    assert r.status_code == 403 and "csrf" in r.text
    r = post(
        browser, "/password/forgot", {"csrf": csrf_of(browser, "/password/forgot"), "email": "not an address"}
    )
    assert r.status_code == 400
    assert alert(r.text) == "That is not an e-mail address: check it for typing mistakes."
    assert mails(seed, RESET) == []


def test_the_link_sets_a_new_password_once(seed, browser, other_browser) -> None:  # ACCT-1
    seed.user(KNOWN)
    ask(browser, KNOWN)
    token = mailed_token(seed)
    page = other_browser.get(ISSUER + "/password/reset?token=" + token)  # any browser may open it
    assert page.status_code == 200 and KNOWN in page.text and f'value="{token}"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"  # the token never leaks to another site
    done = choose(other_browser, token, NEW_PASSWORD)
    assert done.status_code == 303
    assert query(done.headers["location"]) == {"email": KNOWN, "notice": "password-changed"}
    assert path_of(done.headers["location"]).startswith("/signin?")
    assert (
        other_browser.get(ISSUER + "/account").status_code == 303
    )  # not signed in: the second step may be due
    # Used up: the page and the form both refuse it now.
    again = other_browser.get(ISSUER + "/password/reset?token=" + token)
    assert again.status_code == 400 and "has expired or was already used" in alert(again.text)
    data = {"csrf": csrf_of(other_browser, "/password/forgot"), "token": token}
    r = post(
        other_browser,
        "/password/reset",
        data | {"password": "another fine passphrase", "password_again": "another fine passphrase"},
    )
    assert r.status_code == 400 and 'href="/password/forgot"' in r.text
    # The new password signs in; the old one no longer does.
    assert sign_in(other_browser, KNOWN, PASSWORD).status_code == 401
    assert sign_in(other_browser, KNOWN, NEW_PASSWORD).headers["location"] == "/account"
    assert [a["email"] for a in audit(seed, AuditTag.USER_RESET.value)] == [KNOWN]


def test_an_expired_link_is_refused(seed, browser) -> None:  # ACCT-1
    seed.user(KNOWN)
    ask(browser, KNOWN)
    token = mailed_token(seed)
    expire_links(seed, KNOWN)
    page = browser.get(ISSUER + "/password/reset?token=" + token)
    assert page.status_code == 400 and "has expired or was already used" in alert(page.text)
    data = {"csrf": csrf_of(browser, "/password/forgot"), "token": token}
    r = post(browser, "/password/reset", data | {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert r.status_code == 400
    assert sign_in(browser, KNOWN, NEW_PASSWORD).status_code == 401  # nothing changed


def test_a_made_up_token_is_refused(seed, browser) -> None:  # ACCT-1
    for token in ("", "x" * 43, "y" * 5000):
        page = browser.get(ISSUER + "/password/reset?token=" + token)
        assert page.status_code == 400 and "Ask for a new link" in page.text


def test_a_refused_password_keeps_the_link_usable(seed, browser) -> None:  # ACCT-1, ACCT-2
    seed.user(KNOWN)
    ask(browser, KNOWN)
    token = mailed_token(seed)
    short = choose(browser, token, "short")
    assert short.status_code == 400
    assert (
        alert(short.text) == "Passwords need at least 12 characters; a few unrelated words make a good one."
    )
    common = choose(browser, token, "password1234")
    assert common.status_code == 400 and "common" in alert(common.text)
    own = choose(browser, token, KNOWN)
    assert own.status_code == 400 and alert(own.text) == "The password is your e-mail address or name."
    differ = choose(browser, token, NEW_PASSWORD, again=NEW_PASSWORD + "x")
    assert differ.status_code == 400 and alert(differ.text).startswith("The two passwords differ")
    assert choose(browser, token, NEW_PASSWORD).status_code == 303  # still good after four refusals


def test_a_reset_ends_every_session_tells_the_apps_and_mails_a_notice(
    seed, browser, other_browser
) -> None:  # ACCT-1
    world = make_world(seed)  # bob granted an app `openid email`; the app listens for events
    set_endpoint_row(seed.db, world.project_id, "https://app.example.com/events")
    email = "bob@example.org"
    assert sign_in(browser, email).headers["location"] == "/account"
    assert browser.get(ISSUER + "/account").status_code == 200
    assert sessions_of(seed, email) == 1
    ask(other_browser, email)
    done = choose(other_browser, mailed_token(seed), NEW_PASSWORD)
    assert done.status_code == 303
    assert sessions_of(seed, email) == 0
    r = browser.get(ISSUER + "/account")  # the old cookie no longer reaches the account
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    assert [(e["project_id"], e["event_type"]) for e in events(seed.db)] == [
        (world.project_id, "https://schemas.openid.net/secevent/risc/event-type/sessions-revoked")
    ]
    notice = mails(seed, AuditTag.USER_RESET.value)
    assert [m.recipients for m in notice] == [[email]]
    assert notice[0].subject == "Your Consentry password was changed"
    assert "If it was not you" in notice[0].body and "token=" not in notice[0].body
    assert audit(seed, AuditTag.USER_RESET.value)[0]["sessions_ended"] == 1


def test_the_notice_names_the_passkeys_a_reset_leaves(seed, browser) -> None:  # ACCT-1 ACCT-3
    # A passkey signs in without the password: whoever added one keeps it through a reset, so the
    # owner is shown every passkey of the account, with where to remove them.
    seed.user(KNOWN)
    with seed.db.unit_of_work() as s:
        uid = s.scalar(select(User.id).where(User.email == KNOWN))
        s.add(Passkey(user_id=uid, credential_id="cred-1", public_key=b"k", name="Unknown laptop"))
    ask(browser, KNOWN)
    assert choose(browser, mailed_token(seed), NEW_PASSWORD).status_code == 303
    body = mails(seed, AuditTag.USER_RESET.value)[0].body
    assert "Unknown laptop" in body and "/account/passkeys" in body


def test_a_reset_voids_the_other_links_of_the_account(seed, browser) -> None:  # ACCT-1
    seed.user(KNOWN)
    ask(browser, KNOWN)
    ask(browser, KNOWN)
    sent = mails(seed, RESET)
    first, second = link_in(sent[0])[1], link_in(sent[1])[1]
    assert choose(browser, second, NEW_PASSWORD).status_code == 303
    assert browser.get(ISSUER + "/password/reset?token=" + first).status_code == 400


def test_mails_per_address_are_throttled(seed, browser) -> None:  # ACCT-1
    seed.user(KNOWN)
    answers = {ask(browser, KNOWN).text for _ in range(5)}  # type: ignore[attr-defined]
    assert len(answers) == 1  # the same answer past the limit
    assert len(mails(seed, RESET)) == 3  # three mails an hour per address, no more


def test_requests_per_client_address_are_throttled(seed, browser) -> None:  # ACCT-1
    seed.user(KNOWN)
    for i in range(20):
        ask(browser, f"nobody{i}@example.org")
    ask(browser, KNOWN)  # the 21st request from this client this hour
    assert mails(seed, RESET) == []


def test_a_disabled_account_gets_no_mail(seed, browser) -> None:  # ACCT-1
    from consentry.domain.accounts import service

    seed.user(KNOWN)
    with seed.db.unit_of_work() as s:
        service.disable_user(s, KNOWN)
    assert ask(browser, KNOWN).status_code == 200  # type: ignore[attr-defined]
    assert mails(seed, RESET) == []


def test_the_link_is_stored_only_as_a_keyed_hash(seed, browser) -> None:  # ACCT-1
    seed.user(KNOWN)
    ask(browser, KNOWN)
    token = mailed_token(seed)
    with seed.db.unit_of_work() as s:
        rows = list(s.query(AccountLink).all())
    assert len(rows) == 1 and token not in rows[0].token_hash and len(rows[0].token_hash) == 64
    assert rows[0].expires_at - rows[0].created_at == 30 * 60
