"""The seeded world of the incident tests: a project with an owner, an editor and a viewer, its
contacts on file, two reviewers (one of them a member of the project), and a stranger."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

import httpx
from sqlalchemy import select, update

from consentry.storage.db import Database
from consentry.storage.tables import (
    AuditEvent,
    IncidentNote,
    OutboxMail,
    Project,
    ProjectMember,
    SecurityIncident,
    User,
)
from tests.support.seed import Seeder

PROJECT = "Mail Sorter"
OWNER = "owner@mailsorter.example.com"
EDITOR = "editor@mailsorter.example.com"
VIEWER = "viewer@mailsorter.example.com"
REVIEWER = "rita@platform.example.org"
MEMBER_REVIEWER = "ray@platform.example.org"  # a reviewer who is also a member of the project
STRANGER = "eve@elsewhere.example.net"
CONTACT = "security@testserver.local"  # CONSENTRY_SECURITY_CONTACT's default for the suite's issuer
DEV_CONTACTS = ["dev@mailsorter.example.com"]
SUPPORT = "help@mailsorter.example.com"
PAGE = "/console/projects/Mail%20Sorter/incidents"
API = "/api/v1/projects/Mail%20Sorter/incidents"
HTML = {"accept": "text/html"}
ERROR_RE = re.compile(r'<div class="alert error" role="alert" data-code="([^"]+)"><p>(.*?)</p>', re.S)

#: A complete report, as the console's form posts it.
GOOD: dict[str, str] = {
    "summary": "Refresh tokens exposed in a public log bucket",
    "details": "A debug log with refresh tokens was public from 2 to 4 May.\n\nFound by our own scan.",
    "detected": "2026-05-04 09:30",
    "certainty": "confirmed",
    "affected": "mail.readonly refresh tokens of users who signed in before May 4",
    "affected_users": "1,200",
    "containment": "Bucket made private; every refresh token of the client revoked.",
    "statement": "planned",
    "statement_at": "2030-05-10",
}


@dataclass
class World:
    seed: Seeder
    project_id: int


def make_world(seed: Seeder) -> World:
    for email in (OWNER, EDITOR, VIEWER, STRANGER):
        seed.user(email)
    seed.user(REVIEWER, role="reviewer")
    seed.user(MEMBER_REVIEWER, role="reviewer")
    seed.client("web", owner=OWNER, project=PROJECT)
    with seed.db.unit_of_work() as s:
        project = s.scalar(select(Project).where(Project.name == PROJECT))
        assert project is not None
        s.execute(
            update(Project)
            .where(Project.id == project.id)
            .values(developer_contacts=DEV_CONTACTS, support_email=SUPPORT, app_name="Mail Sorter App")
        )
        for email, role in ((EDITOR, "editor"), (VIEWER, "viewer"), (MEMBER_REVIEWER, "viewer")):
            user = s.scalar(select(User).where(User.email == email))
            assert user is not None
            s.add(ProjectMember(project_id=project.id, user_id=user.id, role=role))
        return World(seed, project.id)


def error_of(r: httpx.Response) -> tuple[str, str]:
    match = ERROR_RE.search(r.text)
    assert match, r.text[:3000]
    return match.group(1), unescape(match.group(2))


def incidents(db: Database) -> list[SecurityIncident]:
    with db.unit_of_work() as s:
        rows = list(s.scalars(select(SecurityIncident).order_by(SecurityIncident.id)))
        s.expunge_all()
        return rows


def notes(db: Database, incident_id: int) -> list[tuple[str, str, str, str]]:
    with db.unit_of_work() as s:
        q = select(IncidentNote).where(IncidentNote.incident_id == incident_id).order_by(IncidentNote.id)
        return [(n.side, n.author, n.action, n.body) for n in s.scalars(q)]


def mails(db: Database) -> list[tuple[list[str], str, str, str]]:
    """(recipients, subject, body, reason) of every mail in the outbox, oldest first."""
    with db.unit_of_work() as s:
        return [
            (list(m.recipients), m.subject, m.body, m.reason)
            for m in s.scalars(select(OutboxMail).order_by(OutboxMail.id))
        ]


def audit(db: Database, prefix: str = "") -> list[tuple[str, str, dict[str, Any]]]:
    with db.unit_of_work() as s:
        q = select(AuditEvent).where(AuditEvent.tag.like("%incident%")).order_by(AuditEvent.id)
        return [(e.tag, e.actor, dict(e.data)) for e in s.scalars(q) if e.tag.startswith(prefix)]
