"""What a process forked from one of the suite's helpers does: become a command of its own, run.

Both helpers (tests/support/cli_fork.py for CLI commands, tests/support/server_fork.py for live
servers) import the app once and fork a child per request; the child must then look like a fresh
process to what it runs: its own session, exactly the request's environment and working
directory, and its own stdin, stdout and stderr.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable


def become(env: dict[str, str], cwd: str, stdin: str | None, stdout: str | None, stderr: str | None) -> None:
    """Files by path (appended to); None leaves stdout or stderr as inherited, stdin empty."""
    os.setsid()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    os.dup2(os.open(stdin or os.devnull, os.O_RDONLY), 0)
    for fd, path in ((1, stdout), (2, stderr)):
        if path is not None:
            os.dup2(os.open(path, os.O_WRONLY | os.O_APPEND), fd)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - fd 0 stays open for the process's life


def run_and_exit(main: Callable[[], object]) -> None:
    """Run ``main`` as a program would, then leave with its exit status (never returns)."""
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
