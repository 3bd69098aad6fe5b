"""What a process forked from one of the suite's helpers does: become a command of its own, run.

Both helpers (tests/support/cli_fork.py for CLI commands, tests/support/server_fork.py for live
servers) import the app once and fork a child per request; the child must then look like a fresh
process to what it runs: its own session, exactly the request's environment and working
directory, and its own stdin, stdout and stderr.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import traceback
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def become(env: dict[str, str], cwd: str, stdin: str | None, stdout: str | None, stderr: str | None) -> None:
    """Files by path (appended to); None leaves stdout or stderr as inherited, stdin empty.

    The child also ends when the helper does (``PR_SET_PDEATHSIG``), so nothing it started outlives
    a test run that was interrupted: the helper ends when the tests close its pipe.
    """
    os.setsid()
    _end_with_parent()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    for fd, path, mode in (
        (0, stdin or os.devnull, os.O_RDONLY),
        (1, stdout, os.O_WRONLY | os.O_APPEND),
        (2, stderr, os.O_WRONLY | os.O_APPEND),
    ):
        if path is not None:
            opened = os.open(path, mode)
            os.dup2(opened, fd)
            os.close(opened)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - fd 0 stays open for the process's life


def _end_with_parent() -> None:
    """SIGTERM when the helper exits (Linux); elsewhere, children are left to the tests to stop."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def run_and_exit(main: Callable[[], object]) -> None:
    """Run ``main`` (the child's setup and its program) as a program would, then leave with its exit
    status: never returns, so a child whose setup fails never runs on in the helper's loop."""
    code = 1
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
