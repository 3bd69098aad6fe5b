"""The forms a person fills in before they have a session: ask for a mailed link, then use it.

A password reset (ACCT-1), a sign-up and an accepted invitation (ACCT-6) work the same way, so
they share this module rather than three copies of it:

- :func:`page` renders with the browser's CSRF token (a first visit gets its cookie there), and
  :func:`checked_form` reads a POST only when its token matches;
- :func:`mail_a_link` answers "check your mail" from nothing but the form and does the work that
  depends on the address after the answer is sent, so neither its words nor its timing tell
  whether an account uses the address;
- :func:`link_form` shows a link's page while the link is good; :func:`use_link` checks its POST
  (the CSRF token, the link, the two passwords typed, the domain's verdict) in one unit of work:
  a link that died meanwhile reads as expired, any other refusal as what to fix.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from consentry.domain.accounts.account_mail import lasts
from consentry.domain.accounts.emails import is_email_address
from consentry.domain.accounts.links import Links
from consentry.domain.accounts.password_rules import MIN_LENGTH
from consentry.errors import DomainError
from consentry.web.client_address import client_address
from consentry.web.mail_wake import wake_mailer_after_commit
from consentry.web.render import error_page, render
from consentry.web.runtime import Runtime, runtime
from consentry.web.session import BrowserState

log = logging.getLogger(__name__)
#: Longest e-mail address the forms take (RFC 5321); longer input is refused, not processed.
MAX_EMAIL = 254
#: Longest display name read from a form (the domain then allows at most 200 characters).
MAX_NAME = 300
DIFFER = "The two passwords differ: type the same password twice."

Link = TypeVar("Link")
Done = TypeVar("Done")
#: A domain request for a mailed link: ``(session, links, hasher, *, email, client, ttl, issuer)``.
AskForLink = Callable[..., StrEnum]


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page with the browser's CSRF token; a first visit gets its session cookie here."""
    rt = runtime(request)
    state = rt.sessions.state(request)
    resp = render(template, status_code=status_code, csrf=rt.sessions.csrf_token(state), **context)
    if state.fresh:
        rt.sessions.set_cookie(resp, state)
    return resp


async def checked_form(request: Request) -> tuple[FormData | None, BrowserState]:
    """The posted form, or None when its CSRF token does not match the browser's cookie."""
    rt = runtime(request)
    state = rt.sessions.state(request)
    form = await request.form()
    ok = rt.sessions.check_csrf(state, str(form.get("csrf", "")))
    return (form if ok else None), state


def csrf_failed() -> Response:
    return error_page(
        "Session check failed",
        "The page was open too long or cookies are blocked. Go back, reload and try again.",
        403,
        "csrf",
    )


def sentence(message: str) -> str:
    """A domain message as a sentence on a page (the password rule writes lower-case clauses)."""
    message = message.strip()
    if not message:
        return message
    return message[0].upper() + message[1:] + ("" if message[-1] in ".!?" else ".")


def typed_email(form: FormData) -> str:
    return str(form.get("email", "")).strip().lower()[: MAX_EMAIL + 1]


def email_problem(email: str) -> str:
    if not email:
        return "Type the e-mail address of your account."
    if len(email) > MAX_EMAIL or not is_email_address(email):
        return "That is not an e-mail address: check it for typing mistakes."
    return ""


# --- asking for a link ---------------------------------------------------------------------------
async def mail_a_link(
    request: Request,
    ask: AskForLink,
    *,
    mailed: frozenset[StrEnum],
    ttl: int,
    form_page: str,
    sent_page: str,
    what: str,
) -> Response:
    """The answer to a form asking for a link: the form again when the address is not one (about
    what was typed, never about an account), else ``sent_page``. ``ask`` runs after the answer is
    sent; the mailer is woken when its outcome is in ``mailed``."""
    form, _state = await checked_form(request)
    if form is None:
        return csrf_failed()
    email = typed_email(form)
    problem = email_problem(email)
    if problem:
        return page(request, form_page, 400, email=email[:MAX_EMAIL], error=problem)
    rt = runtime(request)
    resp = page(request, sent_page, lifetime=lasts(ttl))
    work = _LinkRequest(rt, request, ask, mailed, ttl, what, email, client_address(request.scope))
    resp.background = BackgroundTask(work.run)
    return resp


@dataclass(frozen=True)
class _LinkRequest:
    rt: Runtime
    request: Request
    ask: AskForLink
    mailed: frozenset[StrEnum]
    ttl: int
    what: str
    email: str
    client: str

    def run(self) -> None:
        """The address-dependent work, after the answer is sent; failures are logged, never shown."""
        rt = self.rt
        try:
            with rt.ctx.db.unit_of_work() as db:
                done = self.ask(
                    db,
                    rt.links,
                    rt.ctx.hasher,
                    email=self.email,
                    client=self.client,
                    ttl=self.ttl,
                    issuer=rt.ctx.settings.issuer_url,
                )
                if done in self.mailed:
                    wake_mailer_after_commit(self.request, db)
        except Exception:
            log.exception("%s could not be processed", self.what)


# --- using a link --------------------------------------------------------------------------------
#: What a still-good link is for (nothing is used up), or None: ``(session, links, token)``.
LookUp = Callable[[Session, Links, str], Link | None]


@dataclass(frozen=True)
class Typed:
    """What a link's page posted: the link's secret, a name (when asked) and the password twice."""

    token: str
    name: str = ""
    password: str = ""
    again: str = ""

    @classmethod
    def of(cls, form: FormData) -> Typed:
        return cls(
            str(form.get("token", "")),
            str(form.get("name", ""))[:MAX_NAME],
            str(form.get("password", "")),
            str(form.get("password_again", "")),
        )


def link_page(
    request: Request,
    template: str,
    link: object | None,
    typed: Typed,
    *,
    error: str = "",
    status: int = 200,
    as_: str = "link",
) -> Response:
    """A mailed link's page (``link`` named ``as_`` in the template): its form, keeping the name
    typed; for a dead link (None) the page saying so, with status 400."""
    if link is None:
        return page(request, template, 400, **{as_: None})
    context = {as_: link, "token": typed.token, "typed_name": typed.name}
    return page(request, template, status, error=error, min_length=MIN_LENGTH, **context)


async def link_form(
    request: Request, template: str, look: LookUp[Any], token: str, *, as_: str = "link"
) -> Response:
    """The GET of a link's page: its form while the link is good, else the page saying it is not."""
    rt = runtime(request)

    def work() -> object | None:
        with rt.ctx.db.unit_of_work() as db:
            return look(db, rt.links, token)

    return link_page(request, template, await run_in_threadpool(work), Typed(token), as_=as_)


@dataclass(frozen=True)
class Used(Generic[Link, Done]):
    """A link's form posted: ``link`` None, it is dead (used, expired, revoked); ``done`` None, the
    domain refused what was typed and ``problem`` says why."""

    typed: Typed
    state: BrowserState
    link: Link | None
    done: Done | None = None
    problem: str = ""


async def use_link(
    request: Request,
    look: LookUp[Link],
    use: Callable[[Session, Runtime, Typed], Done],
    *,
    differ: str = DIFFER,
    wake_mailer: bool = False,
) -> Used[Link, Done] | Response:
    """The POST of a link's page. A Response is the refusal of its CSRF token; else the link, the
    two passwords and the domain's verdict (``use``) are checked in one unit of work, and a
    refusal rolls back, so the link stays usable for a better try. ``wake_mailer``: ``use`` queues
    mail that should go at once."""
    form, state = await checked_form(request)
    if form is None:
        return csrf_failed()
    rt = runtime(request)
    typed = Typed.of(form)

    def work() -> Used[Link, Done]:
        with rt.ctx.db.unit_of_work() as db:
            link = look(db, rt.links, typed.token)
            if link is None:
                return Used(typed, state, None)
            if typed.password != typed.again:
                return Used(typed, state, link, problem=differ)
            try:
                done = use(db, rt, typed)
            except DomainError as err:
                db.rollback()
                if err.code == "expired":
                    return Used(typed, state, None)
                return Used(typed, state, link, problem=sentence(err.message))
            if wake_mailer:
                wake_mailer_after_commit(request, db)
            return Used(typed, state, link, done)

    return await run_in_threadpool(work)
