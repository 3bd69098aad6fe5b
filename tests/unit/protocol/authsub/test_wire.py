"""AuthSubRequest's parameters, the redirect to ``next`` and the plain-text bodies (AUTH3-1..3)."""

from __future__ import annotations

import pytest

from consentry.protocol.authsub import wire


def test_the_session_token_body_is_the_documented_one() -> None:
    # AUTH3-2: "Token=<session>\nExpiration=20061004T123456Z", nothing more
    assert wire.expiration(1159965296) == "20061004T123456Z"
    assert wire.session_body("DQAA7DCTN", 1159965296) == "Token=DQAA7DCTN\nExpiration=20061004T123456Z"


def test_the_token_info_body() -> None:
    # AUTH3-3
    body = wire.info_body("calgulp.example.com", ["https://i/auth/calendar", "https://i/auth/mail"], True)
    assert (
        body == "Target=calgulp.example.com\nScope=https://i/auth/calendar https://i/auth/mail\nSecure=true"
    )
    assert wire.info_body("h", [], False).endswith("\nSecure=false")


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("https://app.example/showcalendar.html", "https://app.example/showcalendar.html?token=T"),
        ("https://app.example/cb?a=1&b=x%20y", "https://app.example/cb?a=1&b=x%20y&token=T"),
        (
            "https://app.example/cb?auth_sub_scopes=http%3A%2F%2Fx#frag",
            "https://app.example/cb?auth_sub_scopes=http%3A%2F%2Fx&token=T#frag",
        ),
        ("https://app.example/cb?token=planted&a=1", "https://app.example/cb?a=1&token=T"),
    ],
)
def test_the_token_is_added_to_next_keeping_its_own_query(next_url: str, expected: str) -> None:
    # AUTH3-1: next's own parameters stay exactly as they were; a planted token is dropped
    assert wire.with_token(next_url, "T") == expected


def test_request_parameters_as_gdata_sent_them() -> None:
    # AUTH3-1
    p = wire.parse_request(
        {
            "next": "http://calgulp.example.com:8080/cb?x=1",
            "scope": "http://www.google.com/calendar/feeds/",
            "secure": "0",
            "session": "1",
            "hd": "default",
        }
    )
    assert (p.secure, p.session, p.hd) == (False, True, "default")
    assert p.next_host == "calgulp.example.com:8080" and p.next_hostname == "calgulp.example.com"
    assert p.next_origin == "http://calgulp.example.com:8080"
    assert wire.parse_request({"next": p.next, "scope": p.scope}).session is False  # absent is 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"scope": "x"}, "next"),
        ({"next": "/relative", "scope": "x"}, "full http"),
        ({"next": "javascript:alert(1)", "scope": "x"}, "full http"),
        ({"next": "ftp://h/x", "scope": "x"}, "full http"),
        ({"next": "https://user:pw@h/x", "scope": "x"}, "user name"),
        ({"next": "https://h/x y", "scope": "x"}, "not valid"),
        ({"next": "https://h:99999/", "scope": "x"}, "full http"),
        ({"next": "https://h/", "scope": ""}, "scope"),
        ({"next": "https://h/", "scope": "x", "secure": "2"}, "secure must be 0 or 1"),
        ({"next": "https://h/", "scope": "x", "session": "yes"}, "session must be 0 or 1"),
        ({"next": "https://h/" + "a" * 2100, "scope": "x"}, "not valid"),
    ],
)
def test_unusable_requests_say_why(params: dict[str, str], message: str) -> None:
    with pytest.raises(wire.RequestError, match=message):
        wire.parse_request(params)
