"""Body limits and timeouts on a real socket (ISSUE-9.3, ISSUE-9.4): ``consentry serve`` in a child
process, with the server options operators get, spoken to in raw HTTP/1.1, its stderr kept to prove
what the operator's log shows. Also how that server writes (web/served_http.py): pipelined answers
in order, and no banner.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.databases import SECRET
from tests.support.live import free_port
from tests.support.postgres import drop_database

TOO_LARGE_FORM = "The request body is larger than 16 KiB, the most this endpoint accepts."
LIVE_TIMEOUT = 0.5
TOO_SLOW = f"The request body did not arrive within {LIVE_TIMEOUT:g} seconds."


@dataclass
class Served:
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``consentry serve`` (the real server options) with a short body timeout, its stderr in a file."""
    pg = request.getfixturevalue("pg_templates") if request.param == "postgres" else None
    name, url = pg.fresh() if pg else ("", request.getfixturevalue("sqlite_templates").fresh())
    port = free_port()
    log = tmp_path_factory.mktemp("served") / "stderr.log"
    env = {
        **os.environ,
        "CONSENTRY_DATABASE_URL": url,
        "CONSENTRY_ISSUER": f"http://127.0.0.1:{port}",
        "CONSENTRY_ENVIRONMENT": "test",
        "CONSENTRY_SECRET_KEY": SECRET,
        "CONSENTRY_JANITOR_INTERVAL": "0",
        "CONSENTRY_BODY_READ_TIMEOUT": str(LIVE_TIMEOUT),
    }
    command = [sys.executable, "-m", "consentry.cli.main", "serve", "--port", str(port), "--workers", "1"]
    with log.open("wb") as err:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        _wait_healthy(port, proc)
        yield Served(port, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if pg:
            drop_database(pg.server, name)


def _wait_healthy(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60  # generous: a loaded CI machine starts Python slowly
    while time.monotonic() < deadline:
        assert proc.poll() is None, "consentry serve exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise AssertionError("consentry serve did not start")


def _start(port: int, path: str, headers: str, body: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode() + body)
    return sock


def _response(sock: socket.socket) -> tuple[int, bytes, bool]:
    """Status, body, and whether the server then closed the connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed without an answer: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(v)
        for k, _, v in (line.partition(b":") for line in head.split(b"\r\n"))
        if k.lower() == b"content-length"
    )
    while len(body) < length:
        body += sock.recv(65536)
    sock.settimeout(2)
    closed = sock.recv(1) == b""
    sock.close()
    return int(head.split()[1]), body, closed


def test_live_an_oversized_declared_length_is_refused_before_the_body_is_sent(served):
    # ISSUE-9.3 body limit: refused on the headers alone (a 50 MB upload never starts)
    sock = _start(
        served.port,
        "/revoke",
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 52428800\r\n",
    )
    status, body, closed = _response(sock)
    assert status == 413 and closed
    assert json.loads(body) == {"error": "invalid_request", "error_description": TOO_LARGE_FORM}


def test_live_a_chunked_upload_over_the_limit_is_refused(served):
    # ISSUE-9.3 body limit: Transfer-Encoding: chunked, no Content-Length, on a real socket
    chunks = b"".join(b"1000\r\n" + b"a" * 4096 + b"\r\n" for _ in range(5))  # 20 KiB, unterminated
    sock = _start(
        served.port,
        "/token",
        "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n",
        chunks,
    )
    status, body, closed = _response(sock)
    assert status == 413 and closed and json.loads(body)["error_description"] == TOO_LARGE_FORM


def test_live_pipelined_requests_are_answered_in_order_without_a_server_banner(served):
    # ISSUE-10 one write per response: held heads never reorder or drop answers on one connection
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=5)
    paths = ["/jwks", "/.well-known/openid-configuration", "/healthz", "/jwks"]
    sock.sendall(b"".join(f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() for p in paths))
    data = b""
    answers: list[tuple[bytes, bytes]] = []
    while len(answers) < len(paths):
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"closed after {len(answers)} answers"
            data += chunk
        head, data = data.split(b"\r\n\r\n", 1)
        fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
        length = int(fields[b"content-length"])
        while len(data) < length:
            data += sock.recv(65536)
        answers.append((head, data[:length]))
        data = data[length:]
    sock.close()
    assert all(head.startswith(b"HTTP/1.1 200 OK\r\n") for head, _ in answers)
    assert not any(b"\r\nserver:" in head.lower() for head, _ in answers)  # no "server: uvicorn"
    assert "keys" in json.loads(answers[0][1]) and answers[3][1] == answers[0][1]
    assert json.loads(answers[1][1])["issuer"] == f"http://127.0.0.1:{served.port}"


def test_live_a_slow_body_gets_408_and_the_connection_closes(served):
    # ISSUE-9.4 read timeout (CONSENTRY_BODY_READ_TIMEOUT=0.5 here): a body that never finishes
    headers = "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n"
    socks = [_start(served.port, path, headers, b"token=abc") for path in ("/revoke", "/token")]
    for sock in socks:
        status, body, closed = _response(sock)
        assert status == 408 and closed
        assert json.loads(body) == {"error": "invalid_request", "error_description": TOO_SLOW}


def test_live_clients_hanging_up_mid_upload_leave_no_trace_in_the_log(served):
    # ISSUE-9.4 disconnects: headers and part of a body, then close; no 500, no traceback
    before = len(served.log_text())
    for path, kind in (
        ("/revoke", "application/x-www-form-urlencoded"),
        ("/token", "application/x-www-form-urlencoded"),
        ("/signin", "application/x-www-form-urlencoded"),
        ("/data/v1/files", "application/json"),
    ):
        for _ in range(3):
            _start(
                served.port, path, f"Content-Type: {kind}\r\nContent-Length: 10000\r\n", b"{" + b"a" * 999
            ).close()
    time.sleep(0.3)  # let the server notice the hang-ups
    assert httpx.get(f"http://127.0.0.1:{served.port}/healthz", timeout=5).json() == {"status": "ok"}
    logged = served.log_text()[before:]
    assert "Traceback" not in logged and "Exception in ASGI application" not in logged, logged
    assert "unhandled error" not in logged and not re.search(r"\b500\b", logged), logged
