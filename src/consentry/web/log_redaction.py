"""Keep credentials sent in a URL out of the access log.

Clients written for the reference platform send ``GET /tokeninfo?access_token=...``: Consentry
refuses it, but the live token is already in the request line, which uvicorn's access log (and
gunicorn's) prints verbatim. The filter rewrites the record's arguments before any handler formats
them, so every handler and format is covered, whatever the path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

#: Query parameters whose value is a credential, wherever they appear in a log line.
SECRET_PARAMS = ("access_token", "id_token", "refresh_token", "token", "client_secret", "device_code", "code")
ACCESS_LOGGERS = ("uvicorn.access", "gunicorn.access")
_SECRET = re.compile(r"\b(" + "|".join(SECRET_PARAMS) + r")=[^&\s#\"']*", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with the value of every credential parameter replaced."""
    return _SECRET.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Redacts record arguments (uvicorn passes the path as one; gunicorn a dict of atoms)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):  # changed in place: gunicorn's atoms are a dict subclass
            for key, value in list(record.args.items()):
                record.args[key] = _clean(value)
        return True


def install() -> None:
    """Attach the filter to the access loggers once (idempotent: apps share the loggers)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


@asynccontextmanager
async def redacting_lifespan(_app: Any) -> AsyncIterator[None]:
    """A router lifespan: the filter is in place before the server logs its first request."""
    install()
    yield
