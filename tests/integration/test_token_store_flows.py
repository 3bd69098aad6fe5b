"""A paused authorization request ends in the transaction that writes its code, on both engines.

The authorization endpoint used to delete the paused request (``interactions``) in a commit of its
own before writing the code: a code that was then refused (the app changed meanwhile) left nothing
to resume. Now the deletion is a claim of the code's changes (``Changes.claim_flow``): decided with
the batch's other claims, so one request is answered with one code even when its decision is sent
twice at once, and written only with that code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from consentry.domain.accounts import service
from consentry.domain.secrets import new_family, new_secret
from consentry.domain.tokens.store import Changes, Found, Lookup, Outcome, RefreshClaim
from consentry.storage.repositories import token_batches
from consentry.storage.repositories.token_batches import Done
from consentry.storage.tables import AuthorizationCode, Client, Interaction
from consentry.storage.tables.base import now
from consentry.storage.token_store import BatchedTokenStore
from tests.support.browserless import Browser, pkce_pair
from tests.support.flows import PASSWORD, auth_params
from tests.support.seed import SeededClient, Seeder
from tests.support.token_store import code_row, commit, hasher, insert_token, lookup, token_row, user_id


def paused(seed: Seeder, uid: int) -> str:
    """A paused request's ``interactions`` row; its id hash."""
    key = hasher.hash(new_secret(24))
    with seed.db.unit_of_work() as s:
        s.add(
            Interaction(
                id_hash=key,
                params={"pairs": [["client_id", "web"]], "passed": []},
                session_hash=hasher.hash("browser"),
                user_id=uid,
                expires_at=now() + 600,
            )
        )
    return key


def still_paused(seed: Seeder, key: str) -> bool:
    with seed.db.unit_of_work() as s:
        return s.get(Interaction, key) is not None


def code_written(seed: Seeder, code: str) -> bool:
    with seed.db.unit_of_work() as s:
        return s.get(AuthorizationCode, hasher.hash(code)) is not None


def ready(seed: Seeder, store: BatchedTokenStore, email: str) -> tuple[SeededClient, int, str, Found]:
    """An app, a user with a paused request (its id hash), and the app as a request's lookup found it."""
    web = seed.client("web")
    seed.user(email)
    uid = user_id(seed, email)
    (found,) = lookup(store, Lookup(client_id=web.client_id))
    return web, uid, paused(seed, uid), found


def test_the_code_and_the_end_of_its_paused_request_are_one_commit(seed):
    # ISSUE-10: writes are collected and committed once: the code and the paused request's removal.
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, key, found = ready(seed, store, "lea@example.org")
        other = paused(seed, uid)
        code, row = code_row(web, uid, new_family())
        batches = store.writer.batches
        changes = Changes(client=found.client, codes=[row], claim_flow=key)
        assert commit(store, changes) == [Outcome.COMMITTED]
        assert store.writer.batches - batches == 1
        assert not still_paused(seed, key)
        assert still_paused(seed, other)  # only the request this code ends
        assert code_written(seed, code)


def test_a_code_that_is_not_written_leaves_its_paused_request(seed):
    # ISSUE-10: a commit refused on a stale client (disabled since the decision) writes nothing of
    # its own, the removal included: the user can resume the request once the app is back.
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, key, found = ready(seed, store, "max@example.org")
        with seed.db.unit_of_work() as s:
            s.execute(update(Client).where(Client.id == web.pk).values(disabled=True))
        code, row = code_row(web, uid, new_family())
        changes = Changes(client=found.client, codes=[row], claim_flow=key)
        assert commit(store, changes) == [Outcome.CLIENT_CHANGED]
        assert still_paused(seed, key)
        assert not code_written(seed, code)


def test_ending_a_paused_request_is_a_claim():
    # ISSUE-10: a batch carrying one is never the one-statement mint-only path.
    assert Changes(claim_flow="k").claims() and Changes(claim_flow="k").besides_tokens()
    assert not Changes().besides_tokens()


def codes_ending(
    store: BatchedTokenStore, web: SeededClient, uid: int, found: Found, *flows: str
) -> tuple[list[Outcome], list[str]]:
    """One code for each paused request (by id hash), all committed in one batch: the outcomes
    and the codes."""
    made = [code_row(web, uid, new_family()) for _ in flows]
    changes = [Changes(client=found.client, codes=[row], claim_flow=f) for (_c, row), f in zip(made, flows)]
    return commit(store, *changes), [code for code, _row in made]


def test_one_paused_request_ended_twice_in_one_batch_gets_one_code(seed):
    # ISSUE-10: the same decision sent twice at once: both codes reach one batch; the first ends the
    # request and its code is written, the second is refused (FLOW_ENDED) and writes nothing.
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, key, found = ready(seed, store, "ida@example.org")
        outcomes, (first, second) = codes_ending(store, web, uid, found, key, key)
        assert outcomes == [Outcome.COMMITTED, Outcome.FLOW_ENDED]
        assert not still_paused(seed, key)
        assert code_written(seed, first) and not code_written(seed, second)


def test_a_paused_request_ended_before_refuses_a_later_code(seed):
    # ISSUE-10: in sequence: the request was ended (answered, or swept when it expired); a code
    # committed for it afterwards is refused and not written, and its batch mates are not.
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, key, found = ready(seed, store, "uma@example.org")
        assert codes_ending(store, web, uid, found, key)[0] == [Outcome.COMMITTED]
        other = paused(seed, uid)
        outcomes, (late, mate) = codes_ending(store, web, uid, found, key, other)
        assert outcomes == [Outcome.FLOW_ENDED, Outcome.COMMITTED]
        assert not code_written(seed, late) and code_written(seed, mate)
        assert not still_paused(seed, other)


def test_signing_in_resumes_the_request_to_a_code_and_ends_it(seed: Seeder, browser: Browser) -> None:
    # ISSUE-10: the endpoint path: a user who already consented signs in on a new browser; the paused
    # request resumes straight to the app with a code, and nothing of it is left behind.
    c = seed.client("web")
    seed.user("noa@example.org")
    _verifier, challenge = pkce_pair()
    params = auth_params(c, challenge, "openid email")
    assert "code" in browser.login_and_consent(params, "noa@example.org", PASSWORD)
    browser.http.cookies.clear()  # a new browser: signed out, consent still on record
    page = browser.authorize(params)
    assert page.status_code == 200 and 'action="/signin"' in page.text
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 1
    back = browser.sign_in(page, "noa@example.org", PASSWORD)
    assert back.status_code in (302, 303) and back.headers["location"].startswith(c.redirect_uris[0])
    assert "code=" in back.headers["location"]
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 0


def refuse_next_code(app: Any, monkeypatch: Any) -> list[Changes]:
    """From now on, the next commit that carries a code is refused as if the app had just changed
    (CLIENT_CHANGED); the list receives what it carried."""
    store = app.state.runtime.token_store
    real = store.commit
    refused: list[Changes] = []

    async def refuse_once(changes: Changes) -> Outcome:
        if changes.codes and not refused:
            refused.append(changes)
            return Outcome.CLIENT_CHANGED
        return await real(changes)

    monkeypatch.setattr(store, "commit", refuse_once)
    return refused


def interactions(seed: Seeder) -> int:
    with seed.db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(Interaction)) or 0)


def test_a_code_refused_at_its_commit_leaves_the_request_to_resume(
    app: Any, seed: Seeder, browser: Browser, monkeypatch: Any
) -> None:
    # ISSUE-10: the endpoint path: the code's commit is refused (the app changed that instant); the
    # page says to try again, and trying again works because the paused request is still there.
    c = seed.client("web")
    seed.user("ora@example.org")
    _verifier, challenge = pkce_pair()
    params = auth_params(c, challenge, "openid email")
    assert "code" in browser.login_and_consent(params, "ora@example.org", PASSWORD)
    browser.http.cookies.clear()
    page = browser.authorize(params)
    refuse_next_code(app, monkeypatch)
    failed = browser.sign_in(page, "ora@example.org", PASSWORD)
    assert failed.status_code == 503 and "Try again" in failed.text
    assert "/authorize/continue" in str(failed.request.url)
    assert interactions(seed) == 1
    again = browser.get(str(failed.request.url))
    assert again.status_code in (302, 303) and "code=" in again.headers["location"]
    assert interactions(seed) == 0


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_batch_and_a_user_deletion_never_wait_on_each_other_in_a_circle(seed, monkeypatch):
    # ISSUE-10: a batch claims a user's refresh token (rotation) and a paused request (a code), while
    # the user is deleted. The deletion removes tokens, codes, then paused requests, then the user; the
    # batch claims in that order too, so one waits for the other and both finish. (With the paused
    # request claimed first, PostgreSQL found a deadlock and failed one of them.)
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, key, found = ready(seed, store, "dee@example.org")
        _access, _refresh, live = token_row(web.pk, uid, new_family())
        token_id = insert_token(seed, live)
        deleting: list[threading.Thread] = []
        failed: list[BaseException] = []

        def delete_user() -> None:
            try:
                with seed.db.unit_of_work() as s:
                    service.delete_user(s, "dee@example.org")
            except BaseException as e:
                failed.append(e)

        def then_delete(real: Callable[..., Any]) -> Callable[..., Done[set[Any]]]:
            def claim(*args: Any) -> Done[set[Any]]:
                won: set[Any] = real(*args).result()
                if not deleting:  # after the batch's first claim, the deletion goes as far as it can
                    deleting.append(threading.Thread(target=delete_user))
                    deleting[0].start()
                    deleting[0].join(1.5)  # it waits for a row the batch holds
                return Done(won)

            return claim

        monkeypatch.setattr(token_batches, "claim_refresh", then_delete(token_batches.claim_refresh))
        monkeypatch.setattr(token_batches, "claim_flows", then_delete(token_batches.claim_flows))
        _code, code = code_row(web, uid, new_family())
        _access2, _refresh2, rotated = token_row(web.pk, uid, live["family"])
        outcomes = commit(
            store,
            Changes(client=found.client, codes=[code], claim_flow=key),
            Changes(
                client=found.client, tokens=[rotated], claim_refresh=RefreshClaim(token_id, live["family"])
            ),
        )
        deleting[0].join(10)
        assert outcomes == [Outcome.COMMITTED, Outcome.COMMITTED] and not failed, failed
        assert not still_paused(seed, key) and not code_written(seed, _code)  # the deletion took them


def _consent_page(seed: Seeder, browser: Browser, email: str) -> tuple[SeededClient, Any]:
    """An app asking a signed-in user for consent: the consent page, not yet answered."""
    c = seed.client("web")
    seed.user(email)
    _verifier, challenge = pkce_pair()
    page = browser.authorize(auth_params(c, challenge, "openid email"))
    page = browser.sign_in(page, email, PASSWORD)
    assert page.status_code == 200 and "/authorize/consent" in page.text
    return c, page


def test_a_consent_whose_code_is_refused_can_be_sent_again(
    app: Any, seed: Seeder, browser: Browser, monkeypatch: Any
) -> None:
    # ISSUE-10: the consent page's Allow: the decision is recorded, the code's commit is refused (the
    # app changed that instant); the paused request is still there, so sending the form again works.
    c, page = _consent_page(seed, browser, "ivy@example.org")
    refused = refuse_next_code(app, monkeypatch)
    failed = browser.consent(page, ["openid", "email"])
    assert failed.status_code == 503 and "Try again" in failed.text
    assert refused and refused[0].claim_flow is not None
    assert interactions(seed) == 1
    again = browser.consent(page, ["openid", "email"])
    assert again.status_code in (302, 303), again.text[:600]
    assert again.headers["location"].startswith(c.redirect_uris[0]) and "code=" in again.headers["location"]
    assert interactions(seed) == 0


def test_one_consent_sent_twice_gets_one_code(seed: Seeder, browser: Browser) -> None:
    # ISSUE-10: the same Allow sent again after it was answered: the request is over ("expired"),
    # and no second code is written for it.
    _c, page = _consent_page(seed, browser, "eli@example.org")
    first = browser.consent(page, ["openid", "email"])
    assert first.status_code in (302, 303) and "code=" in first.headers["location"]
    second = browser.consent(page, ["openid", "email"])
    assert second.status_code == 400 and "This sign-in request expired" in second.text
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(AuthorizationCode)) == 1


def test_a_consent_whose_request_another_answer_ended_gets_no_code(
    app: Any, seed: Seeder, browser: Browser, monkeypatch: Any
) -> None:
    # ISSUE-10: two answers to one request reach the commit together (the same form sent twice, or
    # Allow and Cancel): the other one ended the request just before this code's commit, so the
    # claim is lost (FLOW_ENDED): the page says the request is over and no code is written.
    store = app.state.runtime.token_store
    real = store.commit

    async def ended_meanwhile(changes: Changes) -> Outcome:
        if changes.claim_flow is not None:
            with seed.db.unit_of_work() as s:
                s.execute(delete(Interaction).where(Interaction.id_hash == changes.claim_flow))
        return await real(changes)

    _c, page = _consent_page(seed, browser, "kai@example.org")
    monkeypatch.setattr(store, "commit", ended_meanwhile)
    late = browser.consent(page, ["openid", "email"])
    assert late.status_code == 400 and "This sign-in request expired" in late.text
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(AuthorizationCode)) == 0


def test_a_cancel_ends_the_request_at_once(seed: Seeder, browser: Browser) -> None:
    # ISSUE-10: Cancel writes no code, so it ends the paused request in its own transaction.
    _c, page = _consent_page(seed, browser, "zoe@example.org")
    denied = browser.consent(page, ["openid", "email"], allow=False)
    assert denied.status_code in (302, 303) and "error=access_denied" in denied.headers["location"]
    assert interactions(seed) == 0
    again = browser.consent(page, ["openid", "email"])
    assert again.status_code == 400 and "This sign-in request expired" in again.text
