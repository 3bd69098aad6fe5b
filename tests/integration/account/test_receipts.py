"""CONSENT-8, the reading side: a user reads their own consent receipts, newest first.

Runs on SQLite and PostgreSQL. Receipts are written by the consent flow (domain/consent/
receipts.py); here they are stored directly, so this page is tested on its own terms: whose
receipts show, in what order, with what was shown (version and hash) and what was answered.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from consentry.storage.db import Database
from consentry.storage.tables import ConsentReceipt, User
from consentry.storage.tables.base import now
from tests.conftest import ISSUER
from tests.integration.account import HTML, USER, sign_in, text_of, uri

OTHER = "bob@example.org"


def _receipt(user_id: int, n: int, **kw: object) -> ConsentReceipt:
    values: dict[str, object] = {
        "user_id": user_id,
        "client_id": f"client-{n}",
        "app_name": f"App {n}",
        "protocol": "oauth2",
        "decision": "allow",
        "granted": [uri("mail.readonly"), "email"],
        "denied": [],
        "disclosure_version": "consent-v3",
        "disclosure_hash": hashlib.sha256(f"disclosure {n}".encode()).hexdigest(),
        "created_at": now() - 1000 + n,
        **kw,
    }
    return ConsentReceipt(**values)


def _store(database_url: str, *rows: tuple[str, dict[str, object]]) -> None:
    db = Database(database_url)
    with db.unit_of_work() as s:
        ids = {u.email: u.id for u in s.scalars(select(User))}
        for n, (email, kw) in enumerate(rows, start=1):
            s.add(_receipt(ids[email], n, **kw))
    db.dispose()


def test_a_user_reads_their_own_receipts_newest_first(database_url, seed, browser) -> None:  # CONSENT-8
    seed.user(USER)
    seed.user(OTHER)
    _store(
        database_url,
        (USER, {"app_name": "Mail Pal"}),
        (OTHER, {"app_name": "Secret Diary"}),
        (
            USER,
            {
                "app_name": "Cal Buddy",
                "protocol": "device",
                "decision": "deny",
                "granted": [],
                "denied": [uri("calendar.readonly")],
            },
        ),
    )
    anonymous = browser.get(ISSUER + "/account/receipts", headers=HTML)
    assert (
        anonymous.status_code == 303 and anonymous.headers["location"] == "/signin?next=%2Faccount%2Freceipts"
    )

    sign_in(browser)
    page = browser.get(ISSUER + "/account/receipts")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Secret Diary" not in text  # another user's receipt
    assert page.text.count('<article class="receipt"') == 2
    assert text.index("Cal Buddy") < text.index("Mail Pal")  # newest first
    assert "Cal Buddy You declined" in text
    assert "Through Device sign-in, app id client-3" in text
    assert "Not allowed See and download any calendar you can access (sensitive data)" in text
    assert "Mail Pal You allowed access" in text
    assert "Allowed View your email messages and settings (highly sensitive data)" in text
    assert "See your primary email address (basic account info)" in text
    digest = hashlib.sha256(b"disclosure 1").hexdigest()
    assert f"Screen shown Version consent-v3 ; fingerprint (SHA-256) {digest}" in text
    # From the account page, one link away.
    assert 'href="/account/receipts"' in browser.get(ISSUER + "/account").text


def test_receipts_page_back_and_bad_input(database_url, seed, browser) -> None:  # CONSENT-8
    seed.user(USER)
    _store(database_url, *[(USER, {}) for _ in range(52)])
    sign_in(browser)
    first = browser.get(ISSUER + "/account/receipts").text
    assert first.count('<article class="receipt"') == 50
    assert "App 52" in first and "App 2<" not in first
    older = browser.get(
        ISSUER + "/account/receipts?before=" + first.split("/account/receipts?before=")[1].split('"')[0]
    )
    assert older.status_code == 200 and older.text.count('<article class="receipt"') == 2
    assert "Older receipts" not in older.text
    bad = browser.get(ISSUER + "/account/receipts?before=abc", headers=HTML)
    assert bad.status_code == 400 and "The request was malformed." in bad.text
    empty = browser.get(ISSUER + "/account/receipts?before=1")
    assert 'id="no-receipts"' in empty.text
