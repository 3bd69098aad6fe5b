"""PLATFORM_RULES §4 vectors 1, 2, 3, 5, 7 and 8 through our base string and signature check.

Each request is built as its client sent it (gdata's header, RFC 5849's examples), parsed by
``protocol.oauth1.signed.parse`` and judged by ``check_signature``: the verifier accepts the
published signature and refuses it once one byte of the request changes.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from authlib.oauth1.rfc5849.signature import construct_base_string

from consentry.domain.legacy.consumers import valid_certificate
from consentry.protocol.oauth1.problems import Problem
from consentry.protocol.oauth1.signed import base_string, check_signature, parse
from tests.support.oauth1 import gdata_header, public_key

REQUEST_TOKEN = "https://www.google.com/accounts/OAuthGetRequestToken"
PLAYGROUND = "http://googlecodesamples.com/oauth_playground/index.php"
VECTOR_1_BASE = (
    "GET&https%3A%2F%2Fwww.google.com%2Faccounts%2FOAuthGetRequestToken&oauth_callback%3Dhttp%253A%252F%252F"
    "googlecodesamples.com%252Foauth_playground%252Findex.php%26oauth_consumer_key%3Danonymous%26oauth_nonce"
    "%3Dc0155b3f28697c029e7a62efff44bd46%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1246491360"
    "%26oauth_version%3D1.0%26scope%3Dhttp%253A%252F%252Fwww.blogger.com%252Ffeeds%252F"
)
VECTOR_3_SIGNATURE = (
    "bfMantdttKaTrwoxU87JiXmMeXhAiXPiq79a5XmLlOYwwlX06Pu7CafMp7hW1fPeZtL"
    "4o9Sz3NvPI8GECCaZk7n5vi1EJ5/wfIQbddrC8j45joBG6gFSf4tRJct82dSyn6bd71"
    "knwPZH1sKK46Y0ePJvEIDI3JDd7pRZuMM2sN8="
)


def _gdata(signature: str, method: str = "HMAC-SHA1", **over: str) -> dict[str, str]:
    params = {
        "oauth_consumer_key": "anonymous",
        "oauth_version": "1.0",
        "oauth_nonce": "c0155b3f28697c029e7a62efff44bd46",
        "oauth_timestamp": "1246491360",
        "oauth_signature_method": method,
        "oauth_signature": signature,
        "oauth_callback": PLAYGROUND,
    }
    return {**params, **over}


def _vector1(signature: str = "5a2GPdtAY3LWYv8IdiT3wp1Coeg=", method: str = "HMAC-SHA1", **over: str):
    uri = REQUEST_TOKEN + "?scope=http%3A%2F%2Fwww.blogger.com%2Ffeeds%2F"
    return parse("GET", uri, gdata_header(_gdata(signature, method, **over)))


def test_vector_1_gdata_hmac_anonymous() -> None:  # AUTH1-2 (PLATFORM_RULES §4 vector 1)
    req = _vector1()
    assert base_string(req) == VECTOR_1_BASE
    check_signature(req, consumer_secret="anonymous", public_key=None)
    with pytest.raises(Problem) as bad:
        check_signature(_vector1(), consumer_secret="not-anonymous", public_key=None)
    assert bad.value.problem == "signature_invalid" and bad.value.status == 401
    with pytest.raises(Problem):
        check_signature(
            _vector1(oauth_nonce="c0155b3f28697c029e7a62efff44bd47"),
            consumer_secret="anonymous",
            public_key=None,
        )


def test_vector_2_three_scopes() -> None:  # AUTH1-2 AUTH1-3 (vector 2)
    scope = "https://www.google.com/analytics/feeds/ http://www.google.com/base/feeds/ http://www.google.com/calendar/feeds/"
    header = gdata_header(
        _gdata(
            "kFAgTTFDIWz4/xAabIlrcZZMTq8=",
            oauth_nonce="33209c4d7a09be4eb1d6ff18e00f8548",
            oauth_timestamp="1246491797",
        )
    )
    # Published for a GET: the method is part of the string, so a POST with it is refused.
    req = parse("GET", REQUEST_TOKEN + "?scope=" + quote(scope, safe="~"), header)
    check_signature(req, consumer_secret="anonymous", public_key=None)
    # The same with the scope encoded as a form would (spaces as '+'): decoded alike, still valid.
    req_plus = parse("GET", REQUEST_TOKEN + "?scope=" + quote(scope, safe="~").replace("%20", "+"), header)
    check_signature(req_plus, consumer_secret="anonymous", public_key=None)
    with pytest.raises(Problem):
        check_signature(
            parse("POST", REQUEST_TOKEN + "?scope=" + quote(scope), header),
            consumer_secret="anonymous",
            public_key=None,
        )


def test_vector_3_gdata_rsa_sha1() -> None:  # AUTH1-2 AUTH1-13 (vector 3)
    pem = valid_certificate(public_key())  # what an operator registers: the key's public half
    req = _vector1(VECTOR_3_SIGNATURE, "RSA-SHA1")
    assert base_string(req) == VECTOR_1_BASE.replace("HMAC-SHA1", "RSA-SHA1")
    check_signature(req, consumer_secret="ignored", public_key=pem)
    with pytest.raises(Problem) as bad:
        check_signature(
            _vector1(VECTOR_3_SIGNATURE, "RSA-SHA1", oauth_timestamp="1246491361"),
            consumer_secret="",
            public_key=pem,
        )
    assert bad.value.problem == "signature_invalid"
    # Unregistered apps have no certificate: RSA-SHA1 is refused outright.
    with pytest.raises(Problem) as no_key:
        check_signature(
            _vector1(VECTOR_3_SIGNATURE, "RSA-SHA1"), consumer_secret="anonymous", public_key=None
        )
    assert no_key.value.problem == "signature_method_rejected" and no_key.value.status == 400


RFC_HOST = "https://photos.example.net"


def test_vector_5_rfc5849_initiate_and_token() -> None:  # AUTH1-2 (vector 5)
    initiate = parse(
        "POST",
        RFC_HOST + "/initiate",
        'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_signature_method="HMAC-SHA1", '
        'oauth_timestamp="137131200", oauth_nonce="wIjqoS", oauth_callback="http%3A%2F%2Fprinter.example.com%2Fready", '
        'oauth_signature="74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D"',
    )
    check_signature(initiate, consumer_secret="kd94hf93k423kf44", public_key=None)
    token = parse(
        "POST",
        RFC_HOST + "/token",
        'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="hh5s93j4hdidpola", '
        'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="walatlh", '
        'oauth_verifier="hfdp7dh39dks9884", oauth_signature="gKgrFCywp7rO0OXSjdot%2FIHF7IU%3D"',
    )
    check_signature(
        token, consumer_secret="kd94hf93k423kf44", public_key=None, token_secret="hdhd0244k9j7ao03"
    )
    with pytest.raises(Problem):
        check_signature(token, consumer_secret="kd94hf93k423kf44", public_key=None, token_secret="wrong")


def test_vector_5_rfc5849_resource(monkeypatch: pytest.MonkeyPatch) -> None:  # AUTH1-2 (vector 5)
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the RFC's example is plain http
    resource = parse(
        "GET",
        "http://photos.example.net/photos?file=vacation.jpg&size=original",
        'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", '
        'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", oauth_nonce="chapoH", '
        'oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"',
    )
    check_signature(
        resource, consumer_secret="kd94hf93k423kf44", public_key=None, token_secret="pfkkdhi9sl3r4s00"
    )


def test_vector_7_oauth_core_appendix_a5(monkeypatch: pytest.MonkeyPatch) -> None:  # AUTH1-2 (vector 7)
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    # OAuth Core 1.0 sends the parameters in the query here: the query carries every oauth_ value.
    query = (
        "file=vacation.jpg&size=original&oauth_consumer_key=dpf43f3p2l4k3l03&oauth_token=nnch734d00sl2jdk"
        "&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1191242096&oauth_nonce=kllo9940pd9333jh"
        "&oauth_version=1.0&oauth_signature=tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D"
    )
    req = parse("GET", "http://photos.example.net/photos?" + query, None)
    assert base_string(req) == (
        "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03"
        "%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096"
        "%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
    )
    check_signature(req, consumer_secret="kd94hf93k423kf44", public_key=None, token_secret="pfkkdhi9sl3r4s00")


GDATA_QUIRK_BASE = (
    "GET&http%3A%2F%2Fwww.google.com%2Fcalendar%2Ffeeds%2Fdefault%2Fallcalendars%2Ffull&oauth_callback%3Dhttp%253A"
    "%252F%252Fgooglecodesamples.com%252Foauth_playground%252Findex.php%26oauth_consumer_key%3Dexample.com%26oauth"
    "_nonce%3D4572616e48616d6d65724c61686176%26oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D137131200%26"
    "oauth_token%3D1%25252Fab3cd9j4ks73hf7g%26oauth_version%3D1.0%26orderby%3Dstarttime"
)


def test_vector_8_gdata_token_encoded_twice(monkeypatch: pytest.MonkeyPatch) -> None:  # AUTH1-2 (vector 8)
    """gdata's token ``1%2Fab3cd9j4ks73hf7g`` is a value holding ``%``: its header sends it encoded
    once more, and the base string encodes it again. Our base string reproduces gdata's byte for
    byte; Authlib's ``construct_base_string`` decodes oauth_ values a second time and does not."""
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    header = gdata_header(
        {
            "oauth_consumer_key": "example.com",
            "oauth_version": "1.0",
            "oauth_nonce": "4572616e48616d6d65724c61686176",
            "oauth_timestamp": "137131200",
            "oauth_signature_method": "RSA-SHA1",
            "oauth_signature": "unused",
            "oauth_callback": PLAYGROUND,
            "oauth_token": "1%2Fab3cd9j4ks73hf7g",
        }
    )
    req = parse(
        "GET", "http://www.google.com/calendar/feeds/default/allcalendars/full?orderby=starttime", header
    )
    assert req.token == "1%2Fab3cd9j4ks73hf7g"
    assert base_string(req) == GDATA_QUIRK_BASE
    assert construct_base_string(req.method, req.uri, req.params) != GDATA_QUIRK_BASE


def test_plaintext_and_unknown_methods_refused() -> None:  # AUTH1-2
    for method in ("PLAINTEXT", "HMAC-SHA256"):
        with pytest.raises(Problem) as refused:
            check_signature(_vector1("anonymous&", method), consumer_secret="anonymous", public_key=None)
        assert refused.value.problem == "signature_method_rejected"


def test_oauth_parameters_in_two_places_refused() -> None:  # AUTH1-2
    with pytest.raises(Problem) as both:
        parse("GET", REQUEST_TOKEN + "?oauth_nonce=1", gdata_header(_gdata("x")))
    assert both.value.problem == "parameter_rejected" and both.value.status == 400
    with pytest.raises(Problem) as malformed:
        parse("GET", REQUEST_TOKEN, "OAuth garbage")
    assert malformed.value.problem == "parameter_rejected"
