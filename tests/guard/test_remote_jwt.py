"""RemoteVerifier on RFC 9068 JWT access tokens: local checks against the issuer's JWKS."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from consentry.guard import Caller, InvalidToken, VerifierUnavailable
from tests.guard import EC_1, ISSUER, READ, RSA_1, RSA_2, FakeIssuer, b64

pytestmark = pytest.mark.anyio


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


async def refused(issuer: FakeIssuer, token: str, **kw: object) -> str:
    with pytest.raises(InvalidToken) as err:
        await issuer.verifier(**kw).verify(token)
    return err.value.description


async def test_valid_jwt_gives_the_caller(issuer: FakeIssuer) -> None:  # AUTH0-4
    caller = await issuer.verifier().verify(issuer.sign())
    assert caller == Caller(
        subject="user-123",
        client_id="app.apps.consentry",
        scopes=frozenset({"openid", READ}),
        expires_at=int(issuer.clock()) + 3600,
        token_kind="jwt",
        claims={},
    )
    assert caller.claims["jti"] == "j1" and caller.has(READ) and not caller.has(READ + "x")
    # JWTs never cost an introspection call.
    assert issuer.count("/introspect") == 0


async def test_es256_is_accepted(issuer: FakeIssuer) -> None:
    caller = await issuer.verifier().verify(issuer.sign(key=EC_1))
    assert caller.token_kind == "jwt" and caller.subject == "user-123"


async def test_expired_and_not_yet_valid_tokens_are_refused(issuer: FakeIssuer) -> None:
    now = int(issuer.clock())
    assert "expired" in await refused(issuer, issuer.sign(issuer.claims(exp=now - 31)))
    assert "not valid yet" in await refused(issuer, issuer.sign(issuer.claims(nbf=now + 120)))
    assert "future" in await refused(issuer, issuer.sign(issuer.claims(iat=now + 120)))
    # Within the 30 s leeway both ways: accepted.
    await issuer.verifier().verify(issuer.sign(issuer.claims(exp=now - 10, nbf=now + 10)))


async def test_expiry_follows_the_clock(issuer: FakeIssuer) -> None:
    verifier = issuer.verifier()
    token = issuer.sign(issuer.claims(exp=int(issuer.clock()) + 60))
    await verifier.verify(token)
    issuer.clock.advance(91)
    with pytest.raises(InvalidToken, match="expired"):
        await verifier.verify(token)


async def test_wrong_issuer_is_refused(issuer: FakeIssuer) -> None:
    assert "another issuer" in await refused(issuer, issuer.sign(issuer.claims(iss="https://evil.test")))
    assert "another issuer" in await refused(issuer, issuer.sign(issuer.claims(iss=None)))


@pytest.mark.parametrize("typ", ["JWT", "jwt", None, "id_token+jwt"])
async def test_only_access_token_typ_is_accepted(issuer: FakeIssuer, typ: str | None) -> None:
    # An ID token signed by the same keys must not open the API (RFC 9068 §4).
    assert "typ" in await refused(issuer, issuer.sign(header={"typ": typ}))


async def test_application_at_jwt_typ_is_accepted(issuer: FakeIssuer) -> None:
    await issuer.verifier().verify(issuer.sign(header={"typ": "application/at+jwt"}))


async def test_alg_none_is_refused(issuer: FakeIssuer) -> None:
    token = f"{b64({'alg': 'none', 'typ': 'at+jwt', 'kid': 'rsa-1'})}.{b64(issuer.claims())}."
    assert "algorithm" in await refused(issuer, token)
    assert issuer.count("/introspect") == 0  # still treated as a JWT, never sent elsewhere


async def test_hs256_signed_with_the_public_key_is_refused(issuer: FakeIssuer) -> None:
    # The classic confusion attack: HMAC keyed with the RSA public key the issuer publishes.
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'at+jwt', 'kid': 'rsa-1'})}.{b64(issuer.claims())}"
    mac = hmac.new(RSA_1.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64(mac)}"
    assert "algorithm" in await refused(issuer, token)


async def test_rs256_header_with_an_ec_kid_is_refused(issuer: FakeIssuer) -> None:
    token = issuer.sign()
    _header, rest = token.split(".", 1)
    swapped = b64({"alg": "RS256", "typ": "at+jwt", "kid": "ec-1"}) + "." + rest
    assert "signature" in await refused(issuer, swapped)


async def test_tampered_payload_is_refused(issuer: FakeIssuer) -> None:
    header, _payload, sig = issuer.sign().split(".")
    forged = f"{header}.{b64(issuer.claims(scope='admin'))}.{sig}"
    assert "signature" in await refused(issuer, forged)


@pytest.mark.parametrize("claim", ["client_id", "scope", "sub", "exp"])
async def test_required_claims(issuer: FakeIssuer, claim: str) -> None:
    assert await refused(issuer, issuer.sign(issuer.claims(**{claim: None})))


async def test_audience_is_checked_when_configured(issuer: FakeIssuer) -> None:
    token = issuer.sign(issuer.claims(aud=[ISSUER, "https://api.example.org"]))
    await issuer.verifier(audience="https://api.example.org").verify(token)
    assert "aud" in await refused(issuer, issuer.sign(), audience="https://api.example.org")


async def test_unknown_kid_triggers_one_refetch_that_finds_the_rotated_key(issuer: FakeIssuer) -> None:
    verifier = issuer.verifier()
    await verifier.verify(issuer.sign())
    assert issuer.count("/jwks") == 1
    issuer.published = [RSA_2, RSA_1]  # the issuer rotates
    caller = await verifier.verify(issuer.sign(key=RSA_2))
    assert caller.subject == "user-123"
    assert issuer.count("/jwks") == 2
    # Known kids never refetch.
    await verifier.verify(issuer.sign(key=RSA_2))
    await verifier.verify(issuer.sign(key=RSA_1))
    assert issuer.count("/jwks") == 2
    assert issuer.count("/.well-known/oauth-authorization-server") == 1


async def test_refetch_for_unknown_kids_is_rate_limited(issuer: FakeIssuer) -> None:
    verifier = issuer.verifier()
    await verifier.verify(issuer.sign())
    for i in range(20):
        bogus = issuer.sign(header={"kid": f"made-up-{i}"})
        with pytest.raises(InvalidToken, match="key the issuer does not publish"):
            await verifier.verify(bogus)
    # The first fetch, plus one refetch for the whole 10 s window.
    assert issuer.count("/jwks") == 2
    issuer.clock.advance(11)
    with pytest.raises(InvalidToken):
        await verifier.verify(issuer.sign(header={"kid": "made-up-again"}))
    assert issuer.count("/jwks") == 3


async def test_rotated_key_within_the_rate_limit_window_is_found_after_it(issuer: FakeIssuer) -> None:
    verifier = issuer.verifier()
    await verifier.verify(issuer.sign())
    with pytest.raises(InvalidToken):
        await verifier.verify(issuer.sign(header={"kid": "made-up"}))  # uses the refetch
    issuer.published = [RSA_2]
    with pytest.raises(InvalidToken):
        await verifier.verify(issuer.sign(key=RSA_2))  # window still closed
    issuer.clock.advance(11)
    assert (await verifier.verify(issuer.sign(key=RSA_2))).subject == "user-123"


async def test_jwks_expires_after_its_ttl(issuer: FakeIssuer) -> None:
    verifier = issuer.verifier(jwks_ttl=60)
    await verifier.verify(issuer.sign())
    issuer.clock.advance(30)
    await verifier.verify(issuer.sign())
    assert issuer.count("/jwks") == 1
    issuer.published = [RSA_2]  # RSA_1 withdrawn, e.g. after a compromise
    issuer.clock.advance(31)
    with pytest.raises(InvalidToken):
        await verifier.verify(issuer.sign(issuer.claims(exp=int(issuer.clock()) + 600)))
    assert issuer.count("/jwks") == 2


async def test_stale_keys_are_used_while_the_issuer_is_down(issuer: FakeIssuer) -> None:
    verifier = issuer.verifier(jwks_ttl=60)
    await verifier.verify(issuer.sign())
    issuer.down = True
    issuer.clock.advance(61)
    caller = await verifier.verify(issuer.sign(issuer.claims(exp=int(issuer.clock()) + 600)))
    assert caller.subject == "user-123"
    # But an unknown kid cannot be checked: unavailable, not invalid.
    issuer.clock.advance(11)
    with pytest.raises(VerifierUnavailable):
        await verifier.verify(issuer.sign(key=RSA_2))


async def test_issuer_down_is_unavailable_not_invalid(issuer: FakeIssuer) -> None:
    issuer.down = True
    with pytest.raises(VerifierUnavailable, match="cannot reach the issuer"):
        await issuer.verifier().verify(issuer.sign())


async def test_metadata_naming_another_issuer_is_refused(issuer: FakeIssuer) -> None:
    issuer.metadata_issuer = "https://elsewhere.test"
    with pytest.raises(VerifierUnavailable, match="different issuer"):
        await issuer.verifier().verify(issuer.sign())


async def test_malformed_jwt_segments(issuer: FakeIssuer) -> None:
    assert "well-formed" in await refused(issuer, "bm90LWpzb24.e30.c2ln")
    assert "well-formed" in await refused(issuer, f"{b64([1, 2])}.e30.c2ln")


async def test_crit_header_is_refused(issuer: FakeIssuer) -> None:
    header = {"alg": "RS256", "typ": "at+jwt", "kid": "rsa-1", "crit": ["exp"], "exp": 1}
    assert "critical" in await refused(issuer, f"{b64(header)}.{b64(issuer.claims())}.c2ln")
