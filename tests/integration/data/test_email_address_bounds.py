"""POST /data/v1/mail/messages/send with huge addresses (ISSUE-9.5), without timing anything.

The old check was a backtracking regex: one 20 KB address cost over a second of CPU and 100 KB
about a minute. The shared check refuses anything over 254 characters before scanning it.
"""

from __future__ import annotations

import pytest

from consentry.domain.accounts import emails
from tests.integration.data.conftest import FRIEND

SEND = "/data/v1/mail/messages/send"


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Lengths of every address part the check scanned character by character."""
    seen: list[int] = []
    real = emails._plain

    def counted(part: str) -> bool:
        seen.append(len(part))
        return real(part)

    monkeypatch.setattr(emails, "_plain", counted)
    return seen


@pytest.mark.parametrize(
    "address",
    [
        "a@" + "." * 20_000 + "@",  # 2 s of backtracking for the old regex
        "a" * 1_000_000 + "@b.c",  # the old regex accepted (and the message stored) a 1 MB recipient
    ],
)
def test_huge_recipient_is_refused_before_any_scan(api_for, scans, address: str) -> None:  # ISSUE-9.5
    api = api_for("mail.send")
    r = api("POST", SEND, json={"to": [FRIEND, address], "subject": "s", "body": "b"})
    assert r.status_code == 400, r.text[:200]
    body = r.json()
    assert body["error"] == "invalid_request"
    assert body["error_description"] == (
        f"not a valid recipient list: {address[:64]}… ({len(address)} characters)"
    )
    assert len(r.content) < 1000  # the address is not echoed back whole
    assert scans == [len("eli"), len("example.com")]  # only the friend's address was scanned


def test_ordinary_recipients_still_work(api_for, scans) -> None:  # ISSUE-9.5: no regression
    api = api_for("mail.send")
    r = api("POST", SEND, json={"to": [f" {FRIEND.upper()} "], "subject": "s", "body": "b"})
    assert r.status_code == 201, r.text
    assert scans == [3, 11]
