"""The AuthSub Authorization header in every form old clients sent (AUTH3-7)."""

from __future__ import annotations

import pytest

from consentry.protocol.authsub import header

DATA = "GET http://example.com/foo?a=1 1134567890 p234908"


@pytest.mark.parametrize(
    "value",
    [
        'AuthSub token="CKF50YzIH"',  # the documentation, Zend, gdata-java
        "AuthSub token=CKF50YzIH",  # gdata-python v1 and v2
        'authsub   token = "CKF50YzIH" ',  # scheme names are case-insensitive
    ],
)
def test_plain_tokens_with_and_without_quotes(value: str) -> None:
    # AUTH3-7
    creds = header.from_header(value)
    assert creds == header.Credentials("CKF50YzIH")
    assert not creds.signed


@pytest.mark.parametrize(
    "value",
    [
        f'AuthSub token="t1" sigalg="rsa-sha1" data="{DATA}" sig="c2ln"',  # Net::Google::AuthSub
        f'AuthSub token=t1 sigalg="rsa-sha1" data="{DATA}" sig="c2ln"',  # gdata-python v2
        f'AuthSub token="t1" data="{DATA}" sig="c2ln" sigalg="rsa-sha1"',  # gdata-python v1, Zend
        f'AuthSub sig="c2ln", data="{DATA}", sigalg="RSA-SHA1", token="t1"',  # commas, any order
    ],
)
def test_secure_parameters_in_any_order(value: str) -> None:
    # AUTH3-5, AUTH3-7: Java puts sigalg last, gdata v2 right after the token
    creds = header.from_header(value)
    assert creds == header.Credentials("t1", "rsa-sha1", DATA, "c2ln")
    assert creds.signed


def test_quoted_values_may_escape_quotes() -> None:
    assert header.parse_params(r'token="a\"b"') == {"token": 'a"b'}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Bearer abc", "AuthSub token="),
        ("AuthSub", "no token"),
        ('AuthSub token=""', "no token"),
        ('AuthSub token="a" token="b"', "twice"),
        ('AuthSub token="a" sig="x"', "together"),
        ('AuthSub token="a" data="GET x 1 n" sig="x"', "together"),
        ('AuthSub token="unterminated', "could not read"),
        ('AuthSub "token"', "could not read"),
        ("AuthSub token=" + "x" * 9000, "too long"),
    ],
)
def test_unreadable_headers_say_what_to_send(value: str, message: str) -> None:
    with pytest.raises(header.HeaderError, match=message):
        header.from_header(value)


def test_the_documented_header_round_trips() -> None:
    value = header.header("t1", sigalg="rsa-sha1", data=DATA, sig="c2ln")
    assert value == f'AuthSub token="t1" sigalg="rsa-sha1" data="{DATA}" sig="c2ln"'
    assert header.from_header(value) == header.Credentials("t1", "rsa-sha1", DATA, "c2ln")
