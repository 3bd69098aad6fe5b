"""Set a seeded project's policy state directly, as the console or a reviewer would have."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from consentry.storage.tables import Client, ConsentGrant, ConsentReceipt, OutboxMail, Project
from tests.support.seed import SeededClient, Seeder


def set_project(seed: Seeder, c: SeededClient, **values: Any) -> int:
    with seed.db.unit_of_work() as s:
        project = s.get(Project, s.get(Client, c.pk).project_id)  # type: ignore[union-attr]
        assert project is not None
        for k, v in values.items():
            setattr(project, k, v)
        return project.id


def project_row(seed: Seeder, project_id: int) -> dict[str, Any]:
    with seed.db.unit_of_work() as s:
        p = s.get(Project, project_id)
        assert p is not None
        return {"unverified_users": p.unverified_users, "suspended_at": p.suspended_at}


def receipts(seed: Seeder) -> list[ConsentReceipt]:
    with seed.db.unit_of_work() as s:
        rows = list(s.scalars(select(ConsentReceipt).order_by(ConsentReceipt.id)))
        s.expunge_all()
        return rows


def grants(seed: Seeder) -> list[ConsentGrant]:
    with seed.db.unit_of_work() as s:
        rows = list(s.scalars(select(ConsentGrant)))
        s.expunge_all()
        return rows


def mails(seed: Seeder, reason_prefix: str) -> list[OutboxMail]:
    with seed.db.unit_of_work() as s:
        rows = list(s.scalars(select(OutboxMail).where(OutboxMail.reason.startswith(reason_prefix))))
        s.expunge_all()
        return rows
