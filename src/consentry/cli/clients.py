"""``consentry project``, ``consentry client`` and ``consentry scopes``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from consentry.cli.context import unit_of_work
from consentry.cli.output import console, emit, fail
from consentry.domain.accounts.service import find_user
from consentry.domain.clients import service

project_app = typer.Typer(help="Projects group clients, scopes and members.", no_args_is_help=True)
client_app = typer.Typer(help="OAuth clients.", no_args_is_help=True)
scopes_app = typer.Typer(help="The scope catalogue.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@project_app.command("create", help="Create a project owned by a user.")
def project_create(
    name: str,
    owner: Annotated[str, typer.Option(help="Owner's email.")],
    user_type: Annotated[str, typer.Option(help="external or internal.")] = "external",
    status: Annotated[str, typer.Option(help="testing or production.")] = "testing",
    json_: JsonOpt = False,
) -> None:
    with unit_of_work(json_) as (session, _s, _h):
        user = find_user(session, owner)
        if user is None:
            fail("not_found", f"no user {owner}", json_)
            return
        project = service.create_project(session, name, user, user_type=user_type, status=status)
        out = {
            "project": project.name,
            "owner": user.email,
            "user_type": project.user_type,
            "status": project.status,
        }
    emit(out, json_)


def _project(session, name: str, as_json: bool):
    project = service.find_project(session, name)
    if project is None:
        fail("not_found", f"no project {name}", as_json)
    return project


@project_app.command("scopes", help="Declare scopes on the project's consent screen.")
def project_scopes(
    project: str,
    add: Annotated[list[str], typer.Option("--add", help="Scope to declare (repeat).")],
    json_: JsonOpt = False,
) -> None:
    with unit_of_work(json_) as (session, settings, _h):
        from consentry.domain.scopes.catalogue import Catalogue

        catalogue = Catalogue(settings.issuer)
        row = _project(session, project, json_)
        uris = [s if s in catalogue.by_uri else settings.scope_uri(s) for s in add]
        unknown = [s for s in uris if s not in catalogue.by_uri]
        if unknown:
            fail("invalid_scope", f"unknown scope(s): {', '.join(unknown)}", json_)
        row.declared_scopes = sorted(set(row.declared_scopes or []) | set(uris))
        out = {"project": row.name, "declared_scopes": row.declared_scopes}
    emit(out, json_)


@project_app.command("test-users", help="Add test users (projects in Testing reach only them).")
def project_test_users(
    project: str,
    add: Annotated[list[str], typer.Option("--add", help="Email (repeat).")],
    json_: JsonOpt = False,
) -> None:
    with unit_of_work(json_) as (session, _s, _h):
        from consentry.domain.accounts.emails import is_email_address, shown

        row = _project(session, project, json_)
        emails = {e.strip().lower() for e in add}
        bad = sorted(shown(e) for e in emails if not is_email_address(e))
        if bad:
            fail("invalid_email", f"not an email address: {', '.join(map(repr, bad))}", json_)
        merged = sorted(set(row.test_users or []) | emails)
        if len(merged) > 100:
            fail("limit", "a project in Testing has at most 100 test users", json_)
        row.test_users = merged
        out = {"project": row.name, "test_users": merged}
    emit(out, json_)


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
    with unit_of_work(json_) as (session, _s, hasher):
        row = _project(session, project, json_)
        new = service.create_client(
            session,
            hasher,
            row,
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
