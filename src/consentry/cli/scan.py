"""``consentry scan PATH``: the scopes a source tree requests and what verification they need (SCOPE-5)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from consentry.cli.output import console, emit, err_console, fail

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
PROGRESS_FROM = 2000  # files; smaller trees finish before a bar is worth drawing
MAX_LOCATIONS = 10  # per table cell
STYLE = {"restricted": "red", "sensitive": "yellow", "non-sensitive": "green"}


class FailOn(StrEnum):
    non_sensitive = "non-sensitive"
    sensitive = "sensitive"
    restricted = "restricted"


@contextmanager
def _progress(enabled: bool) -> Iterator[tuple[Any, Any]]:
    """Callbacks for ``scan``: a transient bar on stderr when a person is watching."""
    if not enabled:
        yield None, None
        return
    bar = Progress(
        TextColumn("scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    task = bar.add_task("scan", total=None)

    def discovered(total: int) -> None:
        if total >= PROGRESS_FROM:
            bar.update(task, total=total)
            bar.start()

    try:
        yield discovered, lambda n: bar.advance(task, n)
    finally:
        bar.stop()


def _cell(items: list[str], limit: int = 0) -> str:
    """One item per line; past ``limit`` a count (``--json`` has every location)."""
    shown = items[:limit] if limit and len(items) > limit + 1 else items
    more = [f"... {len(items) - len(shown)} more"] if len(shown) < len(items) else []
    return "\n".join(escape(i) for i in shown + more) or "-"


def _files(n: int) -> str:
    return f"{n} file" + ("" if n == 1 else "s")


def _where(found: list[dict[str, Any]]) -> list[str]:
    return [f"{loc['file']}:{loc['line']}" for loc in found]


def _render(report: dict[str, Any], seconds: float) -> None:
    console.print(
        f"[bold]{escape(report['path'])}[/bold]: {_files(report['files_scanned'])} scanned, "
        f"{report['files_skipped']} skipped, {seconds:.2f} s"
    )
    scopes = Table(
        Column("scope", no_wrap=True),
        Column("class", no_wrap=True),
        "verification",
        Column("requested at", overflow="fold"),
        "narrower alternatives",
        title="Scopes",
    )
    for s in report["scopes"]:
        style = STYLE[s["class"]]
        scopes.add_row(
            escape(s["scope"]),
            f"[{style}]{s['class']}[/{style}]",
            s["verification"],
            _cell(_where(s["locations"]), MAX_LOCATIONS),
            _cell(s["narrower"]),
        )
    console.print(scopes if report["scopes"] else "No scopes found.")
    ops = Table(
        Column("operation", no_wrap=True),
        "call",
        Column("called at", overflow="fold"),
        title="Data-API operations",
    )
    for o in report["operations"]:
        call = f"{o['method']} {escape(o['path'])}"
        ops.add_row(o["operation"], call, _cell(_where(o["locations"]), MAX_LOCATIONS))
    console.print(ops if report["operations"] else "No data-API operations found.")
    advice = report["advice"]
    console.print(f"[bold]Advice:[/bold] {escape(advice['summary'])}")
    for label in ("suggested", "conditions", "unneeded", "uncovered"):
        if advice[label]:
            console.print(f"  {label}: {escape(', '.join(advice[label]))}")
    top = report["highest_class"]
    if top:
        console.print(
            f"[bold]Highest class:[/bold] [{STYLE[top]}]{top}[/{STYLE[top]}] "
            f"-> verification: {report['verification']}"
        )


def scan_command(
    path: Annotated[str, typer.Argument(help="Folder (or file) to scan.")],
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Exit 1 when a scope of this class or higher is requested."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Processes; default: one per core on large trees.")] = 0,
    json_: JsonOpt = False,
) -> None:
    """Find the scopes a source tree requests, their classes, and the verification they trigger."""
    from consentry.domain.scopes.catalogue import Catalogue
    from consentry.domain.scopes.scanner import build_report, scan
    from consentry.domain.scopes.scanner.report import at_or_above
    from consentry.settings import Settings

    if not os.path.exists(path):
        try:
            fail("invalid_path", f"no such file or folder: {path}", json_)
        except typer.Exit:
            raise typer.Exit(2) from None  # a usage error, as click reports bad arguments
    # Only the issuer is needed (for the URIs shown); the full Settings would complain about
    # secrets a scan in someone's CI never uses.
    catalogue = Catalogue(os.environ.get("CONSENTRY_ISSUER") or str(Settings.model_fields["issuer"].default))
    started = time.perf_counter()
    with _progress(not json_ and sys.stderr.isatty()) as (discovered, advance):
        result = scan(path, catalogue, workers=workers or None, progress=advance, on_discovered=discovered)
    report = build_report(result, catalogue)
    if json_:
        emit(report, True)
    else:
        _render(report, time.perf_counter() - started)
    if fail_on is not None:
        tripped = at_or_above([catalogue.by_name[s["scope"]] for s in report["scopes"]], fail_on.value)
        if tripped:
            if not json_:
                err_console.print(
                    f"[red]fail:[/red] {len(tripped)} scope(s) at or above {fail_on.value}: "
                    + ", ".join(s.name for s in tripped)
                )
            raise typer.Exit(1)
