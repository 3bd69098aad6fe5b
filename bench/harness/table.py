"""Turn cell results into the one table (plain text for the terminal, Markdown for results.md).

Ratios are Consentry's throughput over the peer's, from the same run (> 1 means Consentry is
faster); for the code round trip the throughput is completed round trips/s. A cell that is ERR shows
ERR and has no ratio: an erroring server has no throughput worth comparing.

With several rounds (``--rounds``) req/s, p50 and p99 are medians over the rounds, and a ratio is the
median of the per-round ratios with their range: the machine's speed drifts 10-15% over minutes, and a
round's cells ran back to back, so a per-round ratio cancels most of the drift that a ratio of medians
would keep. A cell with any ERR round is ERR.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from bench.harness.cell import CellResult
from bench.harness.workloads import Workload
from bench.harness.wrk_report import WrkReport

SHORT = {
    "consentry-sqlite": "Consentry SQLite",
    "consentry-pg": "Consentry PG",
    "oidc-provider": "oidc-provider",
    "oidc-provider-pg": "oidc-provider PG",
    "authlib": "Authlib",
}
CONSENTRY = ("consentry-sqlite", "consentry-pg")
PEERS = ("oidc-provider", "oidc-provider-pg", "authlib")
RATIO_SHORT = {
    "consentry-sqlite": "C-SQLite",
    "consentry-pg": "C-PG",
    "oidc-provider": "oidc",
    "oidc-provider-pg": "oidc-PG",
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


def fmt_ratios(values: Sequence[float | None]) -> str:
    """One round: as fmt_ratio. Several: the median and the range, e.g. ``0.95x (0.88-1.03)``.

    Any round without a ratio (an ERR cell on either side) leaves the whole column "-".
    """
    if len(values) == 1:
        return fmt_ratio(values[0])
    known = [v for v in values if v is not None]
    if len(known) < len(values) or not known:
        return "-"
    return f"{median(known):.2f}x ({min(known):.2f}-{max(known):.2f})"


def median_of(values: Sequence[float | None]) -> float | None:
    """The median over rounds; None (ERR) when any round is missing or ERR."""
    if not values or any(v is None for v in values):
        return None
    return median(v for v in values if v is not None)


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
    """The main table; the number of rounds is the highest round among ``results`` (1: as ever)."""
    main = [r for r in results if not r.size]
    rounds = range(1, max((r.round for r in main), default=1) + 1)
    cells = {(r.server, r.workload, r.round): r for r in main}
    pairs = ratio_pairs(servers)
    headers = ["workload"]
    for server in servers:
        headers += [f"{SHORT.get(server, server)} req/s", "p50 ms", "p99 ms"]
    headers += [f"{RATIO_SHORT[a]}/{RATIO_SHORT[b]}" for a, b in pairs]
    rows: list[list[str]] = []
    for workload in workloads:
        row = [workload.label + (": requests" if workload.round_trips else "")]
        # per server, per round: the reports of clean cells (None for ERR or missing) and throughputs
        reports = {s: [_report(cells.get((s, workload.key, n))) for n in rounds] for s in servers}
        rates = {s: [throughput(cells.get((s, workload.key, n)), workload) for n in rounds] for s in servers}
        for server in servers:
            runs = reports[server]
            row += [
                fmt_rate(median_of([r.requests_per_second if r else None for r in runs])),
                fmt_ms(median_of([r.p50_ms if r else None for r in runs])),
                fmt_ms(median_of([r.p99_ms if r else None for r in runs])),
            ]
        ratios = [
            fmt_ratios([ratio(x, y) for x, y in zip(rates[a], rates[b], strict=True)]) for a, b in pairs
        ]
        if workload.round_trips:
            rows.append(row + [""] * len(pairs))
            extra = [workload.label + ": round trips/s"]
            for server in servers:
                extra += [fmt_rate(median_of(rates[server])), "", ""]
            rows.append(extra + ratios)
        else:
            rows.append(row + ratios)
    return Grid(headers, rows)


def _report(cell: CellResult | None) -> WrkReport | None:
    """The report of a clean cell; None when the cell is missing or ERR."""
    return cell.report if cell is not None and cell.ok else None


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
