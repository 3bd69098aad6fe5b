"""Shared steps of the security-event tests: the seeded world, grants, delivery runs, DB reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from consentry.domain.events.deliver import EventReport, drain
from consentry.domain.events.push import Pusher
from consentry.storage.db import Database
from consentry.storage.tables import ConsentGrant, Project, SecurityEvent, User
from tests.support.seed import SeededClient, Seeder

OWNER = "owner@example.com"
BOB = "bob@example.org"
PROJECT = "Mail Sorter"


@dataclass
class World:
    seed: Seeder
    client: SeededClient
    project_id: int
    bob_id: int
    bob_sub: str


def make_world(seed: Seeder) -> World:
    """A project with one web client, and bob who granted it ``openid email``."""
    client = seed.client("web", owner=OWNER, project=PROJECT)
    bob_sub = seed.user(BOB)
    with seed.db.unit_of_work() as s:
        bob = s.scalar(select(User).where(User.email == BOB))
        project = s.scalar(select(Project).where(Project.name == PROJECT))
        assert bob is not None and project is not None
        s.add(ConsentGrant(user_id=bob.id, client_pk=client.pk, scopes=["openid", "email"]))
        return World(seed, client, project.id, bob.id, bob_sub)


def grant(seed: Seeder, email: str, client_pk: int, scopes: list[str]) -> None:
    with seed.db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        s.add(ConsentGrant(user_id=user.id, client_pk=client_pk, scopes=scopes))


def set_endpoint_row(db: Database, project_id: int, url: str) -> None:
    """Straight into the row, for tests about delivery rather than about setting it."""
    with db.unit_of_work() as s:
        s.execute(update(Project).where(Project.id == project_id).values(events_endpoint=url))


def deliver(app: Any, *, now: int | None = None) -> EventReport:
    """One delivery run of the app's own database and keys, as the mail thread runs it."""
    ctx = app.state.runtime.ctx
    clock = (lambda: now) if now is not None else None
    kwargs: dict[str, Any] = {"now": clock} if clock else {}
    return drain(ctx.db, ctx.keys, Pusher(timeout=5, allow_private=True), **kwargs)


def events(db: Database) -> list[dict[str, Any]]:
    with db.unit_of_work() as s:
        rows = s.scalars(select(SecurityEvent).order_by(SecurityEvent.id))
        return [
            {
                c: getattr(r, c)
                for c in (
                    "id",
                    "jti",
                    "project_id",
                    "user_id",
                    "event_type",
                    "claims",
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "last_error",
                    "created_at",
                    "delivered_at",
                )
            }
            for r in rows
        ]
