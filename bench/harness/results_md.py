"""Compose bench/results.md: the latest table with the date, the commit and the machine.

bench/run rewrites the file on every run, so it always holds one run, described well enough to be
reproduced or doubted (settings, load average before and after, every ERR reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.harness.cell import CellResult
from bench.harness.machine import Machine
from bench.harness.scale import BackendScale, purge_grid, scale_grid
from bench.harness.table import SHORT, Grid, markdown
from bench.harness.wrk_runner import Load

#: A 1-minute load average above this (on top of the benchmark's own load) makes a run noisy.
BUSY_LOAD = 0.7
#: Appended to the table's legend with several rounds: what the medians and the ranges are.
ROUNDS_NOTE = (
    " With several rounds: req/s, p50 and p99 are medians over the rounds; a ratio is the median of the"
    " per-round ratios (each from cells that ran back to back), then their range."
)


@dataclass(frozen=True)
class RunInfo:
    machine: Machine
    load: Load
    seconds: float
    warmup: float
    server_cpu: int
    load_before: float
    load_after: float
    command: str
    #: ``--rounds``: how many times each cell was measured (1: the header says nothing of rounds).
    rounds: int = 1


def noisy(info: RunInfo) -> bool:
    return info.load_before > BUSY_LOAD


def problem_lines(results: Sequence[CellResult], scale: Sequence[BackendScale]) -> list[str]:
    """One line per ERR cell; with several rounds one per ERR round, naming it (logs are in round-<n>/)."""
    lines = []
    several = any(cell.round > 1 for cell in results)
    for cell in results:
        if not cell.ok:
            size = f" [{cell.size}]" if cell.size else ""
            round_ = f" (round {cell.round})" if several else ""
            lines.append(f"- {cell.workload} @ {cell.server}{size}{round_}: {'; '.join(cell.problems)}")
    for backend in scale:
        for problem in backend.problems:
            lines.append(f"- scale @ {backend.server}: {problem}")
        for cell in backend.cells:
            if not cell.ok:
                lines.append(
                    f"- scale {cell.workload} @ {cell.server} [{cell.size}]: {'; '.join(cell.problems)}"
                )
    return lines


def render(
    info: RunInfo,
    main: Grid,
    durably: dict[str, str],
    results: Sequence[CellResult],
    scale: Sequence[BackendScale],
) -> str:
    m = info.machine
    out = [
        "# Benchmark results",
        "",
        "Written by `bench/run` (see bench/README.md); every run replaces this file.",
        "",
        f"- Date: {m.date}",
        f"- Commit: {m.commit}",
        f"- Machine: {m.cores} cores, {m.cpu}, Linux {m.kernel}",
        f"- Versions: Python {m.python}, Node {m.node}, {m.wrk}, {m.postgres}",
        f"- Command: `{info.command}`",
        f"- Load: wrk -t{info.load.threads} -c{info.load.connections} on core {info.load.cpu}; "
        f"servers (and PostgreSQL) on core {info.server_cpu}; {info.warmup:g} s warm-up, "
        f"{info.seconds:g} s measured per cell"
        + (f"; {info.rounds} rounds per cell, interleaved" if info.rounds > 1 else ""),
        f"- 1-minute load average: {info.load_before:.2f} before, {info.load_after:.2f} after",
    ]
    if noisy(info):
        out += [
            "",
            f"**Noisy run**: the machine was already busy (load average {info.load_before:.2f} before the "
            "run started), so these numbers understate every server and compare less exactly.",
        ]
    out += [
        "",
        "## Same run, same workloads",
        "",
        "req/s = responses/s; p50/p99 = request latency (ms); ratios = Consentry's throughput / the "
        "peer's (> 1: Consentry faster; for the code round trip, round trips/s)."
        + (ROUNDS_NOTE if info.rounds > 1 else ""),
        "",
        markdown(main),
        "",
        "What each server stores durably:",
        "",
    ]
    out += [f"- {SHORT.get(key, key)}: {text}" for key, text in durably.items()]
    if scale:
        out += ["", "## Scale", "", markdown(scale_grid(scale)), "", markdown(purge_grid(scale))]
    problems = problem_lines(results, scale)
    out += ["", "## Errors", ""]
    out += problems if problems else ["None: every response of every cell had the expected status and body."]
    return "\n".join(out) + "\n"
