"""A protocol answer's headers (web/answer_headers.py, ISSUE-10: CPU per answer): assembled once per
distinct list, and never one answer's values on another."""

from __future__ import annotations

from consentry.web import answer_headers
from consentry.web.answer_headers import AnswerHeaders
from consentry.web.security import security_headers

SECURITY = security_headers(True)
AUTHLIB = [("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("Pragma", "no-cache")]


def test_authlibs_pairs_become_lowercased_bytes_without_the_framing_and_with_the_security_headers():
    tail = AnswerHeaders(SECURITY).tail(AUTHLIB)
    assert tail == [(b"cache-control", b"no-store"), (b"pragma", b"no-cache"), *SECURITY]


def test_no_store_is_added_unless_the_answer_sets_its_own_caching():  # RFC 6749 5.1
    headers = AnswerHeaders(SECURITY)
    assert headers.tail([])[:2] == [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
    jwks = headers.tail([(b"cache-control", b"public, max-age=3600")])
    assert jwks == [(b"cache-control", b"public, max-age=3600"), (b"pragma", b"no-cache"), *SECURITY]


def test_the_same_list_is_assembled_once_and_each_value_keeps_its_own():
    headers = AnswerHeaders(SECURITY)
    first = headers.tail(AUTHLIB)
    assert headers.tail(list(AUTHLIB)) is first  # a new list with the same pairs: the kept one
    soon = headers.tail([("Retry-After", "5")])
    later = headers.tail([("Retry-After", "7")])
    assert (b"retry-after", b"5") in soon and (b"retry-after", b"7") in later
    assert (b"retry-after", b"5") not in later


def test_once_the_table_is_full_answers_are_still_right(monkeypatch):
    monkeypatch.setattr(answer_headers, "KEPT", 2)
    headers = AnswerHeaders(SECURITY)
    tails = [headers.tail([("Retry-After", str(n))]) for n in range(5)]
    assert [t[0] for t in tails] == [(b"retry-after", str(n).encode()) for n in range(5)]
    assert headers.tail([("Retry-After", "4")]) is not tails[4]  # not kept: assembled again
