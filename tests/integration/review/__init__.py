"""Reviewer-console tests, and the helper that brings a project up to "submitted" for them.

The CLI and browser tests import :func:`submit_project` too: there is no command for the
developer's side of verification, so it is driven through the domain services as the project's
owner would drive them from the console (a brand, a verified domain, declared scopes, the answers).
"""

from __future__ import annotations

import io
from typing import Any

from consentry.domain.accounts import service as accounts
from consentry.domain.actor import Actor
from consentry.domain.audit.tags import Channel
from consentry.domain.projects.service import BrandForm, Projects
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.verification.service import Submission, Verification
from consentry.domain.verification.status import DAY
from consentry.storage.db import Database
from consentry.storage.repositories.console import SqlConsole
from consentry.storage.tables.base import now

PASSWORD = "correct-horse-battery"

PRECHECKS: list[dict[str, Any]] = [
    {
        "code": "home_page_reachable",
        "passed": True,
        "message": "The home page answers without sign-in.",
        "url": "https://{domain}/",
        "status": 200,
        "excerpt": "Welcome to {app}: reminders from your mail.",
    },
    {
        "code": "privacy_limited_use",
        "passed": False,
        "message": "The privacy policy carries no Limited Use statement.",
        "url": "https://{domain}/privacy",
        "status": 200,
        "excerpt": "We store your data for as long as we like.",
    },
]


def logo_png(size: int = 128) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), (26, 86, 219)).save(out, "PNG")
    return out.getvalue()


def submit_project(
    database_url: str,
    issuer: str,
    name: str,
    *,
    owner: str = "dev@example.org",
    scopes: tuple[str, ...] = ("mail.readonly", "mail.send"),
    scan_report: dict[str, Any] | None = None,
    prechecks: list[dict[str, Any]] | None = None,
    server_access: bool = True,
    submitted_days_ago: int = 0,
) -> str:
    """A production project whose request for ``scopes`` is submitted; returns the project's name."""
    db = Database(database_url)
    domain = name.lower().replace(" ", "-") + ".example.com"
    app = f"{name} Reminders"
    try:
        with db.unit_of_work() as s:
            user = accounts.find_user(s, owner) or accounts.add_user(s, owner, PASSWORD)
            actor = Actor(email=user.email, user_id=user.id, platform_role=user.role, channel=Channel.WEB)
            projects = Projects(SqlConsole(s), actor, Catalogue(issuer))
            project = projects.create(name, status="production")
            projects.update_brand(
                project,
                BrandForm(
                    app_name=app,
                    support_email=f"support@{domain}",
                    home_page=f"https://{domain}/",
                    privacy_policy=f"https://{domain}/privacy",
                    authorized_domains=[domain],
                    developer_contacts=[f"dev@{domain}"],
                    logo=logo_png(),
                ),
            )
            verification = Verification(projects)
            proof = verification.proof(project, domain)  # the challenge row, as the console creates it
            proof.method, proof.verified_at = "dns", now()  # as if the TXT record had been found
            declared = projects.declare_scopes(project, add=list(scopes))
            risky = [
                *projects.scopes_by_class(project)["sensitive"],
                *projects.scopes_by_class(project)["restricted"],
            ]
            assert declared and risky, "declare at least one sensitive or restricted scope"
            verification.save(
                project,
                Submission(
                    justifications={
                        uri: {
                            "usage": f"Reads what {uri.rsplit('/', 1)[-1]} allows to send reminders.",
                            "why_not_narrower": "The reminder needs the message bodies.",
                        }
                        for uri in risky
                    },
                    doc_links=[f"https://{domain}/docs/reminders"],
                    video_url="https://video.example.com/watch/unlisted-123",
                    app_type="mail.productivity" if any("/auth/mail" in u for u in risky) else "",
                    server_access=server_access,
                    transfers="Only to our mail provider, to send the reminders.",
                    human_access="Nobody, except with the user's consent for support.",
                    attested=True,
                    scan_report=scan_report,
                ),
            )
            checks = prechecks if prechecks is not None else PRECHECKS
            filled = [
                {k: v.format(domain=domain, app=app) if isinstance(v, str) else v for k, v in c.items()}
                for c in checks
            ]
            row = verification.submit(project, prechecks=filled)
            if submitted_days_ago:
                row.submitted_at = now() - submitted_days_ago * DAY
    finally:
        db.dispose()
    return name


def save_new_draft(database_url: str, issuer: str, name: str, owner: str = "dev@example.org") -> None:
    """The developer starts over after a decision: a new draft becomes the project's latest request."""
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            user = accounts.find_user(s, owner)
            assert user is not None
            actor = Actor(email=user.email, user_id=user.id, platform_role=user.role, channel=Channel.WEB)
            projects = Projects(SqlConsole(s), actor, Catalogue(issuer))
            row = Verification(projects).draft(projects.get(name))
            assert row.state == "draft"
    finally:
        db.dispose()


def add_user(database_url: str, email: str, role: str = "user") -> None:
    db = Database(database_url)
    try:
        with db.unit_of_work() as s:
            accounts.add_user(s, email, PASSWORD, role=role)
    finally:
        db.dispose()
