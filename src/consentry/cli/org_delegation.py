"""``consentry org delegate DOMAIN CLIENT_ID --scope S ...`` and ``consentry org undelegate``
(domain-wide delegation, AUTH2-5); ``consentry org delegations DOMAIN`` lists the entries.

Added to the ``org`` app of cli/accounts.py; domain/orgs/delegation.py does the work.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from consentry.cli.accounts import org_app
from consentry.cli.context import unit_of_work
from consentry.cli.output import console, emit
from consentry.domain.audit.tags import Channel
from consentry.domain.orgs import delegation

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
#: Who the audit log names for a change made here.
ACTOR = "cli"


@org_app.command(
    "delegate",
    help="Let a service account act for the organization's users in these scopes (replaces an "
    "earlier entry's scopes).",
)
def org_delegate(
    domain: str,
    client_id: str,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="A scope name or URI (repeat: --scope A --scope B).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    with unit_of_work(json_) as (session, _s, _h):
        row = delegation.delegate(
            session,
            org_domain=domain,
            client_id=client_id,
            scopes=list(scope or []),
            actor=ACTOR,
            channel=Channel.CLI,
        )
        out = {"domain": domain.strip().lower(), "client_id": client_id, "scopes": list(row.scopes)}
    emit(out, json_)


@org_app.command("undelegate", help="Remove a service account's delegation; its user tokens stop working.")
def org_undelegate(domain: str, client_id: str, json_: JsonOpt = False) -> None:
    with unit_of_work(json_) as (session, _s, _h):
        removed = delegation.undelegate(
            session, org_domain=domain, client_id=client_id, actor=ACTOR, channel=Channel.CLI
        )
    emit({"domain": domain.strip().lower(), "client_id": client_id, "removed": removed}, json_)


@org_app.command("delegations", help="The organization's domain-wide delegation entries.")
def org_delegations(domain: str, json_: JsonOpt = False) -> None:
    with unit_of_work(json_) as (session, _s, _h):
        out: dict[str, Any] = {
            "domain": domain.strip().lower(),
            "delegations": delegation.delegations(session, domain),
        }
    if json_:
        emit(out, True)
        return
    table = Table("client_id", "service account", "scopes", "state", title=f"Delegation in {out['domain']}")
    for d in out["delegations"]:
        table.add_row(d["client_id"], d["client_email"] or "-", "\n".join(d["scopes"]), d["state"])
    console.print(table)
