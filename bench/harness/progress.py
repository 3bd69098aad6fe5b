"""Progress lines on stderr: the default run takes about ten minutes, so say what is happening."""

from __future__ import annotations

import sys
import time

_START = time.monotonic()


def say(message: str) -> None:
    elapsed = time.monotonic() - _START
    minutes, seconds = divmod(int(elapsed), 60)
    print(f"[{minutes:02d}:{seconds:02d}] {message}", file=sys.stderr, flush=True)
