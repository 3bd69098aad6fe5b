"""A real Consentry server in a child process (uvicorn), for clients that need a socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import IO

import httpx

from consentry.web.served_http import CorkedHttpToolsProtocol
from tests.support.server_fork import ForkedServer, can_fork, fork_uvicorn

#: The protocol class `consentry serve` gives uvicorn (cli/main.py), as uvicorn's ``--http`` takes it.
SERVED_HTTP = f"{CorkedHttpToolsProtocol.__module__}:{CorkedHttpToolsProtocol.__qualname__}"
#: How long a server may take to answer /healthz. A ceiling, not a measurement: a server that
#: exits is noticed at once, and `serve --workers 2` took over 30 s on two cores running four
#: test workers (two interpreters importing the app beside three other tests).
START_SECONDS = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes] | ForkedServer

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(
    database_url: str,
    *,
    port: int | None = None,
    issuer: str | None = None,
    env: dict[str, str] | None = None,
    workers: int | None = None,
    log_level: str = "warning",
    output: IO[bytes] | None = None,
) -> LiveServer:
    """uvicorn on one process (forked from a helper that imported the app: tests/support/server_fork.py),
    with `consentry serve`'s protocol class and no server banner;
    with ``workers``, ``consentry serve --workers N`` (what operators run,
    which also prepares the shared metrics directory). ``log_level="info"`` turns on uvicorn's access
    log (plain uvicorn only); ``output`` receives the server's stdout and stderr."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    child_env = {
        **os.environ,
        "CONSENTRY_DATABASE_URL": database_url,
        "CONSENTRY_ISSUER": issuer or url,
        "CONSENTRY_ENVIRONMENT": "test",
        **(env or {}),
    }
    proc: subprocess.Popen[bytes] | ForkedServer
    if workers is None:
        args = ["consentry.app:create_app", "--factory", "--log-level", log_level]
        args += ["--host", "127.0.0.1", "--port", str(port)]
        # HTTP spoken as `consentry serve` speaks it (web/served_http.py), so that every test with a
        # socket exercises the production protocol class, not stock uvicorn's.
        args += ["--http", SERVED_HTTP, "--no-server-header"]
        if can_fork(output):  # the usual case: forked from a helper that imported the app already
            proc = fork_uvicorn(args, child_env, output)
        else:
            proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", *args], env=child_env, stdout=output, stderr=output
            )
    else:
        command = ["-c", "from consentry.cli.main import app; app()", "serve", "--workers", str(workers)]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen([sys.executable, *command], env=child_env, stdout=output, stderr=output)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            status = f" with {proc.returncode}" if isinstance(proc, subprocess.Popen) else ""
            raise RuntimeError(f"server exited during start-up{status}; see its output")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return LiveServer(url, proc)
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not start within {START_SECONDS} s")
