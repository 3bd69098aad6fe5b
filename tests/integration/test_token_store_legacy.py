"""The legacy protocols' part of the token-store contract, on both engines: a request token used up
once, a legacy token written with its extras, and each holder kept within its ten live tokens
(domain/legacy/tokens.py), also when two servers issue at once."""

from __future__ import annotations

import asyncio
import dataclasses
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from consentry.domain.clients.snapshot import ClientSnapshot
from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import authsub, tokens
from consentry.domain.legacy import oauth1_requests as requests
from consentry.domain.tokens.store import Changes, LegacyClaim, Lookup, Outcome
from consentry.storage.tables import (
    AuditEvent,
    Client,
    GadgetToken,
    LegacyCredential,
    LegacyRequest,
    Token,
    User,
)
from consentry.storage.tables.base import now
from consentry.storage.token_mints import mints_only
from consentry.storage.token_store import BatchedTokenStore
from tests.support.loops import own_loop
from tests.support.oauth1 import consumer
from tests.support.seed import Seeder
from tests.support.token_store import BOTH, commit, lookup, user_id

CAL = "http://testserver.local/auth/calendar"


def _mint(seed: Seeder, client_pk: int, uid: int, **extra: Any) -> tokens.Issued:
    args: dict[str, Any] = {"protocol": "clientlogin", "scopes": (CAL,), "lifetime": 3600, **extra}
    return tokens.mint(
        seed.hasher, Envelope(seed.settings.secret_key), client_pk=client_pk, user_id=uid, **args
    )


def _holder(seed: Seeder, email: str) -> tuple[int, int]:
    seed.user(email)
    return consumer(seed).pk, user_id(seed, email)


def _live(seed: Seeder, uid: int, source: str = "") -> list[str]:
    with seed.db.unit_of_work() as s:
        return list(
            s.scalars(
                select(Token.access_hash)
                .join(LegacyCredential, LegacyCredential.token_id == Token.id)
                .where(Token.user_id == uid, Token.revoked_at.is_(None), LegacyCredential.source == source)
            )
        )


def _request_token(seed: Seeder, client_pk: int, uid: int | None, *, expired: bool = False) -> str:
    """An OAuth 1.0a request token's stored key, approved by ``uid`` (None: not approved)."""
    env = Envelope(seed.settings.secret_key)
    with seed.db.unit_of_work() as s:
        new = requests.create(
            s,
            seed.hasher,
            env,
            client_pk=client_pk,
            scopes=(CAL,),
            callback="oob",
            display_name="",
            hd="",
            device=False,
        )
        pending = requests.find(s, seed.hasher, env, new.token)
        assert pending is not None
        if uid is not None:
            assert requests.approve(s, seed.hasher, pending, uid, (CAL,), "oob")
        if expired:
            s.execute(
                update(LegacyRequest).where(LegacyRequest.token_hash == pending.key).values(expires_at=now())
            )
        return pending.key


def test_a_legacy_token_is_written_with_its_extras_and_found_only_in_its_own_scheme(seed):
    # ISSUE-10 token store, AUTH0-4: the legacy token's row and its sealed secret are one commit;
    # the OAuth 2.0 endpoints' lookups never find it.
    client_pk, uid = _holder(seed, "lev@example.org")
    issued = _mint(seed, client_pk, uid, protocol="oauth1", with_secret=True, source="Sync", target="t")
    key = issued.stored.row["access_hash"]
    env = Envelope(seed.settings.secret_key)
    with closing(BatchedTokenStore(seed.db)) as store:
        assert commit(store, Changes(legacy_tokens=[issued.stored])) == [Outcome.COMMITTED]
        as_oauth2, as_legacy = lookup(store, Lookup(token_hash=key, token_kinds=BOTH), Lookup(legacy_key=key))
    assert as_oauth2.tokens == {} and as_oauth2.legacy is None
    assert tokens.lookup_key(seed.hasher, "oauth1", issued.token) == key
    assert tokens.live(as_legacy.legacy, env, "authsub") is None  # another protocol's scheme
    access = tokens.live(as_legacy.legacy, env, "oauth1")
    assert access is not None and access.user_id == uid and access.client_pk == client_pk
    assert (access.secret, access.source, access.target, access.scopes) == (
        issued.secret,
        "Sync",
        "t",
        (CAL,),
    )
    assert access.secure is False and access.certificate is None
    assert issued.secret is not None
    with seed.db.unit_of_work() as s:
        sealed = s.scalar(
            select(LegacyCredential.secret_sealed).where(LegacyCredential.token_id == access.token_id)
        )
        assert sealed is not None and issued.secret.encode() not in sealed
        s.execute(update(Token).where(Token.id == access.token_id).values(revoked_at=now()))
    with closing(BatchedTokenStore(seed.db)) as store:
        (revoked,) = lookup(store, Lookup(legacy_key=key))
    assert revoked.legacy is not None and tokens.live(revoked.legacy, env, "oauth1") is None


@pytest.mark.parametrize("together", [True, False], ids=["one-batch", "sequential"])
def test_one_request_token_exchanged_twice(seed, together):
    # ISSUE-10 token store, AUTH1-5: an approved request token is used once: one COMMITTED, the
    # other LEGACY_USED with nothing written.
    client_pk, uid = _holder(seed, "rex@example.org")
    key = _request_token(seed, client_pk, uid)
    a, b = (_mint(seed, client_pk, uid, protocol="oauth1", with_secret=True) for _ in range(2))
    claim = LegacyClaim(key, "oauth1", approved=True)
    first, second = (Changes(claim_legacy=claim, legacy_tokens=[i.stored]) for i in (a, b))
    with closing(BatchedTokenStore(seed.db)) as store:
        outcomes = (
            commit(store, first, second) if together else [*commit(store, first), *commit(store, second)]
        )
    assert sorted(o.value for o in outcomes) == ["committed", "legacy_used"]
    won = a if outcomes[0] is Outcome.COMMITTED else b
    assert _live(seed, uid) == [won.stored.row["access_hash"]]
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(LegacyRequest.used_at).where(LegacyRequest.token_hash == key)) is not None


@pytest.mark.parametrize("state", ["unapproved", "expired"])
def test_a_request_token_not_approved_or_expired_cannot_be_exchanged(seed, state):
    # ISSUE-10 token store, AUTH1-5: only an approved, unexpired request token becomes a token.
    client_pk, uid = _holder(seed, "una@example.org")
    key = _request_token(seed, client_pk, uid if state == "expired" else None, expired=state == "expired")
    issued = _mint(seed, client_pk, uid, protocol="oauth1", with_secret=True)
    changes = Changes(claim_legacy=LegacyClaim(key, "oauth1", approved=True), legacy_tokens=[issued.stored])
    with closing(BatchedTokenStore(seed.db)) as store:
        assert commit(store, changes) == [Outcome.LEGACY_USED]
    assert _live(seed, uid) == []
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(LegacyRequest.used_at).where(LegacyRequest.token_hash == key)) is None


def test_a_claim_names_its_protocol(seed):
    # ISSUE-10 token store: an OAuth 1.0a request token is not an AuthSub single-use token.
    client_pk, uid = _holder(seed, "pro@example.org")
    key = _request_token(seed, client_pk, uid)
    issued = _mint(seed, client_pk, uid, protocol="authsub")
    with closing(BatchedTokenStore(seed.db)) as store:
        changes = Changes(claim_legacy=LegacyClaim(key, "authsub"), legacy_tokens=[issued.stored])
        assert commit(store, changes) == [Outcome.LEGACY_USED]


def test_a_holder_keeps_its_ten_newest_even_within_one_batch(seed):
    # ISSUE-10 token store, AUTH1-12: twelve issued at once leave the ten newest live; another app
    # behind the same client (its own source) keeps its own.
    client_pk, uid = _holder(seed, "ten@example.org")
    other = _mint(seed, client_pk, uid, source="Other app")
    twelve = [_mint(seed, client_pk, uid, source="App") for _ in range(12)]
    with closing(BatchedTokenStore(seed.db)) as store:
        assert commit(store, Changes(legacy_tokens=[other.stored])) == [Outcome.COMMITTED]
        assert set(commit(store, *(Changes(legacy_tokens=[i.stored]) for i in twelve))) == {Outcome.COMMITTED}
    assert sorted(_live(seed, uid, "App")) == sorted(i.stored.row["access_hash"] for i in twelve[2:])
    assert _live(seed, uid, "Other app") == [other.stored.row["access_hash"]]


def test_two_servers_issuing_at_once_never_both_count_ten(seed):
    # ISSUE-10 token store, AUTH1-12: the holder is locked while its tokens are counted, so two
    # servers (each its own store, thread and event loop) issuing together leave exactly ten.
    client_pk, uid = _holder(seed, "two@example.org")

    def server(store: BatchedTokenStore, batch: list[tokens.Issued]) -> set[Outcome]:
        async def run() -> list[Outcome]:
            return list(
                await asyncio.gather(*(store.commit(Changes(legacy_tokens=[i.stored])) for i in batch))
            )

        return set(own_loop(run))

    with ExitStack() as stack:
        stores = [stack.enter_context(closing(BatchedTokenStore(seed.db))) for _ in range(2)]
        pool = stack.enter_context(ThreadPoolExecutor(2))
        for n in range(1, 5):
            batches = [[_mint(seed, client_pk, uid, source="App") for _ in range(4)] for _ in stores]
            running = [pool.submit(server, store, b) for store, b in zip(stores, batches, strict=True)]
            assert [r.result() for r in running] == [{Outcome.COMMITTED}] * 2
            assert len(_live(seed, uid, "App")) == min(10, 8 * n)


def test_a_widget_handle_is_written_with_its_token(seed):
    # ISSUE-10 token store: the widget proxy's handle and the token it holds are one commit.
    client_pk, uid = _holder(seed, "gad@example.org")
    issued = _mint(seed, client_pk, uid, protocol="gadget")
    row = {
        "handle_hash": "h" * 64,
        "user_id": uid,
        "client_pk": client_pk,
        "token_sealed": b"\x00sealed",
        "scope": CAL,
        "expires_at": issued.expires_at,
        "created_at": now(),
    }
    with closing(BatchedTokenStore(seed.db)) as store:
        assert commit(store, Changes(legacy_tokens=[issued.stored], gadget_tokens=[row])) == [
            Outcome.COMMITTED
        ]
    with seed.db.unit_of_work() as s:
        stored = s.scalar(select(GadgetToken).where(GadgetToken.handle_hash == "h" * 64))
        assert stored is not None and stored.token_sealed == b"\x00sealed" and stored.user_id == uid
    assert len(_live(seed, uid)) == 1


def test_a_lost_claim_or_a_stale_client_writes_no_legacy_row(seed):
    # ISSUE-10 token store: a refused commit leaves neither the token, its extras nor the handle.
    client_pk, uid = _holder(seed, "los@example.org")
    with closing(BatchedTokenStore(seed.db)) as store:
        with seed.db.unit_of_work() as s:
            client_id = s.get(Client, client_pk).client_id
        (found,) = lookup(store, Lookup(client_id=client_id))
        assert found.client is not None
        with seed.db.unit_of_work() as s:
            s.execute(update(Client).where(Client.id == client_pk).values(disabled=True))
        issued = _mint(seed, client_pk, uid, protocol="gadget")
        stale = Changes(client=found.client, legacy_tokens=[issued.stored])
        assert commit(store, stale) == [Outcome.CLIENT_CHANGED]
    assert _live(seed, uid) == []
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(Token.id).where(Token.access_hash == issued.stored.row["access_hash"])) is None


def test_legacy_rows_are_never_a_one_statement_mint():
    # ISSUE-10 token store: every field of Changes but the token rows keeps a batch on the careful
    # path; a field added later and forgotten by mints_only fails here.
    snap = ClientSnapshot(
        7, "c", "App", None, "service", "opaque", "RS256", False, False, 1, "P", "production"
    )
    truthy: dict[str, Any] = {"str": "x", "list": [object()]}
    for f in dataclasses.fields(Changes):
        if f.name in ("client", "tokens"):
            continue
        kind = "list" if "list" in str(f.type) else "str"
        assert not mints_only([Changes(client=snap, **{f.name: truthy[kind]})]), f.name


def test_a_holder_deleted_since_the_decision_fails_only_its_own_request(seed):
    # ISSUE-10 token store: ClientLogin and the widget claim nothing that deleting the user would
    # take with it; the store refuses that request (HOLDER_GONE) and its batch-mates stand.
    client_pk, gone = _holder(seed, "gone@example.org")
    seed.user("stays@example.org")
    stays = user_id(seed, "stays@example.org")
    doomed, kept = _mint(seed, client_pk, gone), _mint(seed, client_pk, stays)
    with seed.db.unit_of_work() as s:
        s.execute(delete(User).where(User.id == gone))
    with closing(BatchedTokenStore(seed.db)) as store:
        outcomes = commit(store, Changes(legacy_tokens=[doomed.stored]), Changes(legacy_tokens=[kept.stored]))
    assert outcomes == [Outcome.HOLDER_GONE, Outcome.COMMITTED]
    assert _live(seed, stays) == [kept.stored.row["access_hash"]]
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(Token.id).where(Token.access_hash == doomed.stored.row["access_hash"])) is None


@pytest.mark.parametrize("together", [True, False], ids=["one-batch", "sequential"])
def test_one_legacy_token_revoked_twice_ends_it_alone(seed, together):
    # ISSUE-10 token store, AUTH3-3: AuthSub's RevokeToken revokes once (one COMMITTED, the other
    # ALREADY_REVOKED), audited once; a sibling of the same family (the same app password) lives on.
    client_pk, uid = _holder(seed, "rvk@example.org")
    doomed, sibling = (_mint(seed, client_pk, uid, protocol="authsub") for _ in range(2))
    sibling.stored.row["family"] = doomed.stored.row["family"]
    env = Envelope(seed.settings.secret_key)
    with closing(BatchedTokenStore(seed.db)) as store:
        assert commit(store, Changes(legacy_tokens=[doomed.stored, sibling.stored])) == [Outcome.COMMITTED]
        (found,) = lookup(store, Lookup(legacy_key=doomed.stored.row["access_hash"]))
        access = tokens.live(found.legacy, env, "authsub")
        assert access is not None
        first, second = tokens.revocation(access), tokens.revocation(access)
        outcomes = (
            commit(store, first, second) if together else [*commit(store, first), *commit(store, second)]
        )
    assert sorted(o.value for o in outcomes) == ["already_revoked", "committed"]
    assert _live(seed, uid) == [sibling.stored.row["access_hash"]]
    with seed.db.unit_of_work() as s:
        events = s.scalars(select(AuditEvent.data).where(AuditEvent.tag == "token:revoke")).all()
    # the same shape as OAuth 2.0's revocation (test_token_lifecycle), without a family: only this
    # token ended
    assert events == [
        {"token": access.token_id, "protocol": "authsub", "kind": "access_token", "channel": "protocol"}
    ]


def test_a_single_use_token_is_used_up_once(seed):
    # ISSUE-10 token store, AUTH3-2: AuthSub's single-use token used at TokenInfo, RevokeToken or a
    # data API: COMMITTED for one use, LEGACY_USED for every other; an expired one for none.
    client_pk, uid = _holder(seed, "one@example.org")
    with seed.db.unit_of_work() as s:
        live, expired = (
            authsub.create_single_use(
                s,
                seed.hasher,
                client_pk=client_pk,
                user_id=uid,
                scopes=(CAL,),
                next_url="https://app.example/next",
                secure=False,
                upgradable=True,
                hd="",
                source="",
            )
            for _ in range(2)
        )
    keys = [authsub.single_use_key(seed.hasher, t) for t in (live, expired)]
    with seed.db.unit_of_work() as s:
        s.execute(update(LegacyRequest).where(LegacyRequest.token_hash == keys[1]).values(expires_at=now()))
    with closing(BatchedTokenStore(seed.db)) as store:
        assert commit(store, authsub.use_up(keys[0]), authsub.use_up(keys[0])) == [
            Outcome.COMMITTED,
            Outcome.LEGACY_USED,
        ]
        assert commit(store, authsub.use_up(keys[1])) == [Outcome.LEGACY_USED]
