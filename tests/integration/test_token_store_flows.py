"""A paused authorization request ends in the transaction that writes its code, on both engines.

The authorization endpoint used to delete the paused request (``interactions``) in a commit of its
own before writing the code: a code that was then refused (the app changed meanwhile) left nothing
to resume. Now the deletion is one of the code's changes (``Changes.finished_flows``).
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

from sqlalchemy import func, select, update

from consentry.domain.secrets import new_family, new_secret
from consentry.domain.tokens.store import Changes, Found, Lookup, Outcome
from consentry.storage.tables import AuthorizationCode, Client, Interaction
from consentry.storage.tables.base import now
from consentry.storage.token_store import BatchedTokenStore
from tests.support.browserless import Browser, pkce_pair
from tests.support.flows import PASSWORD, auth_params
from tests.support.seed import SeededClient, Seeder
from tests.support.token_store import code_row, commit, hasher, lookup, user_id


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
        changes = Changes(client=found.client, codes=[row], finished_flows=[key])
        assert commit(store, changes) == [Outcome.COMMITTED]
        assert store.writer.batches - batches == 1
        assert not still_paused(seed, key)
        assert still_paused(seed, other)  # only the request this code ends
        with seed.db.unit_of_work() as s:
            assert s.get(AuthorizationCode, hasher.hash(code)) is not None


def test_a_code_that_is_not_written_leaves_its_paused_request(seed):
    # ISSUE-10: a commit refused on a stale client (disabled since the decision) writes nothing of
    # its own, the removal included: the user can resume the request once the app is back.
    with closing(BatchedTokenStore(seed.db)) as store:
        web, uid, key, found = ready(seed, store, "max@example.org")
        with seed.db.unit_of_work() as s:
            s.execute(update(Client).where(Client.id == web.pk).values(disabled=True))
        code, row = code_row(web, uid, new_family())
        changes = Changes(client=found.client, codes=[row], finished_flows=[key])
        assert commit(store, changes) == [Outcome.CLIENT_CHANGED]
        assert still_paused(seed, key)
        with seed.db.unit_of_work() as s:
            assert s.get(AuthorizationCode, hasher.hash(code)) is None


def test_ending_a_paused_request_is_more_than_a_mint():
    # ISSUE-10: a batch carrying one is never the one-statement mint-only path.
    assert Changes(finished_flows=["k"]).besides_tokens()
    assert not Changes().besides_tokens()


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


def test_a_code_refused_at_its_commit_leaves_the_request_to_resume(
    app: Any, seed: Seeder, browser: Browser, monkeypatch: Any
) -> None:
    # ISSUE-10: the endpoint path: the code's commit is refused (the app changed that instant); the
    # page says to try again, and trying again works because the paused request is still there.
    store = app.state.runtime.token_store
    real = store.commit
    refused: list[Changes] = []

    async def refuse_once(changes: Changes) -> Outcome:
        if changes.codes and not refused:  # the next code's commit, once
            refused.append(changes)
            return Outcome.CLIENT_CHANGED
        return await real(changes)

    c = seed.client("web")
    seed.user("ora@example.org")
    _verifier, challenge = pkce_pair()
    params = auth_params(c, challenge, "openid email")
    assert "code" in browser.login_and_consent(params, "ora@example.org", PASSWORD)
    browser.http.cookies.clear()
    page = browser.authorize(params)
    monkeypatch.setattr(store, "commit", refuse_once)
    failed = browser.sign_in(page, "ora@example.org", PASSWORD)
    assert failed.status_code == 503 and "Try again" in failed.text
    assert "/authorize/continue" in str(failed.request.url)
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 1
    again = browser.get(str(failed.request.url))
    assert again.status_code in (302, 303) and "code=" in again.headers["location"]
    with seed.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 0
