"""Servers are pinned to their core, stopped by their PID, and PostgreSQL keeps its durability."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import psycopg
import pytest

from bench.harness import procs
from bench.harness.cli import main, preflight
from bench.harness.machine import commit, cpu_model
from bench.harness.pg_cluster import PgCluster, find_bindir
from bench.harness.targets.oidc_provider import OidcProviderTarget

CPU = min(os.sched_getaffinity(0))


def wait_ready(log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while "ready" not in log.read_text():
        assert time.monotonic() < deadline, "child never started"
        time.sleep(0.02)


def test_started_process_is_pinned_and_stopped_by_pid(tmp_path: Path):
    sleeper = "import time; print('ready', flush=True); time.sleep(60)"
    child = procs.start("sleeper", [sys.executable, "-c", sleeper], cpu=CPU, log=tmp_path / "log")
    wait_ready(tmp_path / "log")  # taskset has pinned itself and exec'd the program by then
    try:
        assert os.sched_getaffinity(child.pid) == {CPU}
        assert os.getpgid(child.pid) == child.pid  # its own group: killpg reaches only what we started
    finally:
        child.stop(grace=5)
    assert not child.alive() and child.exit_description() == "was killed by SIGTERM"


def test_stop_escalates_to_sigkill(tmp_path: Path):
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    child = procs.start("stubborn", [sys.executable, "-c", stubborn], cpu=None, log=tmp_path / "log")
    wait_ready(tmp_path / "log")
    child.stop(grace=0.5)
    assert child.popen.returncode == -signal.SIGKILL


def test_postgres_cluster_is_durable_and_pinned():
    try:
        find_bindir()
    except FileNotFoundError:
        pytest.skip("PostgreSQL server binaries not installed (bench/run installs postgresql)")
    cluster = PgCluster(cpu=CPU).start()
    try:
        assert cluster.server is not None and os.sched_getaffinity(cluster.server.pid) == {CPU}
        url = cluster.create_database("bench_probe")
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            settings = {}
            for name in ("fsync", "synchronous_commit", "full_page_writes"):
                row = conn.execute(f"SHOW {name}").fetchone()
                assert row is not None
                settings[name] = row[0]
        assert settings == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
    finally:
        cluster.stop()
    assert cluster.server is None


class FakeProcess:
    def __init__(self, name: str, stopped: list[str]) -> None:
        self.name, self.stopped = name, stopped

    def stop(self, grace: float = 0) -> None:
        self.stopped.append(self.name)


def test_a_target_with_its_own_cluster_stops_the_server_alone_or_both():
    stopped: list[str] = []
    target = OidcProviderTarget(Path("/nonexistent"), CPU, durable=True)
    assert target.key == "oidc-provider-pg" and "PostgreSQL" in target.durably
    assert OidcProviderTarget(Path("/nonexistent"), CPU).durably.startswith("nothing")
    cluster = PgCluster(cpu=CPU, user=None)
    cluster.server = FakeProcess("postgres", stopped)  # type: ignore[assignment]
    target.server, target.cluster = FakeProcess("node", stopped), cluster  # type: ignore[assignment]
    assert [p.name for p in target.processes()] == ["node", "postgres"]  # both checked between cells
    target.stop_server()  # the scale phase restarts a server on the same database
    assert stopped == ["node"] and target.cluster is cluster
    target.stop()
    assert stopped == ["node", "postgres"] and target.cluster is None and target.processes() == []


def test_bad_arguments_exit_2_before_starting_anything(capsys: pytest.CaptureFixture[str]):
    assert main(["--only", "nonsense"]) == 2
    assert "unknown workload(s) nonsense" in capsys.readouterr().err
    assert main(["--servers", "nginx"]) == 2


def test_preflight_refuses_one_core_for_both():
    assert "the server core and the load core must differ" in preflight(CPU, CPU)


def test_machine_description_helpers():
    assert cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 9999\n") == "AMD EPYC 9999"
    assert cpu_model("") == "unknown"
    short = commit().split()
    assert len(short[0]) >= 7 and short[1:] in ([], ["dirty"])
