"""Races made to happen: the app a request relied on changes between its decision and its commit."""

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
