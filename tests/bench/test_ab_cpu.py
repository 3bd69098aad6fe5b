"""bench/ab_cpu.py prices only right answers (bench/run's own verdict) and stops on any wrong one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.ab_cpu import answered
from bench.harness import workloads as wl
from bench.harness.targets.base import BODY_CHECKED, CellPlan
from bench.harness.verdict import Expectation
from bench.harness.wrk_report import parse_report
from bench.harness.wrk_runner import Load

ROOT = Path(__file__).resolve().parents[2]
REPORT = (
    '@@bench-report {"bytes":1,"counters":{%s},"duration_us":1,"errors":{"connect":0,"read":%d,'
    '"status":0,"timeout":0,"write":0},"latency_us":{"max":1,"mean":1,"min":1,"p50":1,"p90":1,"p99":1},'
    '"requests":%d,"statuses":{%s},"threads":1}\n'
)
STATIC = CellPlan("static.lua", {}, BODY_CHECKED)


def test_every_right_answer_counts():
    report = parse_report(REPORT % ('"body_ok":900', 0, 900, '"200":900'))
    assert answered(report, STATIC, wl.CC_TOKEN) == (900, [])


def test_wrong_statuses_bodies_and_socket_errors_are_reported():
    report = parse_report(REPORT % ('"body_ok":890,"body_mismatch":5', 3, 900, '"200":895,"500":5'))
    count, wrong = answered(report, STATIC, wl.CC_TOKEN)
    assert count == 900
    assert wrong == [
        "unexpected status 500 x5",
        "socket read errors x3",
        "body_mismatch x5",
        "body_ok=890 but 895 responses with status 200",
    ]


def test_the_code_flow_is_priced_per_round_trip():
    plan = CellPlan("code_flow.lua", {}, Expectation(frozenset({200, 302})))
    report = parse_report(REPORT % ('"round_trips":300', 0, 900, '"200":300,"302":600'))
    assert answered(report, plan, wl.CODE_FLOW) == (300, [])


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "bench/ab_cpu.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT)},
    )


def test_help_names_both_sides_and_every_bench_workload():
    shown = run("--help").stdout
    assert "tree_a" in shown and "tree_b" in shown and "--peer" in shown and "--json" in shown
    for workload in wl.ALL:
        assert workload.key in shown
    assert "oidc-provider-pg" in shown


def test_side_b_is_a_tree_or_a_peer_never_both_or_neither():
    for args in (("",), ("", "", "--peer", "oidc-provider")):
        refused = run(*args)
        assert refused.returncode == 2 and "give exactly one of tree_b or --peer" in refused.stderr


def test_the_side_whose_load_starts_first_alternates(monkeypatch, tmp_path: Path):
    """The side whose wrk starts first measured cheaper, so rounds alternate it; reports stay A, B."""
    import bench.ab_cpu as ab

    started: list[str] = []

    class Finished:
        def __init__(self, side: str) -> None:
            self.side = side

        def communicate(self) -> tuple[str, None]:
            return REPORT % ('"body_ok":1', 0, 1 if self.side == "A" else 2, '"200":1'), None

    def fake_wrk(target: str, _plan: object, _load: object, _seconds: int, _where: Path) -> Finished:
        started.append(target)
        return Finished(target)

    monkeypatch.setattr(ab, "_wrk", fake_wrk)
    sides: list = ["A", "B"]
    for b_first in (False, True):
        reports = ab._both(sides, [STATIC, STATIC], Load(1, 1, 1), 1, tmp_path, b_first=b_first)
        assert [r.requests for r in reports] == [1, 2]
    assert started == ["A", "B", "B", "A"]


def test_venv_b_is_for_a_consentry_side_b_only():
    refused = run("", "--peer", "oidc-provider", "--venv-b", "/tmp/elsewhere")
    assert refused.returncode == 2 and "--venv-b is side B's Consentry interpreter" in refused.stderr


def test_side_b_is_served_by_the_other_virtualenv(monkeypatch, tmp_path: Path):
    """``--venv-b`` prices the same tree under another interpreter: only B's server runs from it."""
    import bench.ab_cpu as ab

    served: list[Path] = []

    class Recorded:
        def __init__(self, _where: Path, _cpu: int, _backend: str, venv_bin: Path) -> None:
            served.append(venv_bin)

        def start(self) -> None:
            if len(served) == 2:
                raise SystemExit("both sides built")

        def stop(self) -> None:
            pass

    monkeypatch.setattr(ab, "ConsentryTarget", Recorded)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # main() sets it per side: restored after the test
    monkeypatch.setattr(sys, "argv", ["ab_cpu.py", "", "", "--venv-b", str(tmp_path / "py313")])
    with pytest.raises(SystemExit, match="both sides built"):
        ab.main()
    assert served == [ab.VENV_BIN, tmp_path / "py313" / "bin"]
