"""Races made to happen between a request's decision and its commit: the app it relied on changes,
or a twin request commits the same claim first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from sqlalchemy import update

from consentry.domain.tokens.store import Changes, Outcome
from consentry.storage.db import Database
from consentry.storage.tables import Client

Commit = Callable[[Changes], Awaitable[Outcome]]


@contextmanager
def _commits(app: FastAPI, racing: Callable[[Commit, list[Outcome]], Commit]) -> Iterator[list[Outcome]]:
    """The app's token store commits through ``racing(real_commit, outcomes)`` while open."""
    store = app.state.runtime.token_store
    outcomes: list[Outcome] = []
    store.commit = racing(store.commit, outcomes)
    try:
        yield outcomes
    finally:
        del store.commit


@contextmanager
def client_disabled_before_commit(app: FastAPI, db: Database) -> Iterator[list[Outcome]]:
    """While open, every commit of the app's token store first disables the client whose snapshot
    the request relied on, as an operator would in the instant between the two. Yields the
    outcomes the store gave, in order."""

    def racing(real: Commit, outcomes: list[Outcome]) -> Commit:
        async def commit(changes: Changes) -> Outcome:
            if changes.client is not None:
                with db.unit_of_work() as s:
                    s.execute(update(Client).where(Client.id == changes.client.id).values(disabled=True))
            outcomes.append(await real(changes))
            return outcomes[-1]

        return commit

    with _commits(app, racing) as outcomes:
        yield outcomes


@contextmanager
def raced_by_a_twin(app: FastAPI) -> Iterator[list[Outcome]]:
    """While open, every commit of the app's token store is first made by a twin (as another server
    answering the same request at the same instant would), then by the request itself. Yields the
    outcomes in order: the twin's, then the request's."""

    def racing(real: Commit, outcomes: list[Outcome]) -> Commit:
        async def commit(changes: Changes) -> Outcome:
            outcomes.append(await real(changes))
            outcomes.append(await real(changes))
            return outcomes[-1]

        return commit

    with _commits(app, racing) as outcomes:
        yield outcomes
