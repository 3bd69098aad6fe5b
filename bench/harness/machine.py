"""Describe the machine, the commit and the load, for the header of bench/results.md.

Numbers mean little without the machine they came from, and nothing if the machine was busy: the
load average before and after the run is recorded so a noisy run says so.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _out(argv: list[str]) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (result.stdout or result.stderr).strip()


def cpu_model(cpuinfo: str) -> str:
    """The first "model name" of /proc/cpuinfo ("unknown" on machines without one)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return "unknown"


def commit() -> str:
    """``git rev-parse --short HEAD``, plus " dirty" when the work tree differs from it.

    Untracked files count (a new module that is not committed yet changes what ran); the results file
    itself does not, since every run rewrites it.
    """
    short = _out(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    dirty = _out(["git", "status", "--porcelain", "--", ".", ":(exclude)bench/results.md"])
    return f"{short} dirty" if dirty else short


def load_average() -> float:
    return os.getloadavg()[0]


@dataclass(frozen=True)
class Machine:
    date: str
    commit: str
    cores: int
    cpu: str
    kernel: str
    python: str
    node: str
    wrk: str
    postgres: str

    @classmethod
    def describe(cls) -> Machine:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
        wrk_banner = _out(["wrk", "--version"]).splitlines()
        pg = _out([_postgres_binary(), "--version"]) if _postgres_binary() else ""
        return cls(
            date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            commit=commit(),
            cores=os.cpu_count() or 0,
            cpu=cpu_model(cpuinfo),
            kernel=platform.release(),
            python=platform.python_version(),
            node=_out(["node", "--version"]) or "not found",
            wrk=(wrk_banner[0].split(" Copyright")[0] if wrk_banner else "not found"),
            postgres=pg or "not found",
        )


def _postgres_binary() -> str:
    from bench.harness.pg_cluster import find_bindir

    try:
        return str(find_bindir() / "postgres")
    except FileNotFoundError:
        return ""
