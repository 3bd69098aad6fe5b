"""One short end-to-end run of bench/run: real servers, real wrk, the table and results file.

About 30-40 s: two workloads against Consentry (SQLite), oidc-provider and the Authlib peer, 1 s
warm-up and 2 s per cell, no scale phase; then about 35 s of the durable oidc-provider peer alone. It asserts the run is clean (exit 0, no ERR) and that the
results file carries the commit, the machine and the ratio columns; it asserts no speed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_run_quick(tmp_path: Path):
    results = tmp_path / "results.md"
    argv = [
        str(REPO / "bench" / "run"),
        "--quick",
        "--skip-scale",
        "--servers",
        "consentry-sqlite,oidc-provider,authlib",
        "--only",
        "cc-token,introspect",
        "--results",
        str(results),
    ]
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-3000:]}"
    text = results.read_text()
    for expected in (
        "- Commit: ",
        "- Machine: ",
        "| client_credentials token |",
        "| introspection (valid token) |",
        "C-SQLite/oidc",
        "C-SQLite/Authlib",
        "None: every response of every cell had the expected status and body.",
    ):
        assert expected in text, text
    assert "ERR" not in text.split("## Errors")[0]
    assert "client_credentials token" in proc.stdout  # the table is printed too


def test_durable_oidc_provider_peer_quick(tmp_path: Path):
    """oidc-provider on PostgreSQL (pg_adapter.mjs) answers every workload that reads and writes its
    store, every response checked: tokens, introspection (sessions found by uid), refresh (grants,
    consumed and destroyed tokens) and the code flow (sessions, interactions, consumed codes)."""
    results = tmp_path / "results.md"
    argv = [str(REPO / "bench" / "run"), "--quick", "--skip-scale", "--servers", "oidc-provider-pg"]
    argv += ["--only", "cc-token,introspect,refresh,code-flow", "--results", str(results)]
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-3000:]}"
    text = results.read_text()
    assert "| refresh with rotation |" in text and "oidc-provider PG req/s" in text, text
    assert "| auth code + PKCE round trip: round trips/s |" in text, text
    assert "oidc-provider PG: every model (tokens, codes, sessions, grants, interactions)" in text, text
    assert "None: every response of every cell had the expected status and body." in text, text
