"""Command line of the benchmark driver (``bench/run`` passes its arguments through).

Exit status: 0 when every cell counted, 1 when any cell is ERR (or the scale phase failed),
2 for bad arguments or a machine that cannot run the benchmark (fewer than 2 cores, no wrk).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from bench.harness import procs
from bench.harness.cell import Timing
from bench.harness.machine import REPO, Machine, load_average
from bench.harness.matrix import SERVERS, make_target, run_matrix, select_servers
from bench.harness.progress import say
from bench.harness.results_md import RunInfo, noisy, problem_lines, render
from bench.harness.scale import BackendScale, ScaleSize, purge_grid, run_backend, scale_grid
from bench.harness.table import Grid, main_grid, plain
from bench.harness.targets.consentry import ConsentryTarget
from bench.harness.workloads import BY_KEY, select
from bench.harness.wrk_runner import Load

QUICK = {"duration": 2.0, "warmup": 1.0, "clients": 2_000, "tokens": 20_000, "expired": 4_000}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bench/run",
        description="Consentry against oidc-provider and Authlib: same workloads, same run, one table.",
    )
    p.add_argument("--duration", type=float, default=None, help="measured seconds per cell (default 10)")
    p.add_argument("--warmup", type=float, default=None, help="warm-up seconds per cell (default 2)")
    p.add_argument("--only", default=None, help=f"workloads, comma-separated: {','.join(BY_KEY)}")
    p.add_argument("--servers", default=None, help=f"servers, comma-separated: {','.join(SERVERS)}")
    p.add_argument("--skip-scale", action="store_true", help="skip the 1M-token scale phase")
    p.add_argument("--quick", action="store_true", help="2 s cells, 1 s warm-up, 20k-token scale (smoke)")
    p.add_argument(
        "--rounds",
        type=_positive,
        default=1,
        metavar="N",
        help="measure every main-table cell N times, round by round, servers interleaved; the table shows "
        "medians and each ratio's median and range over the rounds (default 1; the scale phase runs once)",
    )
    p.add_argument("--connections", type=int, default=32, help="wrk connections, same for all (default 32)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: one load core)")
    p.add_argument("--server-cpu", type=int, default=0, help="core for every server and PostgreSQL")
    p.add_argument("--load-cpu", type=int, default=1, help="core for wrk")
    p.add_argument("--scale-clients", type=int, default=None, help="scale: extra clients (default 100000)")
    p.add_argument("--scale-tokens", type=int, default=None, help="scale: live tokens (default 1000000)")
    p.add_argument("--scale-expired", type=int, default=None, help="scale: expired tokens (default 200000)")
    p.add_argument("--results", type=Path, default=REPO / "bench" / "results.md", help="Markdown output")
    p.add_argument("--keep-workdir", action="store_true", help="keep logs, configs and databases")
    return p


def _positive(text: str) -> int:
    """argparse type of --rounds: a bad value is a usage error (exit 2), not a crash."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _pick(value: float | int | None, quick: bool, key: str, default: float | int) -> float | int:
    if value is not None:
        return value
    return QUICK[key] if quick else default


def preflight(server_cpu: int, load_cpu: int) -> list[str]:
    """Reasons this machine cannot run the benchmark as specified (empty when it can)."""
    missing = [tool for tool in ("wrk", "taskset", "node") if shutil.which(tool) is None]
    found = [f"{tool} not found (bench/run installs it)" for tool in missing]
    usable = os.sched_getaffinity(0)
    for cpu in {server_cpu, load_cpu}:
        if cpu not in usable:
            found.append(f"core {cpu} is not available to this process (usable: {sorted(usable)})")
    if server_cpu == load_cpu:
        found.append("the server core and the load core must differ")
    return found


def run_scale(
    servers: tuple[str, ...], size: ScaleSize, load: Load, timing: Timing, workdir: Path, server_cpu: int
) -> list[BackendScale]:
    """The scale phase for each selected Consentry backend, in turn."""
    venv_bin = Path(sys.executable).parent
    out: list[BackendScale] = []
    for backend, server in (("sqlite", "consentry-sqlite"), ("postgres", "consentry-pg")):
        if server not in servers:
            continue

        def make(backend: str = backend) -> ConsentryTarget:
            return ConsentryTarget(workdir / f"scale-{backend}", server_cpu, backend, venv_bin)

        cells = workdir / f"scale-{backend}" / "cells"
        out.append(run_backend(make, size, load, timing, cells, venv_bin / "python"))
    return out


def print_summary(grid: Grid, scale: list[BackendScale], durably: dict[str, str], info: RunInfo) -> None:
    print(plain(grid))
    if scale:
        print("\nScale\n" + plain(scale_grid(scale)) + "\n\n" + plain(purge_grid(scale)))
    print("\nDurably stores:")
    for key, text in durably.items():
        print(f"  {key}: {text}")
    if noisy(info):
        print(f"\nNOISY: load average was {info.load_before:.2f} before the run; numbers are not exact.")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        workloads = select(args.only)
        servers = select_servers(args.servers)
    except ValueError as exc:
        print(f"bench/run: {exc}", file=sys.stderr)
        return 2
    if reasons := preflight(args.server_cpu, args.load_cpu):
        print("bench/run: cannot run here:\n  " + "\n  ".join(reasons), file=sys.stderr)
        return 2
    timing = Timing(
        float(_pick(args.duration, args.quick, "duration", 10.0)),
        float(_pick(args.warmup, args.quick, "warmup", 2.0)),
    )
    size = ScaleSize(
        int(_pick(args.scale_clients, args.quick, "clients", 100_000)),
        int(_pick(args.scale_tokens, args.quick, "tokens", 1_000_000)),
        int(_pick(args.scale_expired, args.quick, "expired", 200_000)),
    )
    load = Load(connections=args.connections, threads=args.threads, cpu=args.load_cpu)
    workdir = Path(tempfile.mkdtemp(prefix="consentry-bench-"))
    procs.install_cleanup()
    load_before = load_average()
    machine = Machine.describe()  # the commit that runs, taken before anything can change under us
    say(f"workdir {workdir}; commit {machine.commit}; load average {load_before:.2f}")

    venv_bin = Path(sys.executable).parent
    targets = [make_target(name, workdir, args.server_cpu, venv_bin) for name in servers]
    results = run_matrix(targets, workloads, load, timing, workdir / "cells", args.rounds)
    scale = [] if args.skip_scale else run_scale(servers, size, load, timing, workdir, args.server_cpu)

    info = RunInfo(
        machine=machine,
        load=load,
        seconds=timing.seconds,
        warmup=timing.warmup,
        server_cpu=args.server_cpu,
        load_before=load_before,
        load_after=load_average(),
        command=shlex.join(["bench/run", *(argv if argv is not None else sys.argv[1:])]),
        rounds=args.rounds,
    )
    grid = main_grid(results, servers, workloads)
    durably = {t.key: t.durably for t in targets}
    args.results.write_text(render(info, grid, durably, results, scale))
    print_summary(grid, scale, durably, info)
    print(f"\nWrote {args.results}")
    if problems := problem_lines(results, scale):
        print("\nERR cells:\n" + "\n".join(problems) + f"\nLogs kept in {workdir}")
        return 1
    if args.keep_workdir:
        print(f"Logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0
