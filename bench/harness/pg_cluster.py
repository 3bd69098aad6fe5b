"""A private, throwaway PostgreSQL cluster for Consentry-on-PostgreSQL, pinned to the server core.

Unlike tests/support/postgres.py (which switches durability off because tests never need it), this
cluster keeps PostgreSQL's defaults: fsync, synchronous_commit and full_page_writes on. The point of
the benchmark is a server that stores tokens durably, so the commit cost is part of the number.
The postmaster runs in the foreground under ``taskset -c <server core>`` (its backends inherit the
pin) and is stopped by its PID with SIGINT, PostgreSQL's "fast" shutdown.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from bench.harness import procs
from bench.harness.net import free_port

PG_USER = "postgres"


def find_bindir() -> Path:
    """Debian keeps initdb and postgres off PATH, in /usr/lib/postgresql/<major>/bin (newest wins)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p)],
        reverse=True,
    )
    on_path = shutil.which("initdb")
    candidates = [Path(p) for p in found] + ([Path(on_path).resolve().parent] if on_path else [])
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "postgres").exists():
            return bindir
    raise FileNotFoundError("PostgreSQL server binaries not found (apt-get install postgresql)")


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root; as root we run it as the postgres system user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--home", "/nonexistent", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
        )
    return PG_USER


@dataclass
class PgCluster:
    cpu: int
    port: int = 0
    workdir: Path | None = None
    server: procs.Managed | None = None
    user: str | None = field(default_factory=_run_as)

    def start(self) -> PgCluster:
        """initdb, start and wait; a cluster that fails on the way is stopped and removed again."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        bindir = find_bindir()
        # Under /tmp and owned by the server's user: it must traverse and own the data directory.
        self.workdir = Path(tempfile.mkdtemp(prefix="consentry-bench-pg-", dir="/tmp"))
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.workdir, entry.pw_uid, entry.pw_gid)
        data = self.workdir / "data"
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", PG_USER, "-A", "trust", "-E", "UTF8"]
        # --no-sync only skips initdb's own final fsync of the fresh cluster; the server below runs
        # with fsync and synchronous_commit on.
        subprocess.run(
            [*initdb, "--locale=C", "--no-sync"],
            check=True,
            capture_output=True,
            user=self.user,
            cwd=self.workdir,
        )
        self.port = free_port()
        argv = [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"port={self.port}",
            "-c",
            f"unix_socket_directories={self.workdir}",
        ]
        self.server = procs.start(
            "postgres",
            argv,
            cpu=self.cpu,
            log=self.workdir / "postgres.log",
            cwd=self.workdir,
            stop_signal=signal.SIGINT,
            user=self.user,
        )
        self._wait_ready()

    @property
    def admin_conninfo(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/postgres"

    def _wait_ready(self, timeout: float = 60.0) -> None:
        assert self.server is not None
        deadline = time.monotonic() + timeout
        while True:
            if not self.server.alive():
                raise procs.ServerFailed(f"postgres exited:\n{procs.log_tail(self.server.log)}")
            try:
                with psycopg.connect(self.admin_conninfo, connect_timeout=3):
                    procs.check_pinned(self.server)
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def create_database(self, name: str) -> str:
        """A new empty database; its SQLAlchemy URL (psycopg 3 driver)."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"unsafe database name {name!r}")  # it goes into the URL below too
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(grace=60.0)
            self.server = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
