"""``consentry legacy report``: which apps still use which legacy protocol, to move them to OAuth 2.0."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from consentry.cli.context import unit_of_work
from consentry.cli.output import console, emit, fail
from consentry.domain.legacy.report import usage
from consentry.domain.legacy.switches import PROTOCOLS, enabled

legacy_app = typer.Typer(
    help="The legacy protocols: OAuth 1.0a, AuthSub, ClientLogin, the widget proxy.", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _when(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")


@legacy_app.command(
    "report", help="Apps that got legacy tokens in the last N days, per protocol, newest first."
)
def report(
    days: Annotated[int, typer.Option("--days", metavar="N", help="Look back N days (1 to 3650).")] = 30,
    json_: JsonOpt = False,
) -> None:
    if not 1 <= days <= 3650:
        fail("invalid_days", "--days is between 1 and 3650", json_, exit_code=2)
    with unit_of_work(json_) as (session, settings, _h):
        rows = usage(session, days=days)
        switches = {p: enabled(settings, p) for p in PROTOCOLS}
    if json_:
        emit({"days": days, "enabled": switches, "apps": [r.as_dict() for r in rows]}, json_)
        return
    on = ", ".join(f"{p} {'on' if v else 'off'}" for p, v in switches.items())
    console.print(f"Legacy protocols on this server: {on}")
    if not rows:
        console.print(f"No app got a legacy token in the last {days} days.")
        return
    table = Table(title=f"Apps on legacy protocols, last {days} days")
    for col in ("Protocol", "Project", "Client", "Source / name", "Tokens", "Users", "Live", "Last issued"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.protocol,
            r.project,
            r.client_id,
            r.source or "-",
            str(r.tokens_issued),
            str(r.users),
            str(r.live_tokens),
            _when(r.last_issued_at),
        )
    console.print(table)
    console.print("Move each to OAuth 2.0: docs/legacy/index.md, or /help/legacy on this server.")
