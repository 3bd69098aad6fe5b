"""The domain services a CLI command uses, in one unit of work, acting as the operator.

Project, client and review commands call the services (Projects, Clients, Verification) as
``Actor.cli()``, so the CLI applies the same rules and leaves the same audit events as the console
and the API; it only parses and prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from consentry.cli.context import unit_of_work
from consentry.domain import times
from consentry.domain.actor import Actor
from consentry.domain.clients.service import Clients
from consentry.domain.projects.service import Projects
from consentry.domain.scopes.catalogue import Catalogue
from consentry.storage.repositories.console import SqlConsole

if TYPE_CHECKING:
    from consentry.domain.verification.review import Review
    from consentry.domain.verification.service import Verification
    from consentry.settings import Settings

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@dataclass
class Services:
    """The domain services in one unit of work, acting as the operator."""

    projects: Projects
    clients: Clients
    verification: Verification
    review: Review
    settings: Settings


@contextmanager
def services(as_json: bool) -> Iterator[Services]:
    """Commit on success; a DomainError becomes one JSON error and exit 2 (exit 1 if ours)."""
    from consentry.domain.verification.review import Review  # dnspython: only when needed
    from consentry.domain.verification.service import Verification

    with unit_of_work(as_json) as (session, settings, hasher):
        projects = Projects(SqlConsole(session, settings.issuer), Actor.cli(), Catalogue(settings.issuer))
        verification = Verification(projects)
        yield Services(projects, Clients(projects, hasher), verification, Review(verification), settings)


def when(ts: int | None) -> str:
    """A stored time in a table; "-" when unset (the shell's tables keep every cell filled)."""
    return times.when(ts, "-")


def short(uri: str) -> str:
    """A scope as people type it: the name after ``/auth/`` (sign-in scopes are bare already)."""
    return uri.rsplit("/auth/", 1)[-1]


def clients_table(rows: list[dict[str, Any]]) -> Table:
    table = Table("client_id", "name", "type", "state", "redirect URIs", title="Clients")
    for c in rows:
        state = "deleted" if c["deleted_at"] else "disabled" if c["disabled"] else "active"
        table.add_row(c["client_id"], c["name"], c["type"], state, "\n".join(c["redirect_uris"]) or "-")
    return table
