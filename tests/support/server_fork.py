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
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

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
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        become(req["env"], req["cwd"], None, req["output"], req["output"])
        if not req["output"]:
            os.dup2(2, 1)  # not the pipe to the tests: that one carries this helper's answers
        sys.argv = ["uvicorn", *req["args"]]
        run_and_exit(lambda: uvicorn.main.main(args=req["args"], prog_name="uvicorn"))
    print(json.dumps({{"pid": pid}}), flush=True)
"""


class ForkedServer:
    """A forked server, watched by pid (its exit status stays with the helper that reaped it)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # ended; how is known only to the helper
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"server {self.pid}", timeout or 0)
            time.sleep(0.02)
        return code

    def terminate(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)


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
            request = {"args": args, "env": env, "cwd": str(Path.cwd())}
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
