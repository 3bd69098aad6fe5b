"""Live servers forked from a helper that has imported the app already.

Each live server used to be ``python -m uvicorn consentry.app:create_app`` spawned afresh, and
importing the app costs about 3 s on the VMs this suite runs on; the browser, client-library and
socket tests start about a hundred of them. So one helper process per test worker imports the app
and uvicorn once, then forks a server per request, with the request's environment and output file;
the server then runs exactly the uvicorn command line it used to. Nothing in the helper is
threaded, so forking is safe. The helper reaps its children itself (SIGCHLD ignored), so a server
is watched by its pid: :class:`ForkedServer` answers what tests asked of the ``Popen`` before.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

#: The helper: one JSON request per line; answers each with the new server's pid.
_HELPER = rf"""
import json, os, signal, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
import uvicorn.main
import consentry.app
from tests.support.forked_child import become, run_and_exit

signal.signal(signal.SIGCHLD, signal.SIG_IGN)
for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        def server():
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            become(req["env"], req["cwd"], None, req["output"], req["output"])
            if not req["output"]:
                os.dup2(2, 1)  # not the pipe to the tests: that one carries this helper's answers
            sys.argv = ["uvicorn", *req["args"]]
            uvicorn.main.main(args=req["args"], prog_name="uvicorn")
        run_and_exit(server)
    print(json.dumps({{"pid": pid}}), flush=True)
"""


class ForkedServer:
    """A forked server, watched through a pidfd: the helper reaps its children at once, so a bare
    pid could be reused by another process before the tests look at it again. How it ended stays
    with the helper: ``returncode`` is 0 once it has ended, whatever the cause."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # ended (and reaped) before it could be watched
            self._fd, self.returncode = None, 0

    def poll(self) -> int | None:
        if self.returncode is None and self._fd is not None:
            readable, _, _ = select.select([self._fd], [], [], 0)
            if readable:  # a pidfd becomes readable when its process ends
                self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self._fd is not None:
            readable, _, _ = select.select([self._fd], [], [], timeout)
            if not readable:
                raise subprocess.TimeoutExpired(f"server {self.pid}", timeout or 0)
            self._ended()
        return 0

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self.returncode is None and self._fd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._fd, sig)

    def _ended(self) -> None:
        self.returncode = 0
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _Helper:
    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def fork(self, args: list[str], env: dict[str, str], output: IO[bytes] | None) -> ForkedServer:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = subprocess.Popen(
                    [sys.executable, "-c", _HELPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
                )
                atexit.register(self.stop)
            assert self._proc.stdin is not None and self._proc.stdout is not None
            request: dict[str, Any] = {"args": args, "env": env, "cwd": str(Path.cwd())}
            request["output"] = output.name if output is not None else None
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
            if not line:
                raise RuntimeError("the live-server helper process died")
            return ForkedServer(int(json.loads(line)["pid"]))

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=10)


_helper = _Helper()


def can_fork(output: IO[bytes] | None) -> bool:
    """The helper writes a server's output to a file by name: anything else is spawned as before."""
    return output is None or (isinstance(getattr(output, "name", None), str) and os.path.isfile(output.name))


def fork_uvicorn(args: list[str], env: dict[str, str], output: IO[bytes] | None) -> ForkedServer:
    """``uvicorn ARGS`` with exactly ``env``, forked from the helper."""
    if output is not None:
        output.flush()
    return _helper.fork(list(args), env, output)
