"""``consentry scopes``: the catalogue and the least-privilege advisor."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from consentry.cli.output import console, emit, fail
from consentry.cli.services import JsonOpt
from consentry.domain.scopes.catalogue import Catalogue

scopes_app = typer.Typer(help="The scope catalogue.", no_args_is_help=True)


@scopes_app.command("list", help="Every scope with its API, class and the verification it triggers.")
def scopes_list(
    api: Annotated[
        str | None, typer.Option(help="Only this API (mail, files, chat, meetings, calendar, sign-in).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
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
