"""Paused authorization requests (the ``interactions`` table), shared by every server process.

A pause stores the request's parameters, the browser session that may resume it, the account
chosen, and the screens the user went past (testing warning, unverified app), so a resumed
request is decided again on the same facts plus those choices.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from consentry.domain.accounts.freshness import SIGNED_IN
from consentry.domain.consent.disclosure import app_name_of
from consentry.domain.secrets import new_secret
from consentry.protocol.oauth2.context import ProtocolContext
from consentry.storage.tables import Interaction
from consentry.storage.tables.base import now
from consentry.web.session import BrowserState, Sessions


@dataclass(frozen=True, slots=True)
class Paused:
    params: list[tuple[str, str]]
    user_id: int | None
    passed: frozenset[str]

    @property
    def client_id(self) -> str | None:
        return next((v for k, v in self.params if k == "client_id"), None)


class FlowStore:
    def __init__(self, ctx: ProtocolContext, sessions: Sessions) -> None:
        self.ctx = ctx
        self.sessions = sessions

    def pause(
        self,
        db: Session,
        state: BrowserState,
        params: list[tuple[str, str]],
        user_id: int | None = None,
        passed: frozenset[str] = frozenset(),
    ) -> str:
        flow = new_secret(24)
        db.add(
            Interaction(
                id_hash=self.key(flow),
                params={"pairs": params, "passed": sorted(passed)},
                session_hash=self.sessions.sid_hash(state),
                user_id=user_id,
                expires_at=now() + self.ctx.settings.flow_ttl,
            )
        )
        return flow

    def key(self, flow: str) -> str:
        """The ``interactions`` row's id: the flow's hash (the flow itself is a bearer secret)."""
        return self.ctx.hasher.hash(flow)

    def resume(self, db: Session, state: BrowserState, flow: str) -> Interaction | None:
        row = db.get(Interaction, self.key(flow or ""))
        if row is None or row.expires_at <= now() or row.session_hash != self.sessions.sid_hash(state):
            return None
        return row

    def read(self, state: BrowserState, flow: str) -> Paused | None:
        """The paused request, or None if expired or another browser's."""
        with self.ctx.db.unit_of_work() as db:
            row = self.resume(db, state, flow)
            return None if row is None else paused_of(row)

    def hold(
        self, state: BrowserState, flow: str, user_id: int, passed: frozenset[str] | None = None
    ) -> bool:
        """Pin the account a resumed request is for (and the screens passed); False if gone."""
        with self.ctx.db.unit_of_work() as db:
            row = self.resume(db, state, flow)
            if row is None:
                return False
            pin(row, user_id)
            if passed is not None:
                row.params = {**row.params, "passed": sorted(passed)}
            return True

    def app_name(self, state: BrowserState, flow: str) -> str | None:
        """The name of the app a paused request is for: "to continue to <app>" on sign-in pages."""
        if not flow:
            return None
        with self.ctx.db.unit_of_work() as db:
            row = self.resume(db, state, flow)
            client_id = None if row is None else paused_of(row).client_id
            return None if client_id is None else app_name_of(db, client_id)

    def finish(self, flow: str) -> None:
        with self.ctx.db.unit_of_work() as db:
            self.take(db, flow)

    def pending(self, db: Session, flow: str) -> bool:
        """Whether the flow is still waiting (not ended, not swept)."""
        return db.get(Interaction, self.key(flow)) is not None

    def take(self, db: Session, flow: str) -> bool:
        """Delete the flow, once: a second POST of the same decision finds it gone."""
        taken = db.execute(delete(Interaction).where(Interaction.id_hash == self.key(flow)))
        return bool(taken.rowcount)  # type: ignore[attr-defined]


def paused_of(row: Interaction) -> Paused:
    pairs = [(str(k), str(v)) for k, v in row.params["pairs"]]
    return Paused(pairs, row.user_id, frozenset(str(s) for s in row.params.get("passed", ())))


def pin_signed_in(row: Interaction, user_id: int) -> None:
    """The account signed in while the request waited: fresh enough for prompt=login and max_age."""
    pin(row, user_id)
    row.params = {**row.params, "passed": sorted({*row.params.get("passed", ()), SIGNED_IN})}


def pin(row: Interaction, user_id: int) -> None:
    """Set the account a paused request is for. Screens are passed by a person: another account
    has passed none of them (else one counted pass could carry any number of accounts)."""
    if row.user_id != user_id:
        row.params = {**row.params, "passed": []}
    row.user_id = user_id
