"""The main run: every selected workload against every selected server, interleaved.

All servers are started first (idle ones cost nothing on the server core), then each workload runs
against each server in turn, so a burst of outside load (this machine is shared) hits all servers of
that workload rather than one server's whole column. Each cell is prepared right before it runs:
oidc-provider's in-memory LRU forgets tokens and sessions under load, so nothing is prepared early.

With ``--rounds N`` each workload runs N rounds of every server in turn (round 1 of every server, then
round 2 in the reverse order, ...): the machine's speed drifts over minutes, and cells of one round ran
back to back, so the table compares servers round by round (see table.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.harness.cell import CellResult, Timing, measure
from bench.harness.progress import say
from bench.harness.targets.authlib_peer import AuthlibTarget
from bench.harness.targets.base import Target
from bench.harness.targets.consentry import ConsentryTarget
from bench.harness.targets.oidc_provider import OidcProviderTarget
from bench.harness.workloads import Workload
from bench.harness.wrk_runner import Load

SERVERS = ("consentry-sqlite", "consentry-pg", "oidc-provider", "oidc-provider-pg", "authlib")


def select_servers(names: str | None) -> tuple[str, ...]:
    if not names:
        return SERVERS
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in SERVERS]
    if unknown:
        raise ValueError(f"unknown server(s) {', '.join(unknown)}; choose from {', '.join(SERVERS)}")
    return tuple(s for s in SERVERS if s in wanted)


def make_target(name: str, workdir: Path, cpu: int, venv_bin: Path) -> Target:
    if name == "consentry-sqlite":
        return ConsentryTarget(workdir / name, cpu, "sqlite", venv_bin)
    if name == "consentry-pg":
        return ConsentryTarget(workdir / name, cpu, "postgres", venv_bin)
    if name == "oidc-provider":
        return OidcProviderTarget(workdir / name, cpu)
    if name == "oidc-provider-pg":
        return OidcProviderTarget(workdir / name, cpu, durable=True)
    if name == "authlib":
        return AuthlibTarget(workdir / name, cpu, venv_bin)
    raise ValueError(name)


def summary(cell: CellResult) -> str:
    if cell.report is None or not cell.ok:
        return "ERR: " + "; ".join(cell.problems)
    report = cell.report
    line = f"{report.requests_per_second:,.0f} req/s, p50 {report.p50_ms:.2f} ms, p99 {report.p99_ms:.2f} ms"
    if "round_trips" in report.counters:
        line += f", {report.rate(report.counters['round_trips']):,.0f} round trips/s"
    return line


def cell_dir(where: Path, server: str, workload: str, round_: int, rounds: int) -> Path:
    """A cell's work directory; ``round-<n>`` below it only with several rounds (one round: as ever)."""
    base = where / server / workload
    return base / f"round-{round_}" if rounds > 1 else base


def cell_name(workload: str, server: str, round_: int, rounds: int) -> str:
    """How progress lines name a cell: with its round only when there are several."""
    return f"{workload} @ {server}" + (f" (round {round_}/{rounds})" if rounds > 1 else "")


def run_matrix(
    targets: Sequence[Target],
    workloads: Sequence[Workload],
    load: Load,
    timing: Timing,
    where: Path,
    rounds: int = 1,
) -> list[CellResult]:
    results: list[CellResult] = []
    running: list[Target] = []
    try:
        for target in targets:
            say(f"starting {target.key}")
            try:
                target.start()
                running.append(target)
            except Exception as exc:
                target.stop()
                say(f"{target.key} failed to start: {exc}")
                results += [
                    CellResult(target.key, w.key, problems=[f"server did not start: {exc}"], round=n)
                    for w in workloads
                    for n in range(1, rounds + 1)
                ]
        for workload in workloads:
            for n in range(1, rounds + 1):
                # Every other round in reverse, so that no server always runs first (warm caches,
                # a quiet minute) or always right after a particular peer.
                for target in running if n % 2 else running[::-1]:
                    results.append(run_cell(target, workload, load, timing, where, n, rounds))
    finally:
        for target in reversed(running):
            target.stop()
    return results


def run_cell(
    target: Target, workload: Workload, load: Load, timing: Timing, where: Path, round_: int, rounds: int
) -> CellResult:
    """One round of one cell, ERR without measuring when the server is already gone."""
    name = cell_name(workload.key, target.key, round_, rounds)
    if dead := target.health():
        say(f"{name}: ERR, server gone: {dead}")
        return CellResult(target.key, workload.key, problems=[f"server gone: {dead}"], round=round_)
    say(f"{name}: warm-up {timing.warmup:g}s, measure {timing.seconds:g}s")
    cell = measure(target, workload, load, timing, cell_dir(where, target.key, workload.key, round_, rounds))
    cell.round = round_
    if dead := target.health():
        cell.problems.append(f"server gone during the cell: {dead}")
    say(f"{name}: {summary(cell)}")
    return cell
