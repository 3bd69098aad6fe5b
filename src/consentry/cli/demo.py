"""``consentry demo``: sample data a newcomer can sign in with straight away."""

from __future__ import annotations

from typing import Annotated

import typer

from consentry.cli.context import unit_of_work
from consentry.cli.output import console, emit
from consentry.domain.accounts import service as accounts
from consentry.domain.clients import service as clients

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
        accounts.add_user(session, "carol@consumer.test", "carol-demo-password", name="Carol Consumer")
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
        out = {
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
        }
    if not json_:
        console.print(
            "[bold green]Demo data loaded.[/bold green] Sign in at "
            f"{settings.issuer_url}/account with one of these (secrets are shown only now):"
        )
    emit(out, json_)
