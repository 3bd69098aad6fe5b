"""``consentry project``, ``consentry client`` and ``consentry scopes``.

Project and client commands call the domain services (Projects, Clients, Verification) as the
operator (``Actor.cli()``), so the CLI applies the same rules and leaves the same audit events as
the console and the API; it only parses and prints (VERIFY-1, VERIFY-8).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from consentry.cli.context import unit_of_work
from consentry.cli.output import console, emit, fail
from consentry.domain.actor import Actor
from consentry.domain.clients.service import RESTORE_DAYS, Clients, client_summary
from consentry.domain.projects.service import Projects
from consentry.domain.scopes.catalogue import CLASSES, Catalogue
from consentry.storage.repositories.console import SqlConsole
from consentry.storage.tables import Client, Project

if TYPE_CHECKING:
    from consentry.domain.verification.service import Verification
    from consentry.settings import Settings

project_app = typer.Typer(help="Projects group clients, scopes and members.", no_args_is_help=True)
client_app = typer.Typer(help="OAuth clients.", no_args_is_help=True)
scopes_app = typer.Typer(help="The scope catalogue.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@dataclass
class Services:
    """The domain services in one unit of work, acting as the operator."""

    projects: Projects
    clients: Clients
    verification: Verification
    settings: Settings


@contextmanager
def services(as_json: bool) -> Iterator[Services]:
    """Commit on success; a DomainError becomes one JSON error and exit 2 (exit 1 if ours)."""
    from consentry.domain.verification.service import Verification  # dnspython: only when needed

    with unit_of_work(as_json) as (session, settings, hasher):
        projects = Projects(SqlConsole(session), Actor.cli(), Catalogue(settings.issuer))
        yield Services(projects, Clients(projects, hasher), Verification(projects), settings)


def when(ts: int | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ") if ts else "-"


def short(uri: str) -> str:
    """A scope as people type it: the name after ``/auth/`` (sign-in scopes are bare already)."""
    return uri.rsplit("/auth/", 1)[-1]


# --- projects ----------------------------------------------------------------------------------------


@project_app.command("create", help="Create a project owned by a user.")
def project_create(
    name: str,
    owner: Annotated[str, typer.Option(help="Owner's email.")],
    user_type: Annotated[str, typer.Option(help="external or internal.")] = "external",
    status: Annotated[str, typer.Option(help="testing or production.")] = "testing",
    json_: JsonOpt = False,
) -> None:
    with services(json_) as sv:
        project = sv.projects.create(name, owner_email=owner, user_type=user_type, status=status)
        members = sv.projects.repo.members(project.id)
        out = {
            "project": project.name,
            "owner": members[0][0].email if members else owner,
            "user_type": project.user_type,
            "status": project.status,
        }
    emit(out, json_)


@project_app.command("list", help="Every project: publishing status, user type, clients, verification.")
def project_list(json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        rows: list[dict[str, Any]] = []
        for project in sv.projects.visible():
            status = sv.verification.status(project)
            rows.append(
                {
                    "project": project.name,
                    "app_name": project.app_name,
                    "status": project.status,
                    "user_type": project.user_type,
                    "clients": len(sv.projects.repo.clients(project.id)),
                    "verification": {
                        "needed": status.needed,
                        "verified": status.verified,
                        "review_state": status.review_state,
                        "headline": status.headline,
                    },
                }
            )
    if json_:
        emit({"projects": rows}, True)
        return
    table = Table("project", "app name", "status", "user type", "clients", "verification")
    for r in rows:
        v = r["verification"]
        table.add_row(
            r["project"], r["app_name"], r["status"], r["user_type"], str(r["clients"]), v["headline"]
        )
    console.print(table)


def _project_details(sv: Services, project: Project) -> dict[str, Any]:
    status = sv.verification.status(project)
    return {
        "project": project.name,
        "app_name": project.app_name,
        "status": project.status,
        "user_type": project.user_type,
        "created_at": project.created_at,
        "members": [{"email": u.email, "role": r} for u, r in sv.projects.repo.members(project.id)],
        "clients": [client_summary(c) for c in sv.clients.list(project)],
        "declared_scopes": sv.projects.scopes_by_class(project),
        "approved_scopes": list(project.approved_scopes or []),
        "test_users": list(project.test_users or []),
        "brand": {
            "support_email": project.support_email,
            "home_page": project.home_page,
            "privacy_policy": project.privacy_policy,
            "terms": project.terms,
            "authorized_domains": list(project.authorized_domains or []),
            "developer_contacts": list(project.developer_contacts or []),
            "logo": project.logo_png is not None,
        },
        "verification": status.as_dict(),
    }


@project_app.command(
    "show", help="One project: members, clients, scopes by class and where verification stands."
)
def project_show(project: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        out = _project_details(sv, sv.projects.get(project))
    if json_:
        emit(out, True)
        return
    v = out["verification"]
    emit(
        {
            "project": out["project"],
            "app name": out["app_name"],
            "status": out["status"],
            "user type": out["user_type"],
            "members": ", ".join(f"{m['email']} ({m['role']})" for m in out["members"]) or "-",
            "test users": len(out["test_users"]),
            "verification": v["headline"],
            "next action": v["next_action"],
        },
        False,
        title=project,
    )
    scopes = Table("scope", "class", "approved", title="Declared scopes")
    for cls in reversed(CLASSES):
        for uri in out["declared_scopes"][cls]:
            scopes.add_row(short(uri), cls, "yes" if uri in out["approved_scopes"] else "")
    console.print(scopes)
    if out["clients"]:
        console.print(_clients_table(out["clients"]))
    for m in v["missing"]:
        console.print(f"[yellow]missing:[/yellow] {m['message']}")


@project_app.command("scopes", help="Declare scopes on the project's consent screen (or remove them).")
def project_scopes(
    project: str,
    add: Annotated[list[str] | None, typer.Option("--add", help="Scope to declare (repeat).")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Scope to remove (repeat).")] = None,
    json_: JsonOpt = False,
) -> None:
    if not add and not remove:
        fail("usage", "give at least one --add SCOPE or --remove SCOPE", json_)
    with services(json_) as sv:
        row = sv.projects.get(project)
        declared = sv.projects.declare_scopes(row, add=add or [], remove=remove or [])
        out = {"project": row.name, "declared_scopes": list(declared)}
    emit(out, json_)


@project_app.command("test-users", help="Add or remove test users (projects in Testing reach only them).")
def project_test_users(
    project: str,
    add: Annotated[list[str] | None, typer.Option("--add", help="Email (repeat).")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Email to remove (repeat).")] = None,
    json_: JsonOpt = False,
) -> None:
    if not add and not remove:
        fail("usage", "give at least one --add EMAIL or --remove EMAIL", json_)
    with services(json_) as sv:
        row = sv.projects.get(project)
        users = sv.projects.change_test_users(row, add=add or [], remove=remove or [])
        out = {"project": row.name, "test_users": list(users)}
    emit(out, json_)


# --- clients -----------------------------------------------------------------------------------------


@client_app.command("create", help="Create a client; a secret is printed once, never stored in clear.")
def client_create(
    project: str,
    type_: Annotated[str, typer.Option("--type", help="web, installed, device or service.")],
    redirect_uri: Annotated[
        list[str] | None, typer.Option("--redirect-uri", help="Exact redirect URI (repeat).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name shown on the consent screen.")] = None,
    token_format: Annotated[str, typer.Option(help="Access tokens: opaque or jwt.")] = "opaque",
    id_token_alg: Annotated[str, typer.Option(help="ID token signature: RS256 or ES256.")] = "RS256",
    can_introspect: Annotated[
        bool,
        typer.Option(
            help="A resource server (e.g. an API using consentry.guard) that may introspect any token."
        ),
    ] = False,
    json_: JsonOpt = False,
) -> None:
    with services(json_) as sv:
        new = sv.clients.create(
            sv.projects.get(project),
            type_,
            name=name,
            redirect_uris=redirect_uri,
            access_token_format=token_format,
            id_token_alg=id_token_alg,
            can_introspect=can_introspect,
        )
        out = {
            "client_id": new.client.client_id,
            "client_secret": new.client_secret,
            "type": type_,
            "redirect_uris": new.client.redirect_uris,
            "name": new.client.name,
            "can_introspect": new.client.can_introspect,
        }
    emit(out, json_)


def _clients_table(rows: list[dict[str, Any]]) -> Table:
    table = Table("client_id", "name", "type", "state", "redirect URIs", title="Clients")
    for c in rows:
        state = "deleted" if c["deleted_at"] else "disabled" if c["disabled"] else "active"
        table.add_row(c["client_id"], c["name"], c["type"], state, "\n".join(c["redirect_uris"]) or "-")
    return table


@client_app.command("list", help="A project's OAuth clients (--deleted: those deleted in the last 30 days).")
def client_list(
    project: str,
    deleted: Annotated[bool, typer.Option("--deleted", help="List deleted clients instead.")] = False,
    json_: JsonOpt = False,
) -> None:
    with services(json_) as sv:
        row = sv.projects.get(project)
        out: dict[str, Any] = {
            "project": row.name,
            "clients": [client_summary(c) for c in sv.clients.list(row, deleted=deleted)],
        }
    if json_:
        emit(out, True)
        return
    console.print(_clients_table(out["clients"]))


@client_app.command("show", help="One client: type, redirect URIs, state, project.")
def client_show(client_id: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        out: dict[str, Any] = client_summary(sv.clients.get(client_id))
    if json_:
        emit(out, True)
        return
    out["created_at"] = when(out["created_at"])
    out["deleted_at"] = when(out["deleted_at"])
    emit(out, False, title=client_id)


@client_app.command("rotate-secret", help="A new secret, printed once; the old one stops working at once.")
def client_rotate_secret(client_id: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        secret = sv.clients.rotate_secret(client_id)
    emit({"client_id": client_id, "client_secret": secret}, json_)


def _state(client: Client) -> dict[str, Any]:
    return {"client_id": client.client_id, "project": client.project.name, "disabled": client.disabled}


@client_app.command("disable", help="The client gets no token; the tokens it holds stop working.")
def client_disable(client_id: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        out = _state(sv.clients.set_disabled(client_id, True))
    emit(out, json_)


@client_app.command(
    "enable", help="Let a disabled client get tokens again (its revoked tokens stay revoked)."
)
def client_enable(client_id: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        out = _state(sv.clients.set_disabled(client_id, False))
    emit(out, json_)


@client_app.command(
    "delete", help=f"Delete a client: disabled, tokens revoked, restorable for {RESTORE_DAYS} days."
)
def client_delete(client_id: str, json_: JsonOpt = False) -> None:
    with services(json_) as sv:
        client = sv.clients.delete(client_id)
        deleted = client.deleted_at or 0
        out = {
            **_state(client),
            "deleted_at": deleted,
            "restorable_until": deleted + RESTORE_DAYS * 86400,
        }
    emit(out, json_)


# --- scopes ------------------------------------------------------------------------------------------


@scopes_app.command("list", help="Every scope with its API, class and the verification it triggers.")
def scopes_list(
    api: Annotated[
        str | None, typer.Option(help="Only this API (mail, files, chat, meetings, calendar, sign-in).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    from consentry.domain.scopes.catalogue import Catalogue
    from consentry.settings import Settings

    catalogue = Catalogue(Settings().issuer)
    rows = [
        {
            "scope": s.uri,
            "api": s.api,
            "class": s.scope_class,
            "verification": s.verification,
            "description": s.description,
            "operations": list(s.operations),
            "reach": s.reach,
        }
        for s in catalogue.by_uri.values()
        if api in (None, s.api)
    ]
    if json_:
        emit({"scopes": rows}, True)
        return
    table = Table(
        "scope", "api", "class", "verification", "description", caption=f"URIs: {catalogue.base}NAME"
    )
    for s in catalogue.by_uri.values():
        if api in (None, s.api):
            table.add_row(s.name, s.api, s.scope_class, s.verification, s.description)
    console.print(table)


@scopes_app.command("advise", help="The narrowest scopes covering the data-API operations an app calls.")
def scopes_advise(
    operations: Annotated[list[str], typer.Argument(help="Operation ids, e.g. mail.messages.send.")],
    requested: Annotated[
        list[str] | None, typer.Option("--requested", help="A scope the app asks today (repeat).")
    ] = None,
    all_items: Annotated[
        bool,
        typer.Option("--all-items", help="The app needs every file/space, not just its own or picked ones."),
    ] = False,
    json_: JsonOpt = False,
) -> None:
    from consentry.domain.scopes.advisor import advise
    from consentry.domain.scopes.catalogue import Catalogue
    from consentry.errors import DomainError
    from consentry.settings import Settings

    catalogue = Catalogue(Settings().issuer)
    try:
        advice = advise(catalogue, operations, requested or [], narrow_reach=not all_items)
    except DomainError as exc:
        fail(exc.code, exc.message, json_)
        return
    out = {
        "operations": list(advice.operations),
        "suggested": [s.uri for s in advice.suggested],
        "conditions": list(advice.conditions),
        "unneeded": list(advice.unneeded),
        "uncovered": list(advice.uncovered),
        "risk_points": advice.suggested_risk.points,
        "requested_risk_points": advice.requested_risk.points if advice.requested_risk else None,
        "verification": advice.suggested_risk.verification,
        "summary": advice.summary,
    }
    if json_:
        emit(out, True)
        return
    table = Table("suggested scope", "class", "verification")
    for s in advice.suggested:
        table.add_row(s.uri, s.scope_class, s.verification)
    console.print(table)
    for note in advice.conditions:
        console.print(f"[yellow]note:[/yellow] {note}")
    console.print(advice.summary)
