"""``consentry demo``: sample data a newcomer can sign in with straight away."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from consentry.cli.context import unit_of_work
from consentry.cli.output import console, emit
from consentry.domain.accounts import service as accounts
from consentry.domain.clients import service as clients
from consentry.domain.data import sample

DEMO_USERS = [
    ("alice@example.com", "alice-demo-password", "admin", "Alice Admin"),
    ("bob@example.com", "bob-demo-password", "user", "Bob Builder"),
    ("rita@example.com", "rita-demo-password", "reviewer", "Rita Reviewer"),
]
DEMO_PROJECT = "Demo Mail Organizer"


def demo(json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False) -> None:
    with unit_of_work(json_) as (session, settings, hasher):
        if clients.find_project(session, DEMO_PROJECT) is not None:
            emit({"demo": "already loaded", "project": DEMO_PROJECT}, json_)
            return
        accounts.add_org(session, "example.com", "Example Corp")
        users = [
            accounts.add_user(session, e, p, name=n, org_domain="example.com", role=r)
            for e, p, r, n in DEMO_USERS
        ]
        users.append(
            accounts.add_user(session, "carol@consumer.test", "carol-demo-password", name="Carol Consumer")
        )
        sample_counts = sample.seed(session, users)
        project = clients.create_project(session, DEMO_PROJECT, users[0], status="production")
        web = clients.create_client(
            session,
            hasher,
            project,
            "web",
            name="Demo Mail Organizer",
            redirect_uris=["http://127.0.0.1:8765/callback", "https://oauth.pstmn.io/v1/callback"],
        )
        installed = clients.create_client(session, hasher, project, "installed", name="Demo Desktop App")
        device = clients.create_client(session, hasher, project, "device", name="Demo TV App")
        out: dict[str, Any] = {
            "organization": "example.com",
            "users": [{"email": e, "password": p, "role": r} for e, p, r, _n in DEMO_USERS]
            + [{"email": "carol@consumer.test", "password": "carol-demo-password", "role": "user"}],
            "project": DEMO_PROJECT,
            "clients": {
                "web": {
                    "client_id": web.client.client_id,
                    "client_secret": web.client_secret,
                    "redirect_uris": web.client.redirect_uris,
                },
                "installed": {"client_id": installed.client.client_id},
                "device": {"client_id": device.client.client_id},
            },
            "issuer": settings.issuer_url,
            "sample_data": sample_counts,
        }
    if json_:
        emit(out, True)
        return
    console.print(f"[bold green]Demo data loaded.[/bold green] Sign in at {settings.issuer_url}/account")
    people = Table("email", "password", "role", title="Users (organization example.com, plus one consumer)")
    for u in out["users"]:
        people.add_row(u["email"], u["password"], u["role"])
    console.print(people)
    console.print(f"[bold]Project {DEMO_PROJECT!r}[/bold] (one line per value, to copy):")
    for kind, c in out["clients"].items():
        console.print(f"  {kind} client_id:     {c['client_id']}", soft_wrap=True)
        if c.get("client_secret"):
            console.print(f"  {kind} client_secret: {c['client_secret']}", soft_wrap=True)
        for uri in c.get("redirect_uris", []):
            console.print(f"  {kind} redirect_uri:  {uri}", soft_wrap=True)
    console.print("The client secret is shown only now; Consentry stores a keyed hash of it.")
    counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sample_counts.items())
    console.print(f"Sample data for the /data/v1 APIs: {counts}.")
