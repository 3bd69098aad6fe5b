"""The wrk Lua scripts count every status and catch wrong answers, against a tiny local server.

These run the real wrk (1-2 s each) through the harness's own runner and verdict, so they prove the
chain the benchmark relies on: a server answering 500 (or {"active": false}, or a reused token)
turns the cell into ERR instead of into throughput.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bench.harness.verdict import Expectation, problems
from bench.harness.wrk_report import WrkReport
from bench.harness.wrk_runner import Load, run_wrk, write_config
from tests.bench.fake_server import FakeServer, fake_server

pytestmark = pytest.mark.skipif(
    shutil.which("wrk") is None or shutil.which("taskset") is None,
    reason="wrk (Debian package wrk) or taskset not installed; bench/run installs wrk",
)
OK200 = frozenset({200})
BODY_CHECKED = Expectation(OK200, ("body_mismatch",), (("body_ok", OK200),))


def load(connections: int = 4, threads: int = 1) -> Load:
    return Load(connections=connections, threads=threads, cpu=min(os.sched_getaffinity(0)), request_timeout=5)


def run(tmp_path: Path, server: FakeServer, script: str, config: dict[str, str], wrk_load: Load) -> WrkReport:
    write_config(tmp_path / "config.txt", config)
    return run_wrk(wrk_load, script, server.url, 1, tmp_path / "config.txt", tmp_path / "wrk.log")


def test_static_script_reports_500_as_an_error(tmp_path: Path):
    with fake_server() as server:
        report = run(tmp_path, server, "static.lua", {"method": "GET", "path": "/status/500"}, load())
    assert report.requests > 0
    assert report.statuses == {500: report.requests}
    assert problems(report, Expectation(OK200)) == [f"unexpected status 500 x{report.requests}"]


def test_static_script_checks_the_body_of_each_200(tmp_path: Path):
    config = {
        "method": "POST",
        "path": "/introspect-inactive",
        "body": "token=abc",
        "authorization": "Basic eDp5",
        "expect_body": '"active"%s*:%s*true',
    }
    with fake_server() as server:
        inactive = run(tmp_path, server, "static.lua", config, load())
        active = run(tmp_path, server, "static.lua", {**config, "path": "/introspect-active"}, load())
    assert inactive.statuses == {200: inactive.requests}
    assert inactive.counters.get("body_mismatch") == inactive.requests
    assert f"body_mismatch x{inactive.requests}" in problems(inactive, BODY_CHECKED)
    assert active.counters.get("body_ok") == active.requests and problems(active, BODY_CHECKED) == []


def test_refresh_script_never_reuses_a_token(tmp_path: Path):
    with fake_server() as server:
        pool = [server.state.new("rt", server.state.live_refresh) for _ in range(16)]
        (tmp_path / "pool.txt").write_text("\n".join(pool) + "\n")
        config = {"path": "/token", "authorization": "Basic eDp5", "pool": str(tmp_path / "pool.txt")}
        report = run(tmp_path, server, "refresh.lua", config, load(connections=4, threads=2))
        reused = server.state.reused
    expect = Expectation(OK200, ("pool_empty", "no_rotation"), (("rotated", OK200),))
    assert reused == 0
    assert report.statuses == {200: report.requests} and report.requests > 50
    assert report.counters["pool_start"] == 16  # 8 per thread, split from one file
    assert problems(report, expect) == []


def test_refresh_script_flags_an_empty_pool(tmp_path: Path):
    with fake_server() as server:
        pool = [server.state.new("rt", server.state.live_refresh)]
        (tmp_path / "pool.txt").write_text("\n".join(pool) + "\n")
        config = {"path": "/token", "authorization": "Basic eDp5", "pool": str(tmp_path / "pool.txt")}
        report = run(tmp_path, server, "refresh.lua", config, load(connections=4))
    found = problems(report, Expectation(OK200, ("pool_empty", "no_rotation")))
    assert report.counters.get("pool_empty", 0) > 0 and report.statuses.get(400, 0) > 0
    assert any(p.startswith("pool_empty x") for p in found)
    assert any(p.startswith("unexpected status 400") for p in found)


def test_code_flow_script_redeems_each_code_once(tmp_path: Path):
    config = {
        "authorize_path": "/authorize?client_id=web&code_challenge=x",
        "cookie": "session=abc",
        "token_path": "/token",
        "authorization": "Basic eDp5",
        "token_body": "grant_type=authorization_code&redirect_uri=x&code_verifier=v",
    }
    with fake_server() as server:
        report = run(tmp_path, server, "code_flow.lua", config, load(connections=4))
        reused = server.state.reused
    assert reused == 0
    redirect = frozenset({302})
    expect = Expectation(
        frozenset({200, 302}), ("no_code", "bad_token_body"), (("round_trips", OK200), ("codes", redirect))
    )
    assert problems(report, expect) == []
    assert report.counters["round_trips"] == report.statuses[200] > 20
    assert 0 <= report.statuses[302] - report.statuses[200] <= 4  # at most one code per connection in flight


def test_code_flow_script_flags_a_redirect_without_code(tmp_path: Path):
    config = {
        "authorize_path": "/authorize-error",
        "cookie": "session=gone",
        "token_path": "/token",
        "authorization": "Basic eDp5",
        "token_body": "grant_type=authorization_code",
    }
    with fake_server() as server:
        report = run(tmp_path, server, "code_flow.lua", config, load(connections=2))
    assert report.counters.get("no_code") == report.statuses[302] == report.requests
    assert f"no_code x{report.requests}" in problems(report, Expectation(frozenset({200, 302}), ("no_code",)))
