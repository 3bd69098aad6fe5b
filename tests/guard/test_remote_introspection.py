"""RemoteVerifier on opaque tokens: RFC 7662 introspection, its credentials and its cache."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from consentry.guard import InvalidToken, RemoteVerifier, VerifierUnavailable
from tests.guard import ISSUER, READ, RS_ID, FakeIssuer

pytestmark = pytest.mark.anyio
TOKEN = "cs1.opaque-token-value_0123456789"


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


async def test_active_token_gives_the_caller(issuer: FakeIssuer) -> None:  # AUTH0-4
    issuer.opaque(TOKEN)
    caller = await issuer.verifier().verify(TOKEN)
    assert (caller.subject, caller.client_id, caller.scopes, caller.token_kind) == (
        "user-123",
        "app.apps.consentry",
        frozenset({READ}),
        "opaque",
    )
    assert caller.expires_at == int(issuer.clock()) + 3600 and caller.claims["active"] is True
    sent = next(r for r in issuer.requests if r.url.path == "/introspect")
    # client_secret_basic, with RFC 6749 §2.3.1 form-encoding of the secret's '/', '+' and '='.
    assert sent.headers["authorization"] == issuer.expected_basic()
    assert b"token_type_hint=access_token" in sent.content


async def test_client_credentials_token_keeps_sub_equal_to_client_id(issuer: FakeIssuer) -> None:
    issuer.opaque(TOKEN, sub="svc.apps.consentry", client_id="svc.apps.consentry")
    caller = await issuer.verifier().verify(TOKEN)
    assert caller.subject == caller.client_id == "svc.apps.consentry"


async def test_inactive_and_unknown_tokens_are_refused(issuer: FakeIssuer) -> None:
    issuer.opaque(TOKEN, active=False)
    with pytest.raises(InvalidToken, match="not active"):
        await issuer.verifier().verify(TOKEN)
    with pytest.raises(InvalidToken, match="not active"):
        await issuer.verifier().verify("cs1.never-issued")


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ({"token_type": "refresh_token"}, "not an access token"),
        ({"exp": 1000}, "expired"),
        ({"iss": "https://evil.test"}, "another issuer"),
        ({"client_id": None}, "which client"),
        ({"active": "true"}, "not active"),  # only the JSON literal true counts
    ],
)
async def test_suspicious_introspection_answers_are_refused(
    issuer: FakeIssuer, response: dict[str, object], message: str
) -> None:
    issuer.opaque(TOKEN, **response)
    with pytest.raises(InvalidToken, match=message):
        await issuer.verifier().verify(TOKEN)


async def test_audience_is_checked_when_the_issuer_states_one(issuer: FakeIssuer) -> None:
    issuer.opaque(TOKEN, aud=["https://other.example.org"])
    with pytest.raises(InvalidToken, match="aud"):
        await issuer.verifier(audience="https://api.example.org").verify(TOKEN)


async def test_without_credentials_opaque_tokens_are_refused_clearly(issuer: FakeIssuer) -> None:
    issuer.opaque(TOKEN)
    verifier = RemoteVerifier(ISSUER, http=issuer.http(), clock=issuer.clock)
    with pytest.raises(InvalidToken, match="no client credentials"):
        await verifier.verify(TOKEN)
    assert issuer.requests == []


async def test_rejected_credentials_are_unavailable_not_invalid(issuer: FakeIssuer) -> None:
    issuer.opaque(TOKEN)
    with pytest.raises(VerifierUnavailable, match="introspection credentials"):
        await issuer.verifier(client_secret="wrong").verify(TOKEN)


@pytest.mark.parametrize("status", [500, 502])
async def test_issuer_errors_are_unavailable(issuer: FakeIssuer, status: int) -> None:
    issuer.opaque(TOKEN)
    issuer.introspect_status = status
    with pytest.raises(VerifierUnavailable, match=str(status)):
        await issuer.verifier().verify(TOKEN)


async def test_issuer_down_is_unavailable(issuer: FakeIssuer) -> None:
    issuer.opaque(TOKEN)
    verifier = issuer.verifier()
    await verifier.verify(TOKEN)  # metadata now cached
    issuer.down = True
    with pytest.raises(VerifierUnavailable, match="cannot reach"):
        await verifier.verify(TOKEN)


async def test_timeouts_are_unavailable() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    verifier = RemoteVerifier(
        ISSUER, client_id="a", client_secret="b", http=httpx.AsyncClient(transport=httpx.MockTransport(hang))
    )
    with pytest.raises(VerifierUnavailable, match="ReadTimeout"):
        await verifier.verify(TOKEN)


async def test_no_cache_by_default(issuer: FakeIssuer) -> None:
    issuer.opaque(TOKEN)
    verifier = issuer.verifier()
    await verifier.verify(TOKEN)
    issuer.opaque(TOKEN, active=False)  # revoked at the issuer
    with pytest.raises(InvalidToken):
        await verifier.verify(TOKEN)
    assert issuer.count("/introspect") == 2


async def test_positive_cache_is_keyed_by_hash_and_expires(issuer: FakeIssuer) -> None:
    issuer.opaque(TOKEN)
    verifier = issuer.verifier(introspection_cache_seconds=60)
    first = await verifier.verify(TOKEN)
    issuer.clock.advance(59)
    assert await verifier.verify(TOKEN) is first
    assert issuer.count("/introspect") == 1
    keys = verifier._cache.keys()
    assert keys == [hashlib.sha256(TOKEN.encode()).hexdigest()]
    assert all(TOKEN not in k and "opaque-token-value" not in k for k in keys)
    issuer.clock.advance(2)
    await verifier.verify(TOKEN)
    assert issuer.count("/introspect") == 2


async def test_cache_never_outlives_the_token(issuer: FakeIssuer) -> None:
    issuer.opaque(TOKEN, exp=int(issuer.clock()) + 5)
    verifier = issuer.verifier(introspection_cache_seconds=300)
    await verifier.verify(TOKEN)
    issuer.clock.advance(6)
    issuer.opaque(TOKEN, active=False)
    with pytest.raises(InvalidToken):
        await verifier.verify(TOKEN)
    assert issuer.count("/introspect") == 2


async def test_negative_answers_are_not_cached(issuer: FakeIssuer) -> None:
    verifier = issuer.verifier(introspection_cache_seconds=300)
    with pytest.raises(InvalidToken):
        await verifier.verify(TOKEN)
    issuer.opaque(TOKEN)  # e.g. the issuer's database replica caught up
    assert (await verifier.verify(TOKEN)).client_id == "app.apps.consentry"
    assert verifier._cache.keys() == [hashlib.sha256(TOKEN.encode()).hexdigest()]


async def test_close_leaves_an_injected_client_open(issuer: FakeIssuer) -> None:
    http = issuer.http()
    async with RemoteVerifier(ISSUER, client_id=RS_ID, http=http):
        pass
    assert not http.is_closed
    own = RemoteVerifier(ISSUER)
    await own.aclose()
    assert own._http.is_closed
