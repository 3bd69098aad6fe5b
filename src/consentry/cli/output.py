"""One way to print results: a JSON object with --json, a readable rich rendering without."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
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


def fail(code: str, message: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"error": code, "message": message}))
    else:
        err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)
