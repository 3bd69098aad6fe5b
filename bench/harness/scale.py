"""The scale phase: do token and introspection latency stay flat with 1M live tokens and 100k clients,
and does ``consentry purge`` keep the table bounded?

For each Consentry backend: a fresh instance is measured ("small"), stopped, seeded by
bench/scale/seed.py (a colleague's tool, called as a subprocess through its CLI), served and measured
again at the seeded size, stopped, then purged with ``consentry purge --json``; token rows are counted
before and after. Seeding and purging run while the server is stopped so neither competes with it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.harness import workloads as wl
from bench.harness.cell import CellResult, Timing, measure
from bench.harness.progress import say
from bench.harness.table import SHORT, Grid, fmt_ms, fmt_rate
from bench.harness.targets.consentry import REPO, SECRET_KEY, ConsentryTarget
from bench.harness.wrk_runner import Load

SEEDER = REPO / "bench" / "scale" / "seed.py"
SCALE_WORKLOADS = (wl.CC_TOKEN, wl.INTROSPECT)


@dataclass(frozen=True)
class ScaleSize:
    clients: int
    tokens: int
    expired: int

    @property
    def label(self) -> str:
        return human(self.tokens)


def human(count: int) -> str:
    """1000000 -> "1M", 20000 -> "20k" (the table's size label)."""
    for unit, name in ((1_000_000, "M"), (1_000, "k")):
        if count >= unit:
            value = count / unit
            return f"{value:g}{name}" if value == int(value) else f"{value:.1f}{name}"
    return str(count)


@dataclass
class BackendScale:
    server: str
    cells: list[CellResult] = field(default_factory=list)
    rows_at: dict[str, int] = field(default_factory=dict)  # size label -> token rows when measured
    seed: dict[str, Any] | None = None
    rows_before_purge: int | None = None
    deleted: int | None = None
    rows_after_purge: int | None = None
    purge_seconds: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(cell.ok for cell in self.cells)


def count_rows(database_url: str, table: str = "tokens") -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def seed(target: ConsentryTarget, size: ScaleSize, python: Path, timeout: float) -> dict[str, Any]:
    argv = [
        str(python),
        str(SEEDER),
        "--database-url",
        target.database_url,
        "--secret-key",
        SECRET_KEY,
        "--clients",
        str(size.clients),
        "--tokens",
        str(size.tokens),
        "--expired",
        str(size.expired),
        "--json",
    ]
    if not SEEDER.exists():
        raise RuntimeError(f"{SEEDER.relative_to(REPO)} does not exist yet (the scale seeder)")
    result = subprocess.run(
        argv, env=target.env, capture_output=True, text=True, timeout=timeout, check=False, cwd=REPO
    )
    if result.returncode != 0:
        raise RuntimeError(f"seed.py exited {result.returncode}: {result.stderr.strip()[-600:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def purge(target: ConsentryTarget, timeout: float) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    out = target.cli("purge", "--json", timeout=timeout)
    return dict(json.loads(out.strip().splitlines()[-1])), time.monotonic() - started


def run_backend(
    make: Callable[[], ConsentryTarget],
    size: ScaleSize,
    load: Load,
    timing: Timing,
    where: Path,
    python: Path,
) -> BackendScale:
    target = make()
    out = BackendScale(target.key)
    try:
        say(f"scale {target.key}: starting a fresh instance")
        target.start()
        out.rows_at["small"] = count_rows(target.database_url)
        for workload in SCALE_WORKLOADS:
            say(f"scale {target.key} small: {workload.key}")
            out.cells.append(
                measure(target, workload, load, timing, where / f"small-{workload.key}", "small")
            )
        target.stop_server()
        say(
            f"scale {target.key}: seeding {size.clients} clients, {size.tokens} live + {size.expired} expired"
        )
        out.seed = seed(target, size, python, timeout=1800)
        say(f"scale {target.key}: seeded in {float(out.seed.get('seconds', 0)):.1f}s")
        out.rows_at[size.label] = count_rows(target.database_url)
        target.serve()
        for workload in SCALE_WORKLOADS:
            say(f"scale {target.key} {size.label}: {workload.key}")
            cell = measure(target, workload, load, timing, where / f"big-{workload.key}", size.label)
            out.cells.append(cell)
        target.stop_server()
        out.rows_before_purge = count_rows(target.database_url)
        say(f"scale {target.key}: consentry purge")
        result, out.purge_seconds = purge(target, timeout=1800)
        out.deleted = int(result["deleted"])
        out.rows_after_purge = count_rows(target.database_url)
        expired = int((out.seed or {}).get("expired", 0))
        if out.deleted < expired:
            out.problems.append(f"purge deleted {out.deleted} rows, fewer than the {expired} seeded expired")
    except Exception as exc:
        out.problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        target.stop()
    return out


def scale_grid(backends: Sequence[BackendScale]) -> Grid:
    headers = ["server", "size", "token rows", "cc token req/s", "p50 ms", "p99 ms"]
    headers += ["introspect req/s", "p50 ms", "p99 ms"]
    rows: list[list[str]] = []
    for backend in backends:
        for size in backend.rows_at:
            row = [SHORT.get(backend.server, backend.server), size, f"{backend.rows_at[size]:,}"]
            for workload in SCALE_WORKLOADS:
                cell = next((c for c in backend.cells if c.size == size and c.workload == workload.key), None)
                report = cell.report if cell is not None and cell.ok else None
                row += [
                    fmt_rate(report.requests_per_second if report else None),
                    fmt_ms(report.p50_ms if report else None),
                    fmt_ms(report.p99_ms if report else None),
                ]
            rows.append(row)
    return Grid(headers, rows)


def purge_grid(backends: Sequence[BackendScale]) -> Grid:
    headers = ["server", "seeded clients", "seeded live", "seeded expired", "seed s"]
    headers += ["token rows before purge", "deleted", "token rows after", "purge s"]
    rows = []
    for backend in backends:
        seeded = backend.seed or {}

        def num(value: Any) -> str:
            return "-" if value is None else f"{int(value):,}"

        def secs(value: Any) -> str:
            return "-" if value is None else f"{float(value):.1f}"

        rows.append(
            [
                SHORT.get(backend.server, backend.server),
                num(seeded.get("clients")),
                num(seeded.get("tokens")),
                num(seeded.get("expired")),
                secs(seeded.get("seconds")),
                num(backend.rows_before_purge),
                num(backend.deleted),
                num(backend.rows_after_purge),
                secs(backend.purge_seconds),
            ]
        )
    return Grid(headers, rows)
