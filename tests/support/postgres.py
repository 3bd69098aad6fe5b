"""A throwaway PostgreSQL server for the test session.

The PostgreSQL half of the suite must run against a real server, not SQLite, and CI machines have no
running cluster we may touch.  So we ``initdb`` a private cluster in a temporary directory, listen on a
free loopback port with durability switched off (tests never need crash safety), and remove it afterwards.

Load it as a plugin (``pytest_plugins = ["tests.support.postgres"]``) to get the session-scoped
``postgres_server`` fixture.  Set ``CONSENTRY_TEST_POSTGRES_URL`` to use an existing server instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from tests.support import scratch

ENV_URL = "CONSENTRY_TEST_POSTGRES_URL"
ENV_ALLOW_MISSING = "CONSENTRY_ALLOW_NO_POSTGRES"
PG_USER = "postgres"
READY_TIMEOUT = 30.0
_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_DB_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PostgresNotFound(RuntimeError):
    """No PostgreSQL server binaries on this machine (as opposed to a server that failed to start)."""


@dataclass
class PostgresServer:
    """A running server; ``datadir`` is None when it is an external server we must not stop."""

    url: str
    port: int
    datadir: Path | None = None
    bindir: Path | None = None
    workdir: Path | None = None
    #: One autocommit connection kept for CREATE/DROP DATABASE: a new one cost 12 ms, against
    #: 0.2 ms per statement on a kept one, and every test on PostgreSQL makes and drops a database.
    admin: psycopg.Connection[Any] | None = field(default=None, repr=False, compare=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def stop(self) -> None:
        """Stop immediately (no checkpoint: the data is thrown away anyway) and delete the files."""
        if self.admin is not None:
            self.admin.close()
            self.admin = None
        if self.datadir is None or self.bindir is None:
            return
        if self.datadir.exists():
            _run(
                [str(self.bindir / "pg_ctl"), "stop", "-D", str(self.datadir), "-m", "immediate", "-w"],
                cwd=self.workdir,
                check=False,
            )
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.datadir = None


def find_postgres_bindir() -> Path:
    """Directory holding initdb, pg_ctl and postgres.

    Debian keeps them off PATH in /usr/lib/postgresql/<major>/bin, so look there first (newest major wins).
    """
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p)] or [0],
        reverse=True,
    )
    candidates = [Path(p) for p in debian]
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
        candidates.append(Path(initdb).parent)
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in _REQUIRED_BINARIES):
            return bindir
    raise PostgresNotFound(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in /usr/lib/postgresql/*/bin or "
        "on PATH. Run scripts/install-test-deps.sh (apt-get install postgresql), or point "
        f"{ENV_URL} at a server, or set {ENV_ALLOW_MISSING}=1 to skip the PostgreSQL tests."
    )


def _as_root() -> bool:
    return os.geteuid() == 0


def _ensure_pg_user() -> pwd.struct_passwd:
    """PostgreSQL refuses to run as root, so as root we run it as the ``postgres`` system user."""
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--home", "/nonexistent", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
        )
        return pwd.getpwnam(PG_USER)


def _as_pg_user(cmd: Sequence[str]) -> list[str]:
    if not _as_root():
        return list(cmd)
    if shutil.which("runuser"):
        return ["runuser", "-u", PG_USER, "--", *cmd]
    return ["su", PG_USER, "-s", "/bin/sh", "-c", shlex.join(cmd)]


def _run(cmd: Sequence[str], *, cwd: Path | None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool as the right user; output goes into the exception so failures are readable."""
    proc = subprocess.run(
        _as_pg_user(cmd), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scratch_dir() -> str | None:
    """Memory when there is room (durability is off anyway; see tests/support/scratch.py), else
    /tmp as root (where the postgres user can reach it), else the usual temp dir."""
    shm = scratch.in_memory()
    if shm is not None:
        return str(shm)
    return "/tmp" if _as_root() else None


def _make_workdir() -> Path:
    """Private 0700 dir; as root it must belong to the postgres user, who creates the cluster inside."""
    workdir = Path(tempfile.mkdtemp(prefix="consentry-pg-", dir=_scratch_dir()))
    if _as_root():
        user = _ensure_pg_user()
        os.chown(workdir, user.pw_uid, user.pw_gid)
    workdir.chmod(0o700)
    return workdir


def _read_log(log: Path) -> str:
    try:
        return log.read_text(errors="replace")
    except OSError:
        return "(no server log)"


def _wait_ready(url: str, log: Path) -> None:
    """``pg_ctl -w`` only proves the postmaster is up; make sure a real client connection works."""
    conninfo = _libpq_url(make_url(url))
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            with psycopg.connect(conninfo, connect_timeout=5):
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"PostgreSQL not ready after {READY_TIMEOUT:.0f}s: {exc}\n"
                    f"--- server log ---\n{_read_log(log)}"
                ) from exc
            time.sleep(0.1)


def _start_once(bindir: Path) -> PostgresServer:
    workdir = _make_workdir()
    datadir, log = workdir / "data", workdir / "postgres.log"
    port = _free_port()
    server = PostgresServer(
        url=f"postgresql+psycopg://{PG_USER}@127.0.0.1:{port}/postgres",
        port=port,
        datadir=datadir,
        bindir=bindir,
        workdir=workdir,
    )
    try:
        initdb_opts = ["-U", PG_USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]
        _run([str(bindir / "initdb"), "-D", str(datadir), *initdb_opts], cwd=workdir)
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(port),
            "unix_socket_directories": f"'{workdir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "autovacuum": "off",  # short-lived databases; its workers only compete with the tests
            "max_connections": "200",
        }
        # Appending keeps the file's owner (postgres); later settings win over initdb's defaults.
        with (datadir / "postgresql.conf").open("a") as conf:
            conf.write("\n# consentry test settings\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        pg_ctl = [str(bindir / "pg_ctl"), "start", "-D", str(datadir), "-l", str(log), "-w"]
        started = _run([*pg_ctl, "-t", str(int(READY_TIMEOUT))], cwd=workdir, check=False)
        if started.returncode != 0:
            raise RuntimeError(
                f"pg_ctl start exited {started.returncode}:\n{started.stdout}{started.stderr}\n"
                f"--- server log ---\n{_read_log(log)}"
            )
        _wait_ready(server.url, log)
        return server
    except BaseException:
        server.stop()  # also kills a postmaster that came up but never became ready
        raise


def start_postgres(attempts: int = 3) -> PostgresServer:
    """Start a private server; retried because another process may grab our free port before we bind it."""
    bindir = find_postgres_bindir()
    for attempt in range(1, attempts + 1):
        try:
            return _start_once(bindir)
        except RuntimeError as exc:
            print(f"PostgreSQL start attempt {attempt}/{attempts} failed:\n{exc}", file=sys.stderr)
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def _libpq_url(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlalchemy_url(raw: str) -> URL:
    """Plain ``postgresql://`` would make SQLAlchemy pick psycopg2, which we do not install."""
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def external_server(raw_url: str) -> PostgresServer:
    """Wrap an existing server (from ``CONSENTRY_TEST_POSTGRES_URL``); stop() leaves it alone."""
    url = _sqlalchemy_url(raw_url)
    return PostgresServer(url=url.render_as_string(hide_password=False), port=url.port or 5432)


def _admin_execute(server: PostgresServer, statement: str) -> None:
    """On the server's kept connection (autocommit: CREATE/DROP DATABASE cannot run inside a
    transaction block); a connection that broke is replaced, and the statement tried once more."""
    with server.lock:
        admin = _admin(server)
        try:
            admin.execute(statement)
            return
        except psycopg.OperationalError:
            if not (admin.broken or admin.closed):
                raise  # the statement failed, not the connection
            admin.close()
        _admin(server).execute(statement)


def _admin(server: PostgresServer) -> psycopg.Connection[Any]:
    """The server's kept connection, (re)opened when needed; the caller holds ``server.lock``."""
    if server.admin is None or server.admin.closed:
        server.admin = psycopg.connect(_libpq_url(_sqlalchemy_url(server.url)), autocommit=True)
    return server.admin


def server_version(server: PostgresServer) -> int:
    """``server_version_num``: 150004 for 15.4."""
    with server.lock:
        row = _admin(server).execute("SHOW server_version_num").fetchone()
    return int(row[0]) if row else 0


def _check_name(name: str) -> str:
    if not _DB_NAME.match(name):
        raise ValueError(f"unsafe database name: {name!r}")
    return f'"{name}"'


def create_database(server: PostgresServer, name: str) -> str:
    """Create an empty database so each test (or xdist worker) gets isolated schema state."""
    _admin_execute(server, f"CREATE DATABASE {_check_name(name)}")
    return _sqlalchemy_url(server.url).set(database=name).render_as_string(hide_password=False)


def drop_database(server: PostgresServer, name: str) -> None:
    """Drop even if a leaked connection is still open (FORCE), so teardown never hangs."""
    _admin_execute(server, f"DROP DATABASE IF EXISTS {_check_name(name)} WITH (FORCE)")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One server per session (per xdist worker). Missing binaries fail loudly unless explicitly allowed."""
    external = os.environ.get(ENV_URL)
    if external:
        outside = external_server(external)
        try:
            yield outside
        finally:
            outside.stop()  # closes the kept admin connection; the server itself is not ours
        return
    try:
        find_postgres_bindir()
    except PostgresNotFound as exc:
        missing = str(exc)
    else:
        missing = ""
    if missing:  # outside the except block, so the report is just the message
        if os.environ.get(ENV_ALLOW_MISSING) == "1":
            pytest.skip(f"{missing} ({ENV_ALLOW_MISSING}=1)")
        pytest.fail(missing, pytrace=False)
    started_at = time.monotonic()
    server = start_postgres()
    print(
        f"PostgreSQL test server on port {server.port} ready in {time.monotonic() - started_at:.2f}s",
        file=sys.stderr,
    )
    try:
        yield server
    finally:
        server.stop()
