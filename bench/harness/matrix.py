"""The main run: every selected workload against every selected server, interleaved.

All servers are started first (idle ones cost nothing on the server core), then each workload runs
against each server in turn, so a burst of outside load (this machine is shared) hits all servers of
that workload rather than one server's whole column. Each cell is prepared right before it runs:
oidc-provider's in-memory LRU forgets tokens and sessions under load, so nothing is prepared early.
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

SERVERS = ("consentry-sqlite", "consentry-pg", "oidc-provider", "authlib")


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


def run_matrix(
    targets: Sequence[Target], workloads: Sequence[Workload], load: Load, timing: Timing, where: Path
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
                    CellResult(target.key, w.key, problems=[f"server did not start: {exc}"])
                    for w in workloads
                ]
        for workload in workloads:
            for target in running:
                if dead := target.health():
                    results.append(CellResult(target.key, workload.key, problems=[f"server gone: {dead}"]))
                    say(f"{workload.key} @ {target.key}: ERR, server gone: {dead}")
                    continue
                say(f"{workload.key} @ {target.key}: warm-up {timing.warmup:g}s, measure {timing.seconds:g}s")
                cell = measure(target, workload, load, timing, where / target.key / workload.key)
                if dead := target.health():
                    cell.problems.append(f"server gone during the cell: {dead}")
                results.append(cell)
                say(f"{workload.key} @ {target.key}: {summary(cell)}")
    finally:
        for target in reversed(running):
            target.stop()
    return results
