"""The server the hardening probes measure: ``consentry serve --workers 1`` from a given tree, on a
fresh SQLite database and a free port, its stderr kept for the probe to count."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    url: str
    stderr: Path

    def stop(self) -> str:
        """Terminate the server; what it wrote to stderr."""
        self.proc.terminate()
        self.proc.wait(10)
        return self.stderr.read_text()


def serve(src: str) -> Served:
    """Migrate a fresh database with the tree at ``src`` and serve it; returns once /healthz answers."""
    tmp = Path(tempfile.mkdtemp())
    env = {
        **os.environ,
        "PYTHONPATH": src,
        "CONSENTRY_DATABASE_URL": f"sqlite:///{tmp}/c.db",
        "CONSENTRY_ENVIRONMENT": "test",
        "CONSENTRY_JANITOR_INTERVAL": "0",
    }
    py = sys.executable
    subprocess.run(
        [py, "-m", "consentry.cli.main", "db", "upgrade"], env=env, check=True, capture_output=True
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with (tmp / "stderr.log").open("wb") as err:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [py, "-m", "consentry.cli.main", "serve", "--port", str(port), "--workers", "1"],
            env={**env, "CONSENTRY_ISSUER": url},
            stderr=err,
            stdout=subprocess.DEVNULL,
        )
    for _ in range(300):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return Served(proc, port, url, tmp / "stderr.log")
