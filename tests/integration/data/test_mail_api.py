"""/data/v1/mail: each operation allowed by exactly the catalogue's scopes (AUTH0-1, AUTH0-4, SCOPE-3)."""

from __future__ import annotations

from tests.integration.data.conftest import FRIEND, USER, uri


def test_send_only_token_sends_but_cannot_read(api_for) -> None:  # SCOPE-3, AUTH0-4
    api = api_for("mail.send")
    r = api(
        "POST", "/data/v1/mail/messages/send", json={"to": [FRIEND], "subject": "Hi", "body": "Lunch at one?"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["labels"] == ["SENT"] and r.json()["sender"] == USER
    denied = api("GET", "/data/v1/mail/messages")
    assert denied.status_code == 403
    challenge = denied.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and 'error="insufficient_scope"' in challenge
    # The challenge names every scope that would allow the call, narrowest first.
    allowed = [uri(n) for n in ("mail.metadata", "mail.readonly", "mail.modify", "mail")]
    assert f'scope="{" ".join(allowed)}"' in challenge
    assert denied.json()["error"] == "insufficient_scope"
    # The friend's mailbox received it.
    friend = api_for("mail.readonly", email=FRIEND)
    inbox = friend("GET", "/data/v1/mail/messages", params={"label": "INBOX"}).json()["messages"]
    assert any(m["subject"] == "Hi" and m["sender"] == USER for m in inbox)


def test_metadata_scope_sees_headers_never_bodies(api_for) -> None:  # SCOPE-2 (mail.metadata)
    api = api_for("mail.metadata")
    listing = api("GET", "/data/v1/mail/messages")
    assert listing.status_code == 200
    messages = listing.json()["messages"]
    assert len(messages) == 3 and all("body" not in m for m in messages)
    one = messages[0]["id"]
    meta = api("GET", f"/data/v1/mail/messages/{one}/metadata")
    assert meta.status_code == 200 and "body" not in meta.json()
    assert api("GET", f"/data/v1/mail/messages/{one}").status_code == 403


def test_readonly_reads_bodies_and_cannot_write(api_for) -> None:  # AUTH0-4
    api = api_for("mail.readonly")
    first = api("GET", "/data/v1/mail/messages").json()["messages"][0]["id"]
    full = api("GET", f"/data/v1/mail/messages/{first}")
    assert full.status_code == 200 and full.json()["body"]
    assert api("POST", f"/data/v1/mail/messages/{first}/modify", json={"add": ["STARRED"]}).status_code == 403
    assert api("DELETE", f"/data/v1/mail/messages/{first}").status_code == 403
    assert api("GET", "/data/v1/mail/settings").json()["signature"].startswith("-- ")
    assert api("PATCH", "/data/v1/mail/settings", json={"signature": "x"}).status_code == 403


def test_modify_labels_and_full_scope_delete(api_for) -> None:
    api = api_for("mail.modify")
    msg = api("GET", "/data/v1/mail/messages").json()["messages"][0]
    r = api(
        "POST", f"/data/v1/mail/messages/{msg['id']}/modify", json={"add": ["STARRED"], "remove": ["INBOX"]}
    )
    assert r.status_code == 200 and "STARRED" in r.json()["labels"] and "INBOX" not in r.json()["labels"]
    bad = api("POST", f"/data/v1/mail/messages/{msg['id']}/modify", json={"add": ["NoSuchLabel"]})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"
    # Permanent delete needs the full mail scope, not modify.
    assert api("DELETE", f"/data/v1/mail/messages/{msg['id']}").status_code == 403
    full = api_for("mail")
    assert full("DELETE", f"/data/v1/mail/messages/{msg['id']}").status_code == 204
    assert full("GET", f"/data/v1/mail/messages/{msg['id']}").status_code == 404


def test_labels_scope_manages_labels_only(api_for) -> None:
    api = api_for("mail.labels")
    assert [lab["name"] for lab in api("GET", "/data/v1/mail/labels").json()["labels"]] == [
        "Receipts",
        "Travel",
    ]
    assert api("POST", "/data/v1/mail/labels", json={"name": "Invoices"}).status_code == 201
    assert api("POST", "/data/v1/mail/labels", json={"name": "Invoices"}).status_code == 409
    assert api("GET", "/data/v1/mail/messages").status_code == 403


def test_forwarding_needs_the_sharing_scope(api_for) -> None:  # SCOPE-2: controls mailbox access
    basic = api_for("mail.settings.basic")
    assert basic("PATCH", "/data/v1/mail/settings", json={"vacation_enabled": True}).json()[
        "vacation_enabled"
    ]
    assert (
        basic("POST", "/data/v1/mail/settings/forwarding", json={"address": "x@evil.test"}).status_code == 403
    )
    sharing = api_for("mail.settings.sharing")
    r = sharing("POST", "/data/v1/mail/settings/forwarding", json={"address": "Backup@Example.org"})
    assert r.status_code == 201 and r.json() == {"address": "backup@example.org"}
    assert sharing("GET", "/data/v1/mail/settings/forwarding").json() == {
        "forwarding": [{"address": "backup@example.org"}]
    }
    assert (
        sharing("POST", "/data/v1/mail/settings/forwarding", json={"address": "not-an-email"}).status_code
        == 400
    )


def test_compose_and_insert(api_for) -> None:
    compose = api_for("mail.compose")
    draft = compose("POST", "/data/v1/mail/drafts", json={"to": [FRIEND], "subject": "Draft", "body": "..."})
    assert draft.status_code == 201 and draft.json()["labels"] == ["DRAFT"]
    insert = api_for("mail.insert")
    r = insert(
        "POST",
        "/data/v1/mail/messages",
        json={"sender": "archive@old.test", "to": [USER], "subject": "Imported", "labels": ["INBOX"]},
    )
    assert r.status_code == 201 and r.json()["sender"] == "archive@old.test"
    assert insert("GET", "/data/v1/mail/messages").status_code == 403
