"""The rules a mail meets before it is queued, the backoff schedule, and the message as it goes out.

# ISSUE-11 mail: what is refused here is refused in the caller's transaction, where the caller can
still answer with an error; a row that is queued can always be delivered.
"""

from __future__ import annotations

import re
import smtplib
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy.orm import Session

from consentry.domain.mail import outbox
from consentry.domain.mail.outbox import MAX_RECIPIENTS, enqueue, new_message_id
from consentry.domain.mail.sender import BACKOFF_CAP, backoff
from consentry.domain.mail.transport import (
    build_message,
    describe,
    ends_connection,
    envelope_sender,
    one_line,
)
from consentry.errors import DomainError


def queue(session: Session, recipients: list[str], subject: str = "Your app was approved") -> str:
    mail = enqueue(session, recipients, subject, "body", reason="project:review:approve")
    return mail.message_id


def test_recipients_are_trimmed_lowered_and_deduplicated() -> None:  # ISSUE-11 mail
    session = Session()
    mail = enqueue(
        session,
        [" Dana@Example.com ", "dana@example.com", "lee@example.org", "not an address", ""],
        "Subject",
        "body",
        reason="project:review:approve",
        data={"project": "p1"},
    )
    assert mail.recipients == ["dana@example.com", "lee@example.org"]
    assert mail in session.new  # added to the caller's session, nothing else
    assert (mail.attempts, mail.sent_at, mail.claimed_until, mail.last_error) == (0, None, 0, "")
    assert mail.next_attempt_at == mail.created_at  # due at once
    assert mail.data == {"project": "p1"}


@pytest.mark.parametrize(
    "recipients",
    [[], [""], ["not an address"], ["a@b"], ["x@y.z\r\nBcc: victim@example.com"], ["  "]],
)
def test_a_mail_with_no_valid_recipient_is_refused(recipients: list[str]) -> None:  # ISSUE-11 mail
    session = Session()
    with pytest.raises(DomainError) as raised:
        queue(session, recipients)
    assert raised.value.code == "invalid_email"
    assert not session.new


def test_a_bare_string_is_one_recipient_not_a_list_of_characters() -> None:  # ISSUE-11 mail
    session = Session()
    mail = enqueue(session, "dana@example.com", "S", "b", reason="r")  # type: ignore[arg-type]
    assert mail.recipients == ["dana@example.com"]


def test_too_many_recipients_are_refused() -> None:  # ISSUE-11 mail: one SMTP transaction takes 100
    session = Session()
    queue(session, [f"u{i}@example.com" for i in range(MAX_RECIPIENTS)])
    with pytest.raises(DomainError) as raised:
        queue(session, [f"u{i}@example.com" for i in range(MAX_RECIPIENTS + 1)])
    assert raised.value.code == "invalid_email"


@pytest.mark.parametrize(
    "subject",
    [
        "Approved\r\nBcc: victim@example.com",
        "Approved\nBcc: victim@example.com",
        "Approved\rBcc: victim@example.com",
        "Approved\x00",
        "Approved\u2028Bcc: victim@example.com",  # a line separator to str.splitlines()
        "Approved\x85Bcc: victim@example.com",
        "Approved\tthen a tab",
    ],
)
def test_header_injection_through_the_subject_is_refused(subject: str) -> None:  # ISSUE-11 mail
    session = Session()
    with pytest.raises(DomainError) as raised:
        queue(session, ["dana@example.com"], subject)
    assert raised.value.code == "invalid_subject"
    assert not session.new


@pytest.mark.parametrize("subject", ["", "   ", "x" * 301])
def test_empty_or_overlong_subjects_are_refused(subject: str) -> None:  # ISSUE-11 mail
    with pytest.raises(DomainError) as raised:
        queue(Session(), ["dana@example.com"], subject)
    assert raised.value.code == "invalid_subject"


def test_body_and_reason_limits() -> None:  # ISSUE-11 mail: refused now, not as a failed commit later
    session = Session()
    with pytest.raises(DomainError):
        enqueue(session, ["a@example.com"], "S", "nul \x00 byte", reason="r")
    with pytest.raises(DomainError):
        enqueue(session, ["a@example.com"], "S", "b", reason="")
    with pytest.raises(DomainError):
        enqueue(session, ["a@example.com"], "S", "b", reason="r" * 101)
    assert not session.new


@pytest.mark.parametrize(
    ("issuer", "host"),
    [
        ("https://auth.example.com", "auth.example.com"),
        ("http://testserver.local:8000/base", "testserver.local"),
        ("http://127.0.0.1:8000", "127.0.0.1"),
        ("http://[::1]:8000", "consentry"),  # no brackets or colons in a Message-ID domain
        (None, "consentry"),
        ("", "consentry"),
    ],
)
def test_message_ids_are_unique_and_name_the_issuer(issuer: str | None, host: str) -> None:  # ISSUE-11 mail
    ids = {new_message_id(issuer) for _ in range(200)}
    assert len(ids) == 200
    for message_id in ids:
        assert re.fullmatch(rf"<[0-9a-f]{{32}}@{re.escape(host)}>", message_id)


def test_enqueue_uses_the_issuer_for_the_message_id() -> None:  # ISSUE-11 mail
    mail = enqueue(Session(), ["a@example.com"], "S", "b", reason="r", issuer="https://auth.example.com")
    assert mail.message_id.endswith("@auth.example.com>")


def test_backoff_doubles_from_30_seconds_up_to_an_hour() -> None:  # ISSUE-11 mail: retried with backoff
    assert [backoff(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert backoff(0) == 30 and backoff(10_000) == BACKOFF_CAP


def test_the_message_as_it_goes_out() -> None:  # ISSUE-11 mail: Message-ID and Date headers set
    message = build_message(
        mail_from="Consentry <noreply@example.com>",
        recipients=["dana@example.com", "lee@example.org"],
        subject="Your app was approved",
        body="Hello,\n.\nA line with a lone dot, and ünïcode.\n",
        message_id="<abc123@auth.example.com>",
        created_at=1_800_000_000,
    )
    assert message["Message-ID"] == "<abc123@auth.example.com>"
    assert message["To"] == "dana@example.com, lee@example.org"
    assert message["From"] == "Consentry <noreply@example.com>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert parsedate_to_datetime(message["Date"]).timestamp() == 1_800_000_000
    assert message.get_content() == "Hello,\n.\nA line with a lone dot, and ünïcode.\n"


def test_the_message_refuses_header_injection_even_past_enqueue() -> None:  # ISSUE-11 mail: defence in depth
    with pytest.raises(ValueError):
        build_message(
            mail_from="a@example.com",
            recipients=["b@example.com"],
            subject="x\r\nBcc: victim@example.com",
            body="b",
            message_id="<m@x>",
            created_at=0,
        )


@pytest.mark.parametrize("sender", ["consentry@localhost", "Consentry <noreply@example.com>"])
def test_envelope_sender_accepts_an_address_with_or_without_a_name(sender: str) -> None:  # ISSUE-11 mail
    assert "@" in envelope_sender(sender)


@pytest.mark.parametrize("sender", ["", "consentry", "a@b.c\r\nBcc: x@y.z"])
def test_envelope_sender_refuses_non_addresses(sender: str) -> None:  # ISSUE-11 mail
    with pytest.raises(DomainError):
        envelope_sender(sender)


def test_errors_are_one_short_line() -> None:  # ISSUE-11 mail: last_error holds the first line, <= 500
    assert one_line("first\nsecond") == "first"
    long = one_line("x" * 2000)
    assert len(long) == 500 and long.endswith("…")
    refused = smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"5.1.1 no such user\nmore")})
    assert describe(refused) == "all recipients refused: a@example.com: 550 5.1.1 no such user"
    assert describe(smtplib.SMTPDataError(554, b"5.7.1 spam")) == "554 5.7.1 spam"


def test_which_errors_end_the_connection() -> None:  # ISSUE-11 mail: those release every claimed mail
    assert ends_connection(smtplib.SMTPServerDisconnected("gone"))
    assert ends_connection(smtplib.SMTPDataError(421, b"closing"))
    assert ends_connection(ConnectionResetError())
    assert not ends_connection(smtplib.SMTPDataError(554, b"spam"))
    assert not ends_connection(smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no")}))
    assert ends_connection(smtplib.SMTPRecipientsRefused({"a@example.com": (421, b"closing")}))
    assert not ends_connection(ValueError("bad header"))


def test_states_of_a_row() -> None:  # ISSUE-11 mail: pending, sent, failed (given up; never deleted)
    mail = enqueue(Session(), ["a@example.com"], "S", "b", reason="r")
    assert outbox.state_of(mail) == "pending"
    mail.next_attempt_at = outbox.NEVER
    assert outbox.state_of(mail) == "failed"
    assert outbox.describe(mail)["next_attempt_at"] is None
    mail.sent_at = 1
    assert outbox.state_of(mail) == "sent"
    assert "body" not in outbox.describe(mail)
