"""``consentry demo [--show]``: sample data a newcomer can sign in with straight away.

Running it again changes nothing and prints what exists (``"demo": "already loaded"``); ``--show``
prints the demo users and clients again without loading anything. Refused in production.
The demo client's secret can be shown again because it is derived from CONSENTRY_SECRET_KEY
(demo clients only; see ``consentry.domain.demo``).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from consentry.cli.context import unit_of_work
from consentry.cli.output import console, emit
from consentry.domain import demo as demo_data


def demo(
    show: Annotated[
        bool, typer.Option("--show", help="Print the demo users and clients again; load nothing.")
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    with unit_of_work(json_) as (session, settings, hasher):
        demo_data.refuse_in_production(settings.environment)
        counts: dict[str, int] | None = None
        if show:
            state = "shown"
        elif demo_data.is_loaded(session):
            state = "already loaded"
        else:
            counts = demo_data.load(session, hasher, settings.secret_key, settings.issuer)
            state = "loaded"
        out: dict[str, Any] = {
            "demo": state,
            **demo_data.show(session, hasher, settings.secret_key),
            "issuer": settings.issuer_url,
        }
        if counts is not None:
            out["sample_data"] = counts
    if json_:
        emit(out, True)
        return
    _print(out)


def _print(out: dict[str, Any]) -> None:
    headline = {
        "loaded": "[bold green]Demo data loaded.[/bold green]",
        "already loaded": "[bold]Demo data already loaded[/bold] (nothing changed).",
        "shown": "[bold]Demo data.[/bold]",
    }[out["demo"]]
    console.print(f"{headline} Sign in at {out['issuer']}/account")
    people = Table("email", "password", "role", title="Users (organization example.com, plus one consumer)")
    for u in out["users"]:
        people.add_row(u["email"], u["password"] or f"({u.get('note', '-')})", u["role"])
    console.print(people)
    console.print(f"[bold]Project {out['project']!r}[/bold] (one line per value, to copy):")
    for kind, c in out["clients"].items():
        console.print(f"  {kind} client_id:     {c['client_id']}", soft_wrap=True)
        if "client_secret" in c:
            secret = c["client_secret"] or "(not shown)"
            console.print(f"  {kind} client_secret: {secret}", soft_wrap=True)
            console.print(f"      {c['client_secret_note']}", soft_wrap=True, style="dim")
        for uri in c.get("redirect_uris", []) if kind == "web" else []:
            console.print(f"  {kind} redirect_uri:  {uri}", soft_wrap=True)
    console.print("Run `consentry demo --show` to print these again.")
    if "sample_data" in out:
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in out["sample_data"].items())
        console.print(f"Sample data for the /data/v1 APIs: {counts}.")
