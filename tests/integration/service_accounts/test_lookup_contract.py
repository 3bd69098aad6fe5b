"""The token store's JWT bearer reads (``Lookup.service_email`` / ``subject_email`` /
``assertion_key``) against BatchedTokenStore, on both engines (AUTH2-5, DESIGN "One token path").

What the grant needs is read before Authlib runs, in the batch every request shares: the service
account as the request's client snapshot, its keys, the subject, the delegation of the subject's
organization to that service account, and whether the assertion's jti was used.
"""

from __future__ import annotations

from contextlib import closing

from consentry.domain.secrets import Hasher
from consentry.domain.tokens.store import AssertionClaim, Changes, Outcome
from consentry.protocol.oauth2.grants.jwt_bearer import lookup, replay_key
from consentry.storage.tables.base import now
from consentry.storage.token_store import BatchedTokenStore
from tests.integration.service_accounts.support import accounts, delegate, service_account
from tests.support.databases import SECRET
from tests.support.token_store import commit
from tests.support.token_store import lookup as read

hasher = Hasher(SECRET)
AUD = "http://testserver.local/token"


def test_an_assertion_reads_its_service_account_keys_subject_and_delegation(seed) -> None:  # AUTH2-5
    seed.user("alice@acme.example", org="acme.example")
    seed.user("bob@other.example", org="other.example")
    sa = service_account(seed)
    other = service_account(seed)
    with accounts(seed) as service:
        second = service.add_key(sa.client_id).key.kid
        service.set_key_disabled(sa.client_id, second, True)
    delegate(seed, "acme.example", sa.client_id, "mail.readonly", "openid")
    delegate(seed, "other.example", other.client_id, "files")
    with closing(BatchedTokenStore(seed.db)) as store:
        alice, bob, own, nobody, stranger = read(
            store,
            lookup(sa.assertion(AUD, sub="Alice@acme.example"), hasher),
            lookup(sa.assertion(AUD, sub="bob@other.example"), hasher),  # delegated to `other` only
            lookup(other.assertion(AUD), hasher),
            lookup(sa.assertion(AUD, sub="nobody@acme.example"), hasher),
            lookup(sa.assertion(AUD, iss="stranger@x.iam.testserver.local"), hasher),
        )
    assert alice.client is not None and alice.client.client_id == sa.client_id
    assert alice.client.client_type == "service" and alice.client.app.declared  # the full snapshot
    assert {(k.kid, k.disabled) for k in alice.service_keys} == {(sa.kid, False), (second, True)}
    assert alice.service_keys[0].public_jwk["kty"] == "RSA" and "d" not in alice.service_keys[0].public_jwk
    assert alice.subject is not None and alice.subject.email == "alice@acme.example"
    assert alice.subject.hosted_domain == "acme.example"
    assert alice.delegated == frozenset({"mail.readonly", "openid"})
    assert bob.subject is not None and bob.delegated is None
    assert own.client is not None and own.client.client_id == other.client_id
    assert own.subject is None and own.delegated is None and len(own.service_keys) == 1
    assert nobody.subject is None and nobody.delegated is None
    assert stranger.client is None and stranger.service_keys == ()


def test_a_used_jti_is_seen_until_it_expires(seed) -> None:  # AUTH2-5
    sa = service_account(seed)
    with closing(BatchedTokenStore(seed.db)) as store:
        fresh = lookup(sa.assertion(AUD, jti="j-1"), hasher)
        assert fresh.assertion_key == replay_key(hasher, sa.email, "j-1")
        assert read(store, fresh)[0].assertion_used is False
        key = fresh.assertion_key
        assert key is not None
        assert commit(store, Changes(claim_assertion=AssertionClaim(key, now() + 300))) == [Outcome.COMMITTED]
        assert read(store, fresh)[0].assertion_used is True
        # An expired record no longer counts (the assertion it guarded is refused as expired anyway).
        gone = lookup(sa.assertion(AUD, jti="j-2"), hasher)
        assert gone.assertion_key is not None
        assert commit(store, Changes(claim_assertion=AssertionClaim(gone.assertion_key, now() - 1))) == [
            Outcome.COMMITTED
        ]
        assert read(store, gone)[0].assertion_used is False
    # Without a jti there is nothing to claim: the lifetime bounds the assertion (google-auth).
    assert lookup(sa.assertion(AUD, jti=None), hasher).assertion_key is None


def test_what_is_not_an_assertion_reads_nothing(seed) -> None:  # AUTH2-5
    for junk in (None, "", "a.b", "x.!!!.y", "a." + "e30" + ".b"):
        want = lookup(junk, hasher)
        assert (want.service_email, want.subject_email, want.assertion_key, want.client_id) == (None,) * 4
