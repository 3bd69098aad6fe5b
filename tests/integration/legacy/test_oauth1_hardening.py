"""OAuth 1.0a hardening found by review (AUTH1-2, AUTH1-10, AUTH1-12, AUTH1-14), on both engines."""

from __future__ import annotations

from contextlib import closing

from sqlalchemy import select, update

from consentry.domain.keys.envelope import Envelope
from consentry.domain.legacy import oauth1_exchange, oauth1_requests, tokens
from consentry.domain.tokens.store import Outcome
from consentry.storage.tables import LegacyRequest, Token, User
from consentry.storage.token_store import BatchedTokenStore
from tests.conftest import ISSUER
from tests.support.accounts import sign_in
from tests.support.loops import own_loop
from tests.support.oauth1 import consumer, form_body, request_token, signer

URL = f"{ISSUER}/accounts/OAuthGetRequestToken"
CAL_FEED = f"{ISSUER}/feeds/calendar/"
DEVICE = "/accounts/OAuthDevice"


def test_anonymous_cannot_ask_to_sign_users_in(client) -> None:
    # AUTH1-14: an ID token for "anonymous" would be every unregistered app's at once
    refused = request_token(client, ISSUER, "anonymous", "anonymous", f"openid email {CAL_FEED}")
    assert refused.status_code == 400
    body = form_body(refused)
    assert body["oauth_problem"] == "parameter_rejected" and body["oauth_parameters_rejected"] == "scope"
    assert "registered consumer" in body["oauth_problem_advice"]


def test_each_protocol_parameter_once(seed, client) -> None:
    # AUTH1-2 (RFC 5849 3.1): a parameter twice, in the header and the query, is refused
    c = consumer(seed)
    uri, headers, _ = signer(c.key, c.secret, callback="oob").sign(
        URL + "?scope=" + CAL_FEED, http_method="POST"
    )
    twice = client.post(uri + "&oauth_nonce=another", headers=headers)
    assert twice.status_code in (400, 401)
    assert form_body(twice)["oauth_problem"] in ("parameter_rejected", "signature_invalid")


def test_a_control_character_in_the_callback_is_an_oauth_problem(seed, client) -> None:
    # AUTH1-3: bad input answers in the protocol's own format
    c = consumer(seed)
    bad = request_token(client, ISSUER, c.key, c.secret, CAL_FEED, callback="https://app.example.org/cb\x01")
    assert bad.status_code == 400 and form_body(bad)["oauth_parameters_rejected"] == "oauth_callback"


def test_device_codes_are_looked_up_only_for_a_signed_in_user_and_not_endlessly(
    seed, browser, settings
) -> None:
    # AUTH1-10 (RFC 8628 5.1): no telling whether a code is live, and no guessing at speed
    seed.user("ada@example.org")
    anonymous = browser.get(ISSUER + DEVICE + "?user_code=WXYZWXYZ")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/signin?")
    assert sign_in(browser, "ada@example.org").status_code == 303
    answers = [
        browser.get(ISSUER + DEVICE + "?user_code=WXYZWXYZ").status_code
        for _ in range(settings.device_address_limit + 1)
    ]
    assert set(answers[:-1]) == {400} and answers[-1] == 429


def test_a_registered_consumer_cannot_dodge_the_ten_token_limit_with_names(seed, client) -> None:
    # AUTH1-12: one consumer is one app, whatever xoauth_displayname it sends
    seed.user("ada@example.org")
    c = consumer(seed)
    with seed.db.unit_of_work() as s, closing(BatchedTokenStore(seed.db)) as store:
        uid = s.scalar(select(User.id).where(User.email == "ada@example.org"))
        env = Envelope(seed.settings.secret_key)
        for i in range(12):
            new = oauth1_requests.create(
                s,
                seed.hasher,
                env,
                client_pk=c.pk,
                scopes=(f"{ISSUER}/auth/calendar",),
                callback="oob",
                display_name=f"Name {i}",
                hd="",
                device=False,
            )
            pending = oauth1_requests.find(s, seed.hasher, env, new.token)
            assert pending is not None
            s.execute(
                update(LegacyRequest)
                .where(LegacyRequest.token_hash == pending.key)
                .values(user_id=uid, approved_at=1)
            )
            pending = oauth1_requests.find(s, seed.hasher, env, new.token)
            assert pending is not None
            decided = oauth1_exchange.exchange(s, seed.hasher, env, pending, lifetime=3600)
            assert decided is not None
            s.commit()  # the approval stands before the store claims the request token
            assert own_loop(lambda: store.commit(decided[1])) is Outcome.COMMITTED
        live = s.scalars(select(Token.id).where(Token.revoked_at.is_(None), Token.client_pk == c.pk)).all()
    assert len(live) == tokens.MAX_OUTSTANDING
