"""The Security Event Token's claims and header (RFC 8417), checked with joserfc as a receiver would.

# DATA-4: apps are told of security events by signed SETs; the user is named as the RISC profile
(``events.*.subject``, ``iss-sub``), as Shared Signals 1.0 (``sub_id``) and as ``sub``.
"""

from __future__ import annotations

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey, KeySet, RSAKey

from consentry.domain.events.token import TYP, build_claims, sign
from consentry.domain.events.types import (
    RISC_NAMES,
    VERIFICATION,
    deletion_uri,
    risc_uri,
    short_name,
    supported,
)

ISSUER = "https://auth.example.com"
DISABLED = "https://schemas.openid.net/secevent/risc/event-type/account-disabled"


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(
        2048, parameters={"kid": "rs256-test", "alg": "RS256", "use": "sig"}, private=True
    )


def test_claims_name_the_issuer_audience_event_and_user() -> None:  # DATA-4
    claims = build_claims(
        issuer=ISSUER,
        jti="abc123",
        iat=1_700_000_000,
        audience=["client-1"],
        event_type=risc_uri("account-disabled"),
        sub="user-sub-1",
    )
    assert claims == {
        "iss": ISSUER,
        "aud": "client-1",
        "iat": 1_700_000_000,
        "jti": "abc123",
        "sub": "user-sub-1",
        "sub_id": {"format": "iss_sub", "iss": ISSUER, "sub": "user-sub-1"},
        "events": {DISABLED: {"subject": {"subject_type": "iss-sub", "iss": ISSUER, "sub": "user-sub-1"}}},
    }
    assert "exp" not in claims  # a statement, not a credential (RFC 8417 §4)


def test_several_clients_make_an_audience_list_and_payload_is_kept() -> None:  # DATA-4
    claims = build_claims(
        issuer=ISSUER,
        jti="j",
        iat=1,
        audience=["a", "b"],
        event_type=VERIFICATION,
        sub=None,
        payload={"state": "hello"},
    )
    assert claims["aud"] == ["a", "b"]
    assert claims["events"] == {VERIFICATION: {"state": "hello"}}
    assert "sub" not in claims and "sub_id" not in claims  # a verification names no user


def test_no_audience_is_refused() -> None:
    with pytest.raises(ValueError, match="audience"):
        build_claims(issuer=ISSUER, jti="j", iat=1, audience=[], event_type=VERIFICATION, sub=None)


def test_signed_set_has_the_secevent_typ_and_verifies_with_the_public_key(key: RSAKey) -> None:  # DATA-4
    claims = build_claims(
        issuer=ISSUER, jti="j1", iat=5, audience=["c"], event_type=risc_uri("tokens-revoked"), sub="s"
    )
    token = sign(claims, key)
    public = KeySet.import_key_set({"keys": [key.as_dict(private=False)]})
    decoded = jwt.decode(token, public, algorithms=["RS256"])
    assert decoded.header == {"alg": "RS256", "kid": "rs256-test", "typ": TYP}
    assert TYP == "secevent+jwt"
    assert dict(decoded.claims) == claims


def test_a_set_signed_by_another_key_does_not_verify(key: RSAKey) -> None:  # DATA-4
    other = RSAKey.generate_key(2048, parameters={"kid": "rs256-test"}, private=True)
    token = sign(
        build_claims(issuer=ISSUER, jti="j", iat=1, audience=["c"], event_type=VERIFICATION, sub=None), other
    )
    with pytest.raises(BadSignatureError):
        jwt.decode(token, KeySet.import_key_set({"keys": [key.as_dict(private=False)]}), algorithms=["RS256"])


def test_an_ec_key_signs_es256() -> None:
    ec = ECKey.generate_key("P-256", parameters={"kid": "es"}, private=True)
    token = sign(
        build_claims(issuer=ISSUER, jti="j", iat=1, audience=["c"], event_type=VERIFICATION, sub=None), ec
    )
    assert jwt.decode(token, ec, algorithms=["ES256"]).header["alg"] == "ES256"


def test_event_types_are_the_risc_uris_and_consentrys_deletion_request() -> None:  # DATA-2, DATA-4
    assert RISC_NAMES == (
        "tokens-revoked",
        "sessions-revoked",
        "account-disabled",
        "account-enabled",
        "account-purged",
    )
    assert risc_uri("account-purged") == "https://schemas.openid.net/secevent/risc/event-type/account-purged"
    assert deletion_uri(ISSUER + "/") == f"{ISSUER}/secevent/event-type/data-deletion-requested"
    assert supported(ISSUER)[-1] == deletion_uri(ISSUER) and VERIFICATION in supported(ISSUER)
    assert short_name(DISABLED) == "account-disabled"
