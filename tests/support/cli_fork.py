"""``consentry ARGS`` in a process of its own, without paying for the import every time.

Each CLI test runs the real command in a fresh process, as an operator's shell would: its own
environment, stdin, stdout, stderr and exit code, and no state shared with the test. Starting the
console script costs ~1.4 s, 1 s of it importing the app, and the suite runs it hundreds of times
(a fifth of its time). So one helper process per test worker imports ``consentry.cli.main`` once,
then forks a child per command; the child gets the command's environment and files and runs the
same ``app`` the console script runs. Nothing here is threaded, so forking is safe. Tests of the
installed script itself (``tests/cli/test_cli.py``'s help test) still spawn it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

#: The helper: reads one JSON request per line, answers one line with the child's exit status.
_ZYGOTE = rf"""
import json, os, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
import consentry.cli.main as cli
from tests.support.forked_child import become, run_and_exit

for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        def command():
            become(req["env"], req["cwd"], req["stdin"], req["stdout"], req["stderr"])
            sys.argv = ["consentry", *req["args"]]
            cli.app(args=req["args"], prog_name="consentry")
        run_and_exit(command)
    print(json.dumps({{"pid": pid}}), flush=True)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({{"code": os.waitstatus_to_exitcode(status)}}), flush=True)
"""


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str


class _Zygote:
    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def _started(self, env: dict[str, str]) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _ZYGOTE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                # Read at import by rich's console: the same for every command the tests run.
                env={**env, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"},
            )
            atexit.register(self.stop)
        return self._proc

    def run(self, args: list[str], env: dict[str, str], stdin: str, timeout: float) -> Completed:
        with self._lock, tempfile.TemporaryDirectory(prefix="consentry-cli-") as tmp:
            files = {name: Path(tmp, name) for name in ("stdin", "stdout", "stderr")}
            files["stdin"].write_text(stdin)
            files["stdout"].touch()
            files["stderr"].touch()
            proc = self._started(env)
            assert proc.stdin is not None and proc.stdout is not None
            request = {"args": args, "env": env, "cwd": str(Path.cwd())}
            request.update({name: str(path) for name, path in files.items()})
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            pid = json.loads(proc.stdout.readline())["pid"]
            timer = threading.Timer(timeout, _kill, (pid,))
            timer.start()
            try:
                line = proc.stdout.readline()
            finally:
                timer.cancel()
            if not line:
                raise RuntimeError("the CLI helper process died")
            code = int(json.loads(line)["code"])
            if code == -9:
                raise subprocess.TimeoutExpired(["consentry", *args], timeout)
            return Completed(code, files["stdout"].read_text(), files["stderr"].read_text())

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=10)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


_zygote = _Zygote()


def run_consentry(args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 120) -> Completed:
    """Run ``consentry ARGS`` with exactly ``env`` as its environment, as a fresh process would."""
    return _zygote.run(list(args), env, stdin, timeout)
