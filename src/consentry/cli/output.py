"""One way to print results: a JSON object with --json, a readable rich rendering without."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def emit(data: dict[str, Any], as_json: bool, title: str | None = None) -> None:
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    table = Table(title=title, show_header=False, box=None)
    for k, v in data.items():
        if isinstance(v, list | dict):
            v = json.dumps(v, default=str)
        table.add_row(f"[bold]{k}[/bold]", str(v))
    console.print(table)


#: Failures that are not the caller's doing (DESIGN.md: exit 1 server-side, exit 2 bad input).
SERVER_SIDE = frozenset({"database_error", "interrupted", "secret_key_mismatch", "smtp_error"})


def fail(code: str, message: str, as_json: bool, *, exit_code: int | None = None) -> None:
    """Print the error (one JSON object with --json) and exit: 2 for bad input, 1 for ours."""
    if as_json:
        typer.echo(json.dumps({"error": code, "message": message}))
    else:
        err_console.print(f"[red]error:[/red] {escape(message)}")  # messages repeat what was typed
    raise typer.Exit(exit_code if exit_code is not None else (1 if code in SERVER_SIDE else 2))
