"""Server CPU per response of two Consentry trees served side by side, for changes of a few percent.

bench/run measures throughput against the peers; on this shared machine its runs drift by 10-15%
from minute to minute, far more than a change of a few microseconds per request. Here both trees
run at once, each as ``consentry serve --workers 1`` on the same core (``--cpu``), each under its own
wrk (c=32) on another core, so that whatever the machine does to one it does to the other. Each round
prints each server's CPU per answered request (``/proc/<pid>/stat``: user + system, every thread;
with ``--backend postgres`` its own PostgreSQL's processes too, which share the core),
and the end the medians and the ratio B/A per round. A tree is given as the directory to put first on
``PYTHONPATH`` (a worktree's ``src``); an empty string is the installed tree. Every response is
checked (status 200 and the body's expected field), as bench/run does.

Sharing the core halves each server's throughput, so each one's batches are smaller and its CPU per
token is higher than alone: compare the two columns with each other, not with bench/run.
The same tree on both sides gave 0.99-1.06 per round here (five rounds): a change shows when its
rounds fall outside that, all the same way.

Example (the tree before a change against the working tree)::

    git worktree add /tmp/before HEAD~1
    PYTHONPATH=. .venv/bin/python bench/ab_cpu.py /tmp/before/src "" --workload discovery
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from bench.harness.targets.consentry import ConsentryTarget
from bench.harness.wrk_report import parse_report
from bench.harness.wrk_runner import LUA_DIR

HERE = Path(__file__).resolve().parent
VENV_BIN = HERE.parent / ".venv" / "bin"
HZ = os.sysconf("SC_CLK_TCK")
#: One fixed request per workload, as bench/run's static.lua takes it (``expect`` must be in the body).
WORKLOADS = {
    "cc-token": "method=POST\npath=/token\nbody=grant_type=client_credentials\nauthorization={auth}\n"
    "expect_body=access_token\n",
    "discovery": "method=GET\npath=/.well-known/openid-configuration\nexpect_body=issuer\n",
    "jwks": "method=GET\npath=/jwks\nexpect_body=keys\n",
    # One live token of the service client's own, minted when the server starts (``config``).
    "introspect": "method=POST\npath=/introspect\nbody=token={token}\nauthorization={auth}\n"
    'expect_body="active":true\n',
}


def _ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _family_ticks(pid: int) -> int:
    """``pid`` and its children (PostgreSQL's postmaster and the backends it forked)."""
    total = _ticks(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(FileNotFoundError):  # gone since it was listed
                total += _ticks(int(child))
    return total


def _cpu_ticks(target: ConsentryTarget) -> int:
    """The server's CPU, and with PostgreSQL the database's too: on the one core they share, both
    are what a request costs."""
    ticks = _ticks(target.server.popen.pid)  # type: ignore[union-attr]
    cluster = target.cluster
    if cluster is not None and cluster.server is not None:
        ticks += _family_ticks(cluster.server.popen.pid)
    return ticks


def _wrk(target: ConsentryTarget, config: Path, seconds: int, cpu: int) -> subprocess.Popen[str]:
    argv = [
        "taskset",
        "-c",
        str(cpu),
        "wrk",
        "-t1",
        "-c32",
        f"-d{seconds}s",
        "-s",
        str(LUA_DIR / "static.lua"),
    ]
    return subprocess.Popen(
        [*argv, target.setup.base_url, "--", str(config), "1"], stdout=subprocess.PIPE, text=True
    )


def workload_config(target: ConsentryTarget, workload: str) -> str:
    """The workload's fixed request for ``target``; introspection asks about a token minted here."""
    auth = target.setup.service.auth
    token = ""
    if "{token}" in WORKLOADS[workload]:
        minted = httpx.post(
            target.setup.base_url + "/token",
            data={"grant_type": "client_credentials"},
            headers={"authorization": auth},
        )
        minted.raise_for_status()
        token = minted.json()["access_token"]
    return WORKLOADS[workload].format(auth=auth, token=token)


def answered(output: str) -> tuple[int, dict[str, int]]:
    """Responses that were 200 with the expected body, and every other outcome (which must be none)."""
    report = parse_report(output)
    wrong = {str(status): n for status, n in report.statuses.items() if status != 200}
    wrong.update({k: n for k, n in report.counters.items() if k != "body_ok" and n})
    wrong.update(report.socket_errors)
    return report.counters.get("body_ok", 0), wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("tree_a", help='PYTHONPATH entry for tree A ("" for the installed tree)')
    parser.add_argument("tree_b", help="PYTHONPATH entry for tree B")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="cc-token")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=6, help="length of each round")
    parser.add_argument("--cpu", type=int, default=0, help="the core both servers share")
    parser.add_argument("--load-cpu", type=int, default=1, help="the core both wrk processes share")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end, nothing else")
    args = parser.parse_args()

    base = os.environ.get("PYTHONPATH", "")
    sides: list[tuple[ConsentryTarget, Path]] = []
    per_token: list[list[float]] = [[], []]
    try:
        for side, tree in enumerate((args.tree_a, args.tree_b)):
            workdir = Path(tempfile.mkdtemp(prefix=f"ab-cpu-{'ab'[side]}-"))
            os.environ["PYTHONPATH"] = ":".join(p for p in (tree, base) if p)
            target = ConsentryTarget(workdir, args.cpu, args.backend, VENV_BIN)
            target.start()
            config = workdir / "wrk.conf"
            config.write_text(workload_config(target, args.workload))
            sides.append((target, config))
        os.environ["PYTHONPATH"] = base
        for process in [_wrk(t, c, 3, args.load_cpu) for t, c in sides]:  # warm-up
            process.communicate()
        for round_ in range(args.rounds):
            before = [_cpu_ticks(t) for t, _ in sides]
            reports = [
                p.communicate()[0] for p in [_wrk(t, c, args.seconds, args.load_cpu) for t, c in sides]
            ]
            after = [_cpu_ticks(t) for t, _ in sides]
            line = {}
            for side, report in enumerate(reports):
                ok, wrong = answered(report)
                if wrong or not ok:
                    sys.exit(f"side {'AB'[side]} answered wrongly: {wrong or 'nothing'}")
                us = 1e6 * (after[side] - before[side]) / HZ / ok
                per_token[side].append(us)
                line["AB"[side]] = {"per_second": round(ok / args.seconds), "cpu_us": round(us, 1)}
            if not args.json:
                print(f"round {round_ + 1}: {json.dumps(line)}", flush=True)
    finally:
        for target, _ in sides:
            target.stop()
    ratios = [round(b / a, 3) for a, b in zip(*per_token, strict=True)]
    result = {
        "workload": args.workload,
        "backend": args.backend,
        "median_cpu_us": {
            "A": round(statistics.median(per_token[0]), 1),
            "B": round(statistics.median(per_token[1]), 1),
        },
        "ratio_b_over_a_per_round": ratios,
        "median_ratio": statistics.median(ratios),
    }
    print(json.dumps(result) if args.json else f"medians {result['median_cpu_us']}, B/A per round {ratios}")


if __name__ == "__main__":
    main()
