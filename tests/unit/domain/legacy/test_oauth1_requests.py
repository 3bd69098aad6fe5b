"""Request tokens' states, each change one conditional UPDATE (AUTH1-4, AUTH1-5, AUTH1-10)."""

from __future__ import annotations

from contextlib import closing

from consentry.domain.accounts.service import find_user
from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import oauth1_exchange
from consentry.domain.legacy import oauth1_requests as requests
from consentry.domain.tokens.store import Outcome
from consentry.storage.tables import LegacyRequest
from consentry.storage.token_store import BatchedTokenStore
from tests.support.loops import own_loop
from tests.support.oauth1 import consumer

CAL = "http://testserver.local/auth/calendar"


def _new(seed, device: bool = False):
    c = consumer(seed)
    env = Envelope(seed.settings.secret_key)
    with seed.db.unit_of_work() as s:
        new = requests.create(
            s,
            seed.hasher,
            env,
            client_pk=c.pk,
            scopes=(CAL,),
            callback="oob",
            display_name="",
            hd="",
            device=device,
        )
    return c, env, new


def test_stored_hashed_and_sealed(seed) -> None:  # AUTH1-4
    _, env, new = _new(seed)
    with seed.db.unit_of_work() as s:
        row = s.query(LegacyRequest).one()
        assert row.token_hash != new.token and new.token not in row.token_hash
        assert new.secret.encode() not in (row.secret_sealed or b"")
        assert row.expires_at == row.created_at + 3600
        found = requests.find(s, seed.hasher, env, new.token)
        assert found is not None and found.secret == new.secret and found.open


def test_approve_once_then_exchange_once(seed) -> None:  # AUTH1-5 AUTH1-6
    seed.user("u@example.org")
    _, env, new = _new(seed)
    with seed.db.unit_of_work() as s, closing(BatchedTokenStore(seed.db)) as store:
        uid = find_user(s, "u@example.org").id  # type: ignore[union-attr]
        p = requests.find(s, seed.hasher, env, new.token)
        assert p is not None and oauth1_exchange.refusal(p) == (
            "permission_unknown",
            "the user has not approved this request token yet",
        )
        verifier = requests.approve(s, seed.hasher, p, uid, (CAL,), "oob")
        assert verifier and requests.approve(s, seed.hasher, p, uid, (CAL,), "oob") is None  # decided already
        assert not requests.deny(s, p.key)
        p = requests.find(s, seed.hasher, env, new.token)
        assert p is not None and p.approved and requests.verifier_matches(seed.hasher, p, verifier.lower())
        assert oauth1_exchange.refusal(p) is None
        first = oauth1_exchange.exchange(s, seed.hasher, env, p, lifetime=3600)
        second = oauth1_exchange.exchange(s, seed.hasher, env, p, lifetime=3600)
        assert first is not None and first[0].secret and second is not None
        s.commit()  # the approval stands before the token store claims the request token
        # Used up by the store's commit, in one transaction with the token: once.
        assert own_loop(lambda: store.commit(first[1])) is Outcome.COMMITTED
        assert own_loop(lambda: store.commit(second[1])) is Outcome.LEGACY_USED
        p = requests.find(s, seed.hasher, env, new.token)
        assert p is not None and oauth1_exchange.refusal(p)[0] == "token_used"  # type: ignore[index]


def test_device_code_is_the_verifier(seed) -> None:  # AUTH1-10
    seed.user("u@example.org")
    _, env, new = _new(seed, device=True)
    assert new.user_code is not None
    with seed.db.unit_of_work() as s:
        uid = find_user(s, "u@example.org").id  # type: ignore[union-attr]
        p = requests.find_by_user_code(s, seed.hasher, env, new.user_code.lower().replace("-", " "))
        assert p is not None and p.device
        assert requests.approve(s, seed.hasher, p, uid, (CAL,), "number") == ""
        p = requests.find_key(s, env, p.key)
        assert p is not None and requests.verifier_matches(seed.hasher, p, new.user_code)
        assert not requests.verifier_matches(seed.hasher, p, "BBBB-BBBB")


def test_expired_cannot_be_approved(seed) -> None:  # AUTH1-4
    seed.user("u@example.org")
    _, env, new = _new(seed)
    with seed.db.unit_of_work() as s:
        s.query(LegacyRequest).update({"expires_at": LegacyRequest.created_at - 1})
    with seed.db.unit_of_work() as s:
        p = requests.find(s, seed.hasher, env, new.token)
        assert p is not None and p.expired and not p.open
        assert requests.approve(s, seed.hasher, p, 1, (CAL,), "oob") is None
        assert oauth1_exchange.refusal(p)[0] == "token_expired"  # type: ignore[index]
