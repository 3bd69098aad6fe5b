"""Ratios and the rendered table: Consentry's throughput over the peer's, ERR never compared."""

from __future__ import annotations

import pytest

from bench.harness import workloads as wl
from bench.harness.cell import CellResult
from bench.harness.scale import BackendScale, human, purge_grid, scale_grid
from bench.harness.table import fmt_ms, fmt_rate, main_grid, markdown, plain, ratio, ratio_pairs, throughput
from bench.harness.wrk_report import WrkReport


def cell(
    server: str,
    workload: str,
    rps: float,
    round_: int = 1,
    p50_ms: float = 1.0,
    p99_ms: float = 5.0,
    **counters: int,
) -> CellResult:
    """A clean cell of ``rps`` over 10 s (``round_``: its round, for --rounds)."""
    requests = int(rps * 10)
    report = WrkReport(
        requests=requests,
        duration_us=10_000_000,
        statuses={200: requests},
        counters=counters,
        latency_us={"p50": p50_ms * 1000, "p99": p99_ms * 1000},
    )
    return CellResult(server, workload, report=report, round=round_)


def test_ratio_maths():
    assert ratio(6000, 5000) == pytest.approx(1.2)
    assert ratio(None, 5000) is None and ratio(6000, None) is None and ratio(6000, 0) is None


def test_round_trip_throughput_counts_token_responses_not_requests():
    c = cell("consentry-sqlite", "code-flow", 1000, round_trips=4000)  # 10,000 requests, 4,000 round trips
    assert throughput(c, wl.CODE_FLOW) == pytest.approx(400.0)
    assert throughput(c, wl.CC_TOKEN) == pytest.approx(1000.0)


def test_err_cell_has_no_throughput():
    bad = cell("consentry-sqlite", "cc-token", 9000)
    bad.problems.append("unexpected status 500 x1")
    assert throughput(bad, wl.CC_TOKEN) is None


def test_ratio_columns_follow_the_selected_servers():
    assert ratio_pairs(["consentry-sqlite", "oidc-provider"]) == [("consentry-sqlite", "oidc-provider")]
    assert ratio_pairs(["consentry-sqlite", "consentry-pg", "oidc-provider", "authlib"]) == [
        ("consentry-sqlite", "oidc-provider"),
        ("consentry-pg", "oidc-provider"),
        ("consentry-sqlite", "authlib"),
        ("consentry-pg", "authlib"),
    ]
    # the durable oidc-provider: a column of its own for each Consentry, between the two peers
    assert ratio_pairs(["consentry-pg", "oidc-provider", "oidc-provider-pg"]) == [
        ("consentry-pg", "oidc-provider"),
        ("consentry-pg", "oidc-provider-pg"),
    ]


def test_main_grid_values_ratios_and_err():
    servers = ["consentry-sqlite", "oidc-provider"]
    bad = cell("consentry-sqlite", "introspect", 7000)
    bad.problems.append("body_mismatch x3")
    results = [
        cell("consentry-sqlite", "cc-token", 6000, p50_ms=2.5, p99_ms=12.25),
        cell("oidc-provider", "cc-token", 5000),
        bad,
        cell("oidc-provider", "introspect", 8000),
        cell("consentry-sqlite", "code-flow", 2000, round_trips=9000),
        cell("oidc-provider", "code-flow", 2000, round_trips=10000),
    ]
    grid = main_grid(results, servers, [wl.CC_TOKEN, wl.INTROSPECT, wl.CODE_FLOW])
    assert grid.headers[-1] == "C-SQLite/oidc"
    cc, intro, rt_requests, rt = grid.rows
    assert cc == ["client_credentials token", "6,000", "2.50", "12.2", "5,000", "1.00", "5.00", "1.20x"]
    assert intro[1:4] == ["ERR", "-", "-"] and intro[-1] == "-"
    assert rt_requests[0].endswith(": requests") and rt_requests[-1] == ""
    assert rt[0].endswith(": round trips/s") and rt[1] == "900" and rt[4] == "1,000" and rt[-1] == "0.90x"
    md = markdown(grid).splitlines()
    assert md[0].startswith("| workload |") and md[1].startswith("| --- | ---: |")
    assert len(plain(grid).splitlines()) == len(grid.rows) + 2


def test_formatting():
    assert fmt_rate(None) == "ERR" and fmt_rate(12345.6) == "12,346"
    assert (
        fmt_ms(None) == "-"
        and fmt_ms(0.456) == "0.46"
        and fmt_ms(45.66) == "45.7"
        and fmt_ms(1234.4) == "1,234"
    )
    assert (
        human(1_000_000) == "1M"
        and human(20_000) == "20k"
        and human(1_500_000) == "1.5M"
        and human(999) == "999"
    )


def test_scale_tables():
    backend = BackendScale("consentry-pg")
    backend.rows_at = {"small": 10, "1M": 1_200_010}
    backend.cells = [
        CellResult("consentry-pg", "cc-token", "small", cell("consentry-pg", "cc-token", 5000).report),
        CellResult("consentry-pg", "introspect", "small", cell("consentry-pg", "introspect", 9000).report),
        CellResult("consentry-pg", "cc-token", "1M", cell("consentry-pg", "cc-token", 4900).report),
        CellResult("consentry-pg", "introspect", "1M", None, ["wrk exited 1"]),
    ]
    backend.seed = {"clients": 100000, "tokens": 1000000, "expired": 200000, "seconds": 41.25}
    backend.rows_before_purge, backend.deleted, backend.rows_after_purge = 1_250_000, 200_000, 1_050_000
    backend.purge_seconds = 3.04
    small, big = scale_grid([backend]).rows
    assert small[:4] == ["Consentry PG", "small", "10", "5,000"] and small[6] == "9,000"
    assert big[:4] == ["Consentry PG", "1M", "1,200,010", "4,900"] and big[6] == "ERR"
    (purged,) = purge_grid([backend]).rows
    assert purged == [
        "Consentry PG",
        "100,000",
        "1,000,000",
        "200,000",
        "41.2",
        "1,250,000",
        "200,000",
        "1,050,000",
        "3.0",
    ]
