"""Run wrk once, pinned to the load-generator core, bounded in time, and parse its report.

wrk gets ``-d`` for the measured duration and the process a hard timeout on top (``duration +
slack``): a wedged server cannot hang the run. The script arguments after ``--`` are the cell's
config file and the thread count (scripts split token pools per thread with it).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.harness.wrk_report import WrkReport, parse_report

LUA_DIR = Path(__file__).resolve().parents[1] / "lua"
HARD_TIMEOUT_SLACK = 30.0


class WrkFailed(RuntimeError):
    """wrk exited non-zero, timed out, or printed no report."""


@dataclass(frozen=True)
class Load:
    """How hard to push: the same for every server of a run."""

    connections: int
    threads: int
    cpu: int
    #: wrk's per-request timeout; a request slower than this counts as an error.
    request_timeout: float = 10.0


def command(load: Load, script: str, url: str, seconds: float, config: Path) -> list[str]:
    return [
        "taskset",
        "-c",
        str(load.cpu),
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={load.request_timeout:g}s",
        "-s",
        str(LUA_DIR / script),
        url,
        "--",
        str(config),
        str(load.threads),
    ]


def run_wrk(load: Load, script: str, url: str, seconds: float, config: Path, log: Path) -> WrkReport:
    argv = command(load, script, url, seconds, config)
    try:
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=seconds + HARD_TIMEOUT_SLACK,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise WrkFailed(f"wrk still running {HARD_TIMEOUT_SLACK:.0f}s after its duration; killed") from exc
    log.write_text(f"$ {' '.join(argv)}\n{result.stdout}\n--- stderr ---\n{result.stderr}")
    if result.returncode != 0:
        raise WrkFailed(f"wrk exited {result.returncode}: {result.stderr.strip()[-400:]}")
    try:
        return parse_report(result.stdout)
    except ValueError as exc:
        raise WrkFailed(f"{exc}; stderr: {result.stderr.strip()[-400:]}") from exc


def write_config(path: Path, config: dict[str, str]) -> Path:
    """The key=value file the Lua scripts read (values are single-line by construction)."""
    for key, value in config.items():
        if "\n" in value or "\r" in value:
            raise ValueError(f"config value for {key} spans lines")
    path.write_text("".join(f"{key}={value}\n" for key, value in config.items()))
    return path
