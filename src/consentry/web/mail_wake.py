"""Prompt delivery of mail a view just queued: wake the mailer once the view's transaction commits.

Without it the mail waits for the mailer's next interval (``CONSENTRY_MAIL_INTERVAL``); a reset link
or a security notice should not. The app keeps its mailer on ``app.state`` while it runs.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request


def wake_mailer_after_commit(request: Request, db: Session) -> None:
    mailer = getattr(request.app.state, "mailer", None)
    if mailer is not None:
        mailer.wake_after_commit(db)
