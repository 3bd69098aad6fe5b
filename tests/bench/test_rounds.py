"""--rounds: medians over rounds, per-round ratios with their range, ERR in any round, N = 1 as before.

No server is started: cells are built by hand, and run_matrix is driven with a fake target and a fake
``measure`` to check the interleaving and the work directories.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from bench.harness import matrix
from bench.harness import workloads as wl
from bench.harness.cell import CellResult, Timing
from bench.harness.machine import Machine
from bench.harness.results_md import RunInfo, problem_lines, render
from bench.harness.table import fmt_ratios, main_grid, median_of, plain
from bench.harness.targets.base import Target
from bench.harness.workloads import Workload
from bench.harness.wrk_runner import Load
from tests.bench.test_table import cell

SERVERS = ["consentry-sqlite", "oidc-provider"]


def err(server: str, workload: str, round_: int, problem: str) -> CellResult:
    bad = cell(server, workload, 9000, round_)
    bad.problems.append(problem)
    return bad


def info(rounds: int) -> RunInfo:
    machine = Machine(
        "2026-12-03 08:00 UTC", "abc1234", 2, "AMD EPYC", "6.1", "3.11.7", "v20", "wrk 4", "pg 15"
    )
    command = "bench/run" + (f" --rounds {rounds}" if rounds > 1 else "")
    return RunInfo(machine, Load(32, 1, 1), 8.0, 2.0, 0, 0.1, 0.2, command, rounds=rounds)


def test_fmt_ratios_median_and_range():
    assert fmt_ratios([1.2]) == "1.20x" and fmt_ratios([None]) == "-"
    assert fmt_ratios([1.2, 0.88, 1.03]) == "1.03x (0.88-1.20)"
    assert fmt_ratios([0.9, 0.8]) == "0.85x (0.80-0.90)"  # even count: the mean of the middle two
    assert fmt_ratios([1.2, None, 1.0]) == "-"  # one round without a ratio: no ratio
    assert median_of([3.0, 1.0, 2.0]) == 2.0 and median_of([1.0, None]) is None and median_of([]) is None


def test_three_rounds_medians_and_per_round_ratios():
    # per-round ratios 1.20, 1.10, 0.90 -> median 1.10; the ratio of the medians would be 5400/5000 = 1.08
    results = [
        cell("consentry-sqlite", "cc-token", 6000, 1, p50_ms=2.0, p99_ms=12.0),
        cell("oidc-provider", "cc-token", 5000, 1),
        cell("consentry-sqlite", "cc-token", 4400, 2, p50_ms=3.0, p99_ms=20.0),
        cell("oidc-provider", "cc-token", 4000, 2),
        cell("consentry-sqlite", "cc-token", 5400, 3, p50_ms=2.5, p99_ms=15.0),
        cell("oidc-provider", "cc-token", 6000, 3),
    ]
    (row,) = main_grid(results, SERVERS, [wl.CC_TOKEN]).rows
    assert row == [
        "client_credentials token",
        "5,400",
        "2.50",
        "15.0",
        "5,000",
        "1.00",
        "5.00",
        "1.10x (0.90-1.20)",
    ]


def test_round_trip_workload_uses_round_trips_per_round():
    results = [
        cell("consentry-sqlite", "code-flow", 2000, 1, round_trips=9000),
        cell("oidc-provider", "code-flow", 2000, 1, round_trips=10000),
        cell("consentry-sqlite", "code-flow", 2200, 2, round_trips=8000),
        cell("oidc-provider", "code-flow", 1800, 2, round_trips=10000),
    ]
    requests, trips = main_grid(results, SERVERS, [wl.CODE_FLOW]).rows
    assert requests == [
        "auth code + PKCE round trip: requests",
        *("2,100", "1.00", "5.00"),
        *("1,900", "1.00", "5.00"),
        "",
    ]
    assert trips == [
        "auth code + PKCE round trip: round trips/s",
        "850",
        "",
        "",
        "1,000",
        "",
        "",
        "0.85x (0.80-0.90)",
    ]


def test_an_err_round_makes_the_cell_err_and_every_err_round_is_listed():
    results = [
        cell("consentry-sqlite", "cc-token", 6000, 1),
        cell("oidc-provider", "cc-token", 5000, 1),
        err("consentry-sqlite", "cc-token", 2, "unexpected status 500 x1"),
        cell("oidc-provider", "cc-token", 4000, 2),
        err("consentry-sqlite", "cc-token", 3, "body_mismatch x3"),
        cell("oidc-provider", "cc-token", 6000, 3),
    ]
    (row,) = main_grid(results, SERVERS, [wl.CC_TOKEN]).rows
    assert row == ["client_credentials token", "ERR", "-", "-", "5,000", "1.00", "5.00", "-"]
    assert problem_lines(results, []) == [
        "- cc-token @ consentry-sqlite (round 2): unexpected status 500 x1",
        "- cc-token @ consentry-sqlite (round 3): body_mismatch x3",
    ]


def test_one_round_is_as_before():
    bad = err("consentry-sqlite", "introspect", 1, "body_mismatch x3")
    results = [
        cell("consentry-sqlite", "cc-token", 6000, p50_ms=2.5, p99_ms=12.25),
        cell("oidc-provider", "cc-token", 5000),
        bad,
        cell("oidc-provider", "introspect", 8000),
    ]
    grid = main_grid(results, SERVERS, [wl.CC_TOKEN, wl.INTROSPECT])
    # the same text the table printed before --rounds existed (checked against the previous table.py)
    assert plain(grid).splitlines()[2:] == [
        "client_credentials token                      6,000    2.50    12.2                5,000    1.00    5.00"
        "          1.20x",
        "introspection (valid token)                     ERR       -       -                8,000    1.00    5.00"
        "              -",
    ]
    assert problem_lines(results, []) == ["- introspect @ consentry-sqlite: body_mismatch x3"]
    text = render(info(1), grid, {}, results, [])
    assert (
        "- Load: wrk -t1 -c32 on core 1; servers (and PostgreSQL) on core 0; 2 s warm-up, 8 s measured per cell\n"
        in text
    )
    assert "rounds" not in text and "(round" not in text and "- Command: `bench/run`\n" in text


def test_results_header_names_the_rounds():
    results = [cell(s, "jwks", 9000, n) for n in (1, 2, 3) for s in SERVERS]
    grid = main_grid(results, SERVERS, [wl.JWKS])
    text = render(info(3), grid, {}, results, [])
    assert (
        "- Load: wrk -t1 -c32 on core 1; servers (and PostgreSQL) on core 0; 2 s warm-up, 8 s measured "
        "per cell; 3 rounds per cell, interleaved\n" in text
    )
    assert "- Command: `bench/run --rounds 3`\n" in text
    assert "| JWKS | 9,000 | 1.00 | 5.00 | 9,000 | 1.00 | 5.00 | 1.00x (1.00-1.00) |" in text


class FakeTarget:
    """Just enough of a Target for run_matrix: starts, stays healthy, stops."""

    def __init__(self, key: str) -> None:
        self.key = key

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def health(self) -> str:
        return ""


@pytest.mark.parametrize("rounds", [1, 2])
def test_run_matrix_interleaves_rounds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rounds: int):
    seen: list[tuple[str, str, Path]] = []

    def fake_measure(
        target: FakeTarget, workload: Workload, load: Load, timing: Timing, where: Path
    ) -> CellResult:
        seen.append((workload.key, target.key, where.relative_to(tmp_path)))
        return cell(target.key, workload.key, 1000)

    monkeypatch.setattr(matrix, "measure", fake_measure)
    monkeypatch.setattr(matrix, "say", lambda message: None)
    targets = [FakeTarget("consentry-sqlite"), FakeTarget("oidc-provider")]
    results = matrix.run_matrix(
        cast("list[Target]", targets),  # FakeTarget has just the part of a Target run_matrix uses
        [wl.CC_TOKEN, wl.JWKS],
        Load(32, 1, 1),
        Timing(1.0, 0.0),
        tmp_path,
        rounds,
    )
    if rounds == 1:
        assert seen == [
            ("cc-token", "consentry-sqlite", Path("consentry-sqlite/cc-token")),
            ("cc-token", "oidc-provider", Path("oidc-provider/cc-token")),
            ("jwks", "consentry-sqlite", Path("consentry-sqlite/jwks")),
            ("jwks", "oidc-provider", Path("oidc-provider/jwks")),
        ]
    else:
        assert seen == [
            ("cc-token", "consentry-sqlite", Path("consentry-sqlite/cc-token/round-1")),
            ("cc-token", "oidc-provider", Path("oidc-provider/cc-token/round-1")),
            ("cc-token", "oidc-provider", Path("oidc-provider/cc-token/round-2")),
            ("cc-token", "consentry-sqlite", Path("consentry-sqlite/cc-token/round-2")),
            ("jwks", "consentry-sqlite", Path("consentry-sqlite/jwks/round-1")),
            ("jwks", "oidc-provider", Path("oidc-provider/jwks/round-1")),
            ("jwks", "oidc-provider", Path("oidc-provider/jwks/round-2")),
            ("jwks", "consentry-sqlite", Path("consentry-sqlite/jwks/round-2")),
        ]
    assert [r.round for r in results] == [n for _ in range(2) for n in range(1, rounds + 1) for _ in range(2)]


def test_progress_names_the_round_only_with_several():
    assert matrix.cell_name("cc-token", "consentry-pg", 1, 1) == "cc-token @ consentry-pg"
    assert matrix.cell_name("cc-token", "consentry-pg", 2, 3) == "cc-token @ consentry-pg (round 2/3)"
