"""Races made to happen between a request's decision and its commit: the app it relied on changes,
or a twin request commits the same claim first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from sqlalchemy import update

from consentry.domain.tokens.store import Changes, Outcome
from consentry.storage.db import Database
from consentry.storage.tables import Client


@contextmanager
def client_disabled_before_commit(app: FastAPI, db: Database) -> Iterator[list[Outcome]]:
    """While open, every commit of the app's token store first disables the client whose snapshot
    the request relied on, as an operator would in the instant between the two. Yields the
    outcomes the store gave, in order."""
    store = app.state.runtime.token_store
    real = store.commit
    outcomes: list[Outcome] = []

    async def racing(changes: Changes) -> Outcome:
        if changes.client is not None:
            with db.unit_of_work() as s:
                s.execute(update(Client).where(Client.id == changes.client.id).values(disabled=True))
        outcome: Outcome = await real(changes)
        outcomes.append(outcome)
        return outcome

    store.commit = racing
    try:
        yield outcomes
    finally:
        del store.commit


@contextmanager
def raced_by_a_twin(app: FastAPI) -> Iterator[list[Outcome]]:
    """While open, every commit of the app's token store is first made by a twin (as another server
    answering the same request at the same instant would), then by the request itself. Yields the
    outcomes in order: the twin's, then the request's."""
    store = app.state.runtime.token_store
    real = store.commit
    outcomes: list[Outcome] = []

    async def twice(changes: Changes) -> Outcome:
        outcomes.append(await real(changes))
        outcome: Outcome = await real(changes)
        outcomes.append(outcome)
        return outcome

    store.commit = twice
    try:
        yield outcomes
    finally:
        del store.commit
