"""Server CPU per response of two Consentry trees served side by side, for changes of a few percent.

Or of Consentry against a peer (``--peer oidc-provider-pg``): the same measurement, both servers on
one core at once, which prices a request in CPU where bench/run prices it in throughput.

bench/run measures throughput against the peers; on this shared machine its runs drift by 10-15%
from minute to minute, far more than a change of a few microseconds per request. Here both trees
run at once, each as ``consentry serve --workers 1`` on the same core (``--cpu``), each under its own
wrk (c=32) on another core, so that whatever the machine does to one it does to the other. Each round
prints each server's CPU per answered request (``/proc/<pid>/stat``: user + system, every thread;
with ``--backend postgres`` its own PostgreSQL's processes too, which share the core),
and the end the medians and the ratio B/A per round. A tree is given as the directory to put first on
``PYTHONPATH`` (a worktree's ``src``); an empty string is the installed tree. Every response is
checked as bench/run checks it (the same plan of each workload: its request, its Lua script and
its expected statuses, bodies and counters); a round with any wrong response stops the run. The code
flow is priced per round trip, everything else per response.

Sharing the core halves each server's throughput, so each one's batches are smaller and its CPU per
token is higher than alone: compare the two columns with each other, not with bench/run.
The side whose wrk starts first comes out cheaper: with the same tree on both sides and A's load
always started first, the median B/A of four runs was 1.02-1.10 (mean 1.05); with B's first, 0.98-1.04
(mean 1.00) (2026-12-03). So the order alternates from round to round, and the rounds default to an
even number. Three same-tree runs of six rounds then gave medians of 1.02, 0.94 and 1.01 (rounds
0.89-1.13): a change shows when its rounds fall outside that, all the same way. For a change of a few
percent, run it again with the trees swapped.

Examples (the tree before a change against the working tree; the working tree against the durable
oidc-provider)::

    git worktree add /tmp/before HEAD~1
    PYTHONPATH=. .venv/bin/python bench/ab_cpu.py /tmp/before/src "" --workload discovery
    PYTHONPATH=. .venv/bin/python bench/ab_cpu.py "" --peer oidc-provider-pg --backend postgres

The same tree under another interpreter (a virtualenv made with a newer Python and
``pip install -e . -c constraints.txt``)::

    PYTHONPATH=. .venv/bin/python bench/ab_cpu.py "" "" --venv-b /tmp/py313 --backend postgres
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import workloads as wl
from bench.harness.cell import pool_size, write_plan
from bench.harness.matrix import make_target
from bench.harness.table import PEERS
from bench.harness.targets.base import CellPlan, Target
from bench.harness.targets.consentry import ConsentryTarget
from bench.harness.verdict import problems
from bench.harness.workloads import Workload
from bench.harness.wrk_report import WrkReport, parse_report
from bench.harness.wrk_runner import Load, command

HERE = Path(__file__).resolve().parent
VENV_BIN = HERE.parent / ".venv" / "bin"
HZ = os.sysconf("SC_CLK_TCK")
WORKLOADS = {workload.key: workload for workload in wl.ALL}


def _ticks(pid: int, reaped: bool = False) -> int:
    """User and system ticks of ``pid``; with ``reaped``, also of the children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11 : 15 if reaped else 13])


def _family_ticks(pid: int) -> int:
    """``pid`` and its children (PostgreSQL's postmaster and the backends it forked), live or
    reaped: a backend or autovacuum worker that exits between two readings moves its ticks from the
    live children to its parent's reaped total, so none are lost and the sum never goes down."""
    total = _ticks(pid, reaped=True)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(FileNotFoundError):  # gone since it was listed
                total += _ticks(int(child))
    return total


def _cpu_ticks(target: Target) -> int:
    """The server's CPU, and with PostgreSQL the database's too: on the one core they share, both
    are what a request costs."""
    return sum(_family_ticks(process.pid) for process in target.processes())


def _wrk(target: Target, plan: CellPlan, load: Load, seconds: int, where: Path) -> subprocess.Popen[str]:
    """wrk on ``plan``, started and not waited for (both sides run at once)."""
    argv = command(load, plan.script, target.setup.base_url, seconds, write_plan(plan, where))
    return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)


def answered(report: WrkReport, plan: CellPlan, workload: Workload) -> tuple[int, list[str]]:
    """What one side answered: round trips for the code flow, else responses; and what was wrong
    (bench/run's verdict on the same plan), which must be nothing."""
    count = report.counters.get("round_trips", 0) if workload.round_trips else report.requests
    return count, problems(report, plan.expect)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _both(
    sides: list[Target], plans: list[CellPlan], load: Load, seconds: int, where: Path, b_first: bool = False
) -> list[WrkReport]:
    """One wrk per side, at once; their reports (A's, B's). The side whose wrk starts first measured
    cheaper (see the module's docstring), so callers alternate ``b_first`` from round to round."""
    order = (1, 0) if b_first else (0, 1)
    runs = {side: _wrk(sides[side], plans[side], load, seconds, where / "ab"[side]) for side in order}
    return [parse_report(runs[side].communicate()[0]) for side in (0, 1)]


def _refuse_wrong(reports: list[WrkReport], plans: list[CellPlan], workload: Workload) -> list[int]:
    """Each side's count of answers; exits on any wrong one (bench/run's verdict)."""
    counts = []
    for side, report in enumerate(reports):
        count, wrong = answered(report, plans[side], workload)
        if wrong or not count:
            sys.exit(f"side {'AB'[side]} answered wrongly: {'; '.join(wrong) or 'nothing'}")
        counts.append(count)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("tree_a", help='PYTHONPATH entry for tree A ("" for the installed tree)')
    parser.add_argument("tree_b", nargs="?", help="PYTHONPATH entry for tree B (or --peer)")
    parser.add_argument("--peer", choices=PEERS, help="side B is this bench/run server, not a Consentry tree")
    parser.add_argument(
        "--venv-b",
        type=lambda given: Path(given).resolve(),  # the servers run from another directory
        help="side B's interpreter: another virtualenv with Consentry installed (one on a newer Python)",
    )
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="cc-token")
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgres"],
        help="Consentry's database (default: postgres against oidc-provider-pg, else sqlite)",
    )
    parser.add_argument("--rounds", type=_positive, default=6, help="even: each side starts first as often")
    parser.add_argument("--seconds", type=_positive, default=6, help="length of each round")
    parser.add_argument("--cpu", type=int, default=0, help="the core both servers share")
    parser.add_argument("--load-cpu", type=int, default=1, help="the core both wrk processes share")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end, nothing else")
    args = parser.parse_args()
    if (args.tree_b is None) == (args.peer is None):
        parser.error("give exactly one of tree_b or --peer")
    if args.venv_b and args.peer:
        parser.error("--venv-b is side B's Consentry interpreter: not with --peer")
    if args.rounds % 2 and not args.json:
        print(f"note: {args.rounds} rounds: side A starts first once more than B", file=sys.stderr)
    backend = args.backend or ("postgres" if args.peer == "oidc-provider-pg" else "sqlite")
    workload = WORKLOADS[args.workload]
    load = Load(connections=32, threads=1, cpu=args.load_cpu)

    base = os.environ.get("PYTHONPATH", "")
    sides: list[Target] = []
    per_answer: list[list[float]] = [[], []]
    workdir = Path(tempfile.mkdtemp(prefix="ab-cpu-"))
    try:
        for side, tree in enumerate((args.tree_a, args.tree_b)):
            os.environ["PYTHONPATH"] = ":".join(p for p in (tree, base) if p)
            where = workdir / "ab"[side]
            venv_bin = args.venv_b / "bin" if side == 1 and args.venv_b else VENV_BIN
            target = (
                ConsentryTarget(where, args.cpu, backend, venv_bin)
                if tree is not None
                else make_target(args.peer, where, args.cpu, VENV_BIN)
            )
            sides.append(target)  # before start: a side that fails half-started is stopped too
            target.start()
        os.environ["PYTHONPATH"] = base
        plans = [t.plan(workload, pool_size(load)) for t in sides]
        _refuse_wrong(_both(sides, plans, load, 3, workdir / "warm-up"), plans, workload)
        for round_ in range(args.rounds):
            # Planned afresh each round, outside the measurement, as bench/run plans each cell: a
            # refresh pool is rotated away by the run before, and the in-memory oidc-provider may
            # have evicted a session or token since.
            plans = [t.plan(workload, pool_size(load)) for t in sides]
            before = [_cpu_ticks(t) for t in sides]
            where = workdir / f"round-{round_ + 1}"
            reports = _both(sides, plans, load, args.seconds, where, b_first=round_ % 2 == 1)
            after = [_cpu_ticks(t) for t in sides]
            line = {}
            for side, count in enumerate(_refuse_wrong(reports, plans, workload)):
                us = 1e6 * (after[side] - before[side]) / HZ / count
                per_answer[side].append(us)
                line["AB"[side]] = {"per_second": round(count / args.seconds), "cpu_us": round(us, 1)}
            if not args.json:
                print(f"round {round_ + 1}: {json.dumps(line)}", flush=True)
    finally:
        for target in sides:
            target.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    ratios = [round(b / a, 3) for a, b in zip(*per_answer, strict=True)]
    result = {
        "workload": args.workload,
        "backend": backend,
        "b": args.peer or (f"consentry in {args.venv_b}" if args.venv_b else "consentry"),
        "median_cpu_us": {
            "A": round(statistics.median(per_answer[0]), 1),
            "B": round(statistics.median(per_answer[1]), 1),
        },
        "ratio_b_over_a_per_round": ratios,
        "median_ratio": statistics.median(ratios),
    }
    print(json.dumps(result) if args.json else f"medians {result['median_cpu_us']}, B/A per round {ratios}")


if __name__ == "__main__":
    main()
