"""bench/ab_cpu.py counts only responses that were right, and stops on any that were not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.ab_cpu import answered

ROOT = Path(__file__).resolve().parents[2]
REPORT = (
    '@@bench-report {"bytes":1,"counters":{%s},"duration_us":1,"errors":{"connect":0,"read":%d,'
    '"status":0,"timeout":0,"write":0},"latency_us":{"max":1,"mean":1,"min":1,"p50":1,"p90":1,"p99":1},'
    '"requests":%d,"statuses":{%s},"threads":1}\n'
)


def test_every_right_answer_counts():
    assert answered(REPORT % ('"body_ok":900', 0, 900, '"200":900')) == (900, {})


def test_wrong_statuses_bodies_and_socket_errors_are_reported():
    output = REPORT % ('"body_ok":890,"body_mismatch":5', 3, 900, '"200":895,"500":5')
    assert answered(output) == (890, {"500": 5, "body_mismatch": 5, "read": 3})


def test_help_names_both_trees_and_the_workloads():
    shown = subprocess.run(
        [sys.executable, "bench/ab_cpu.py", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT)},
    ).stdout
    assert "tree_a" in shown and "tree_b" in shown and "cc-token" in shown and "--json" in shown
    assert "introspect" in shown  # a token minted at start, asked about by every request
