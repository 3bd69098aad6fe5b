"""Turn cell results into the one table (plain text for the terminal, Markdown for results.md).

Ratios are Consentry's throughput over the peer's, from the same run (> 1 means Consentry is
faster); for the code round trip the throughput is completed round trips/s. A cell that is ERR shows
ERR and has no ratio: an erroring server has no throughput worth comparing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.harness.cell import CellResult
from bench.harness.workloads import Workload

SHORT = {
    "consentry-sqlite": "Consentry SQLite",
    "consentry-pg": "Consentry PG",
    "oidc-provider": "oidc-provider",
    "authlib": "Authlib",
}
CONSENTRY = ("consentry-sqlite", "consentry-pg")
PEERS = ("oidc-provider", "authlib")
RATIO_SHORT = {
    "consentry-sqlite": "C-SQLite",
    "consentry-pg": "C-PG",
    "oidc-provider": "oidc",
    "authlib": "Authlib",
}


@dataclass(frozen=True)
class Grid:
    headers: list[str]
    rows: list[list[str]]


def fmt_rate(value: float | None) -> str:
    return "ERR" if value is None else f"{value:,.0f}"


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def ratio(mine: float | None, theirs: float | None) -> float | None:
    if mine is None or theirs is None or theirs <= 0:
        return None
    return mine / theirs


def throughput(cell: CellResult | None, workload: Workload) -> float | None:
    """req/s, or round trips/s for round-trip workloads; None when the cell is missing or ERR."""
    if cell is None or not cell.ok or cell.report is None:
        return None
    if workload.round_trips:
        return cell.report.rate(cell.report.counters.get("round_trips", 0))
    return cell.report.requests_per_second


def ratio_pairs(servers: Sequence[str]) -> list[tuple[str, str]]:
    return [(mine, peer) for peer in PEERS for mine in CONSENTRY if mine in servers and peer in servers]


def main_grid(results: Sequence[CellResult], servers: Sequence[str], workloads: Sequence[Workload]) -> Grid:
    cells = {(r.server, r.workload): r for r in results if not r.size}
    pairs = ratio_pairs(servers)
    headers = ["workload"]
    for server in servers:
        headers += [f"{SHORT.get(server, server)} req/s", "p50 ms", "p99 ms"]
    headers += [f"{RATIO_SHORT[a]}/{RATIO_SHORT[b]}" for a, b in pairs]
    rows: list[list[str]] = []
    for workload in workloads:
        row = [workload.label + (": requests" if workload.round_trips else "")]
        for server in servers:
            cell = cells.get((server, workload.key))
            ok = cell is not None and cell.ok and cell.report is not None
            report = cell.report if ok and cell is not None else None
            row += [
                fmt_rate(report.requests_per_second if report else None),
                fmt_ms(report.p50_ms if report else None),
                fmt_ms(report.p99_ms if report else None),
            ]
        rates = {server: throughput(cells.get((server, workload.key)), workload) for server in servers}
        ratios = [fmt_ratio(ratio(rates[a], rates[b])) for a, b in pairs]
        if workload.round_trips:
            rows.append(row + [""] * len(pairs))
            extra = [workload.label + ": round trips/s"]
            for server in servers:
                extra += [fmt_rate(rates[server]), "", ""]
            rows.append(extra + ratios)
        else:
            rows.append(row + ratios)
    return Grid(headers, rows)


def markdown(grid: Grid) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    align = ["---"] + ["---:"] * (len(grid.headers) - 1)
    return "\n".join([line(grid.headers), line(align), *(line(row) for row in grid.rows)])


def plain(grid: Grid) -> str:
    widths = [max(len(row[i]) for row in [grid.headers, *grid.rows]) for i in range(len(grid.headers))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(grid.headers), rule, *(line(row) for row in grid.rows)])
