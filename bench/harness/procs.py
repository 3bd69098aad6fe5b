"""Start servers pinned to a core and stop each one by its own PID.

Why so careful: the run starts seven long-lived servers (Consentry twice, PostgreSQL twice, Node
twice, gunicorn) on a shared machine, and the lead benchmarks here too. Every process is started in
its own session (so its process group id is its PID), recorded in a registry, and stopped by that PID:
first its graceful signal, then SIGKILL to the group we created, never anything found by name. The
registry is drained on normal exit, on Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx


class ServerFailed(RuntimeError):
    """A server exited early or never answered; the message carries the end of its log."""


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass(eq=False)
class Managed:
    """One process we started; ``stop_signal`` is the signal that makes it exit quickly and cleanly."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    stop_signal: signal.Signals = signal.SIGTERM
    cpu: int | None = None
    stopped: bool = field(default=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def exit_description(self) -> str:
        code = self.popen.poll()
        if code is None:
            return "is running"
        if code < 0:
            return f"was killed by {signal.Signals(-code).name}"
        return f"exited with status {code}"

    def stop(self, grace: float = 15.0) -> None:
        """Signal our PID, wait, then SIGKILL our process group (children such as gunicorn's worker)."""
        if self.stopped:
            return
        self.stopped = True
        if self in _REGISTRY:
            _REGISTRY.remove(self)
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)  # our own session: pgid == our PID
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)


#: Started and not yet stopped, in start order.
_REGISTRY: list[Managed] = []


def start(
    name: str,
    argv: Sequence[str],
    *,
    cpu: int | None,
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stop_signal: signal.Signals = signal.SIGTERM,
    user: str | None = None,
) -> Managed:
    """Start ``argv`` pinned to ``cpu`` (taskset execs the program, so the PID is the server's)."""
    command = (["taskset", "-c", str(cpu)] if cpu is not None else []) + list(argv)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        popen = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            user=user,
        )
    managed = Managed(name, popen, log, stop_signal, cpu)
    _REGISTRY.append(managed)
    return managed


def wait_http(proc: Managed, url: str, timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers 200; fail fast (with the log) if the process dies."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not proc.alive():
            raise ServerFailed(f"{proc.name} exited with {proc.popen.returncode}:\n{log_tail(proc.log)}")
        try:
            response = httpx.get(url, timeout=2.0)
            if response.status_code == 200:
                check_pinned(proc)
                return
            last = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise ServerFailed(f"{proc.name} not ready at {url} after {timeout:.0f}s ({last}):\n{log_tail(proc.log)}")


def check_pinned(proc: Managed) -> None:
    """Fail unless the (running, exec'd) process is confined to its core: the numbers depend on it."""
    if proc.cpu is None:
        return
    allowed = os.sched_getaffinity(proc.pid)
    if allowed != {proc.cpu}:
        cores = sorted(allowed)
        raise ServerFailed(f"{proc.name} (PID {proc.pid}) may run on cores {cores}, not only {proc.cpu}")


def stop_all() -> None:
    """Stop everything still registered, newest first (servers before the database they use)."""
    for managed in reversed(list(_REGISTRY)):
        managed.stop()


def _on_signal(signum: int, _frame: object) -> None:
    stop_all()
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    """Stop our servers however the driver ends (normal exit, exception, Ctrl-C, SIGTERM)."""
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
