"""Measure one (server, workload) cell: warm up, measure, judge.

The warm-up is a short wrk run of the same workload (its numbers are discarded but its responses are
judged too: a server that errs while warming up is not healthy). Refresh cells get a fresh token pool
for each of the two runs, since the first one spends (rotates) the tokens it was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import workloads as wl
from bench.harness.oauth_http import FlowError
from bench.harness.targets.base import CellPlan, Target
from bench.harness.verdict import problems
from bench.harness.workloads import Workload
from bench.harness.wrk_report import WrkReport
from bench.harness.wrk_runner import Load, WrkFailed, run_wrk, write_config


@dataclass
class CellResult:
    server: str
    workload: str
    size: str = ""
    report: WrkReport | None = None
    problems: list[str] = field(default_factory=list)
    #: 1-based round of ``--rounds``: the table pairs cells of one round, which ran back to back.
    round: int = 1

    @property
    def ok(self) -> bool:
        return self.report is not None and not self.problems


@dataclass(frozen=True)
class Timing:
    seconds: float
    warmup: float


def pool_size(load: Load) -> int:
    """Refresh tokens per run: twice the connections, so every connection always finds one."""
    return max(2 * load.connections, load.connections + 8 * load.threads)


def write_plan(plan: CellPlan, where: Path) -> Path:
    """The plan's config file for the Lua script (and its refresh pool beside it), in ``where``."""
    where.mkdir(parents=True, exist_ok=True)
    config = dict(plan.config)
    if plan.pool is not None:
        pool = where / "pool.txt"
        pool.write_text("".join(token + "\n" for token in plan.pool))
        config["pool"] = str(pool)
    return write_config(where / "config.txt", config)


def _run(target: Target, plan: CellPlan, load: Load, seconds: float, where: Path) -> WrkReport:
    config = write_plan(plan, where)
    return run_wrk(load, plan.script, target.setup.base_url, seconds, config, where / "wrk.log")


def measure(
    target: Target, workload: Workload, load: Load, timing: Timing, where: Path, size: str = ""
) -> CellResult:
    result = CellResult(target.key, workload.key, size)
    try:
        plan = target.plan(workload, pool_size(load))
        if timing.warmup > 0:
            warm = _run(target, plan, load, timing.warmup, where / "warmup")
            result.problems += [f"warm-up: {p}" for p in problems(warm, plan.expect)]
            if workload is wl.REFRESH:
                plan = target.plan(workload, pool_size(load))
        result.report = _run(target, plan, load, timing.seconds, where / "measure")
        result.problems += problems(result.report, plan.expect)
    except (WrkFailed, FlowError) as exc:
        result.problems.append(str(exc))
    except Exception as exc:  # a dead server, a refused connection: the cell is ERR, the run goes on
        result.problems.append(f"{type(exc).__name__}: {exc}")
    return result
