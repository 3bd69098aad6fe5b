"""The request-token parameters, the callback, and the Problem Reporting bodies (no database)."""

from __future__ import annotations

import pytest

from consentry.protocol.oauth1 import wire
from consentry.protocol.oauth1.problems import Problem
from consentry.protocol.oauth1.signed import check_timestamp, parse, require
from tests.support.oauth1 import gdata_header

URL = "https://issuer.example/accounts/OAuthGetRequestToken"


def _req(query: str = "", body: str = "", **oauth: str):
    params = {
        "oauth_consumer_key": "anonymous",
        "oauth_nonce": "n1",
        "oauth_timestamp": "1700000000",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_signature": "sig",
        **oauth,
    }
    return parse("POST" if body else "GET", URL + ("?" + query if query else ""), gdata_header(params), body)


def test_callback_keeps_its_own_query() -> None:  # AUTH1-7
    pairs = [("oauth_token", "t1"), ("oauth_verifier", "V1")]
    assert wire.callback_with("https://app.example/cb?state=a%20b&x=", pairs) == (
        "https://app.example/cb?state=a%20b&x=&oauth_token=t1&oauth_verifier=V1"
    )
    assert (
        wire.callback_with("https://app.example/cb", pairs)
        == "https://app.example/cb?oauth_token=t1&oauth_verifier=V1"
    )
    assert (
        wire.callback_with("https://app.example/cb?", pairs)
        == "https://app.example/cb?oauth_token=t1&oauth_verifier=V1"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "ftp://x.example/",
        "https://user@evil.example/",
        "https://a.example/#f",
        "/relative",
        "https://",
    ],
)
def test_callback_must_be_http_url_or_oob(bad: str) -> None:  # AUTH1-3
    with pytest.raises(Problem) as refused:
        wire.valid_callback(bad)
    assert refused.value.problem == "parameter_rejected" and refused.value.rejected == ("oauth_callback",)


def test_token_request_reads_query_and_body() -> None:  # AUTH1-3
    got = wire.token_request(_req("scope=a%20b&hd=Example.COM", oauth_callback="oob"))
    assert got == wire.TokenRequest("a b", "oob", "", "example.com", False)
    form = wire.token_request(_req(body="scope=x&xoauth_displayname=My+App"))
    assert form.display_name == "My App" and form.callback == ""
    with pytest.raises(Problem) as missing:
        wire.token_request(_req())
    assert missing.value.problem == "parameter_absent" and missing.value.absent == ("scope",)


def test_device_mode_takes_no_callback() -> None:  # AUTH1-10
    assert wire.token_request(_req("scope=x&xoauth_device=1")).device
    with pytest.raises(Problem):
        wire.token_request(_req("scope=x&xoauth_device=1", oauth_callback="https://app.example/cb"))


def test_problem_bodies() -> None:  # AUTH1-2
    p = Problem("parameter_rejected", "unknown scope: x y", rejected=("scope",))
    assert p.status == 400
    assert (
        p.body()
        == "oauth_problem=parameter_rejected&oauth_parameters_rejected=scope&oauth_problem_advice=unknown%20scope%3A%20x%20y"
    )
    signed = Problem("signature_invalid", "no")
    assert signed.status == 401
    assert ("WWW-Authenticate", 'OAuth realm="https://issuer.example"') in signed.headers(
        "https://issuer.example"
    )
    assert "WWW-Authenticate" not in dict(p.headers("https://issuer.example"))


def test_required_parameters_and_timestamp() -> None:  # AUTH1-2
    req = parse(
        "GET", URL, gdata_header({"oauth_consumer_key": "anonymous", "oauth_signature_method": "HMAC-SHA1"})
    )
    with pytest.raises(Problem) as absent:
        require(req)
    assert absent.value.problem == "parameter_absent"
    assert absent.value.absent == ("oauth_signature", "oauth_timestamp", "oauth_nonce")
    with pytest.raises(Problem) as version:
        require(_req(oauth_version="2.0"))
    assert version.value.problem == "version_rejected"
    check_timestamp(_req(), 1700000000 + 300)
    with pytest.raises(Problem) as old:
        check_timestamp(_req(), 1700000000 + 301)
    assert old.value.problem == "timestamp_refused"
    assert ("oauth_acceptable_timestamps", "1700000001-1700000601") in old.value.pairs()
