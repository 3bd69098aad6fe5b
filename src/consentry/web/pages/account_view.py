"""The one shape of a page of the signed-in account's settings (ACCT-3 to ACCT-6).

Each of /account/security, /account/passkeys, /account/app-passwords, /account/sessions,
/account/delete and /account/organization lists what the account has and offers to change it; a
change that succeeds redirects back with ``?done=<key>`` (the page says what happened), one that
is refused rolls back and shows the page again with the refusal and its status.
:func:`account_page` gives every such page the same user, CSRF token, time format and status.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import HTMLResponse

from consentry.errors import DomainError, http_status
from consentry.web.deps import Current
from consentry.web.pages.account import when
from consentry.web.render import render


def account_page(
    template: str, current: Current, *, refusal: DomainError | None = None, **context: Any
) -> HTMLResponse:
    """``template`` for the signed-in user, with ``csrf`` and ``when``; the status is ``refusal``'s
    (a change refused, which the page shows) or 200."""
    return render(
        template,
        status_code=http_status(refusal) if refusal else 200,
        user=current.user,
        csrf=current.csrf,
        when=when,
        **context,
    )
