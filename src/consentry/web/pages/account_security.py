"""The account's two-step verification: /account/security and its pages (ACCT-3).

Looking needs a signed-in account; every change (setting up or turning off the authenticator app,
new recovery codes) needs one signed in within ``reauth_window`` (RecentUser): a browser left
signed in must not be enough to take two-step off. Each such POST path also answers GET with its
form, so the password asked again can come back to it. Recovery codes are shown once, in the
response that made them, never on a page that can be opened again. Every set-up page shows a new
secret, carried sealed in its form (domain/accounts/totp.py); after a wrong code the same one is
shown again, after ten minutes a new one with the reason.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import segno
from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import HTMLResponse, RedirectResponse, Response

from consentry.domain.accounts.factor_removal import blocked
from consentry.domain.accounts.factors import factors_of
from consentry.domain.accounts.recovery_codes import RecoveryCodes
from consentry.domain.accounts.totp import Enrollment, Totp
from consentry.errors import Conflict, DomainError, http_status
from consentry.web.deps import Csrf, Current, CurrentUser, RecentUser, UnitOfWork
from consentry.web.mail_wake import wake_mailer_after_commit
from consentry.web.pages.account import Form
from consentry.web.pages.account_view import account_page
from consentry.web.render import render
from consentry.web.runtime import runtime

router = APIRouter(include_in_schema=False)

#: What the status page says after a change (``?done=<key>``).
DONE = {
    "totp-on": "The authenticator app is set up. Signing in now asks for a code from it.",
    "totp-off": "The authenticator app was turned off.",
    "totp-already": "An authenticator app is already set up. Turn it off first to set up another.",
    "codes-saved": "Keep your recovery codes somewhere safe, away from your phone.",
}


def enrollment_view(enrollment: Enrollment) -> dict[str, Any]:
    """The QR code (inline SVG: no external image, no style attribute) and the secret to type."""
    qr = segno.make(enrollment.uri, error="m")
    svg = qr.svg_inline(scale=4, border=2, dark="#1f2328", svgclass="qr", lineclass=None, omitsize=True)
    # segno writes only a viewBox and path data (the URI is encoded in the path, never as text).
    return {
        "qr": Markup(svg),  # noqa: S704
        "secret": enrollment.secret,
        "grouped": enrollment.grouped,
        "sealed": enrollment.sealed,
    }


def codes_page(codes: list[str], *, continue_to: str, at_signin: bool = False) -> HTMLResponse:
    """The ten recovery codes, shown this once (the response is never cached)."""
    return render("account_security_codes.html", codes=codes, continue_to=continue_to, at_signin=at_signin)


def _totp(request: Request) -> Totp:
    return Totp.from_settings(runtime(request).ctx.settings)


def _codes(request: Request) -> RecoveryCodes:
    return RecoveryCodes.from_settings(runtime(request).ctx.settings)


def _status(
    request: Request, db: UnitOfWork, current: Current, *, done: str = "", problem: DomainError | None = None
) -> HTMLResponse:
    return account_page(
        "account_security.html",
        current,
        refusal=problem,
        factors=factors_of(db, current.user),
        org=current.user.hosted_domain,
        notice=DONE.get(done, ""),
        problem=problem,
    )


@router.get("/account/security")
def security(request: Request, db: UnitOfWork, current: CurrentUser, done: str = "") -> HTMLResponse:
    """Two-step verification at a glance: the app, the recovery codes left, passkeys, the org's rule."""
    return _status(request, db, current, done=done)


# --- the authenticator app ---------------------------------------------------------------------


def _setup_page(
    request: Request,
    db: UnitOfWork,
    current: Current,
    *,
    sealed: str = "",
    problem: DomainError | None = None,
) -> Response:
    """A fresh secret; or, after a wrong code, the one the form carried (the app holds it already)."""
    totp = _totp(request)
    enrollment = None
    if sealed:
        with suppress(DomainError):  # expired meanwhile: a fresh one
            enrollment = totp.reopen(current.user, sealed)
    try:
        enrollment = enrollment or totp.enrollment(db, current.user)
    except Conflict:
        return RedirectResponse("/account/security?done=totp-already", status_code=303)
    return render(
        "totp_setup.html",
        status_code=http_status(problem) if problem else 200,
        user=current.user,
        setup=enrollment_view(enrollment),
        csrf=current.csrf,
        error=problem.message if problem else "",
        error_code=problem.code if problem else "",
    )


@router.get("/account/security/totp")
def totp_setup(request: Request, db: UnitOfWork, current: RecentUser) -> Response:
    """Scan the QR code (or type the secret), then confirm with the first code."""
    return _setup_page(request, db, current)


@router.post("/account/security/totp")
def totp_confirm(_: Csrf, request: Request, db: UnitOfWork, current: RecentUser, form: Form) -> Response:
    code = str(form.get("code", ""))[:64]
    sealed = str(form.get("setup", ""))[:1000]
    user = current.user
    try:
        on = _totp(request).confirm(db, user, sealed, code, channel=current.actor.channel)
    except Conflict:
        return RedirectResponse("/account/security?done=totp-already", status_code=303)
    except DomainError as exc:  # the form's secret expired or is not this account's
        return _setup_page(request, db, current, problem=exc)
    if not on:
        wrong = DomainError(
            "wrong_code",
            "That code didn't work. Type the 6 digits the app shows now (they change every 30 seconds).",
        )
        return _setup_page(request, db, current, sealed=sealed, problem=wrong)
    wake_mailer_after_commit(request, db)  # "two-step verification is on", promptly
    codes = _codes(request)
    if codes.left(db, user.id) > 0:  # passkeys came first, with their codes: keep those
        return RedirectResponse("/account/security?done=totp-on", status_code=303)
    made = codes.generate(db, user, actor=current.actor.email, channel=current.actor.channel)
    return codes_page(made, continue_to="/account/security?done=totp-on")


@router.get("/account/security/totp/off")
def totp_off_page(request: Request, db: UnitOfWork, current: RecentUser) -> Response:
    factors = factors_of(db, current.user)
    if not factors.totp:
        return RedirectResponse("/account/security", status_code=303)
    return render(
        "account_security_confirm.html",
        user=current.user,
        csrf=current.csrf,
        title="Turn off the authenticator app?",
        text=(
            "Signing in will no longer ask for a code from the app."
            + (
                " Your passkeys stay, and so do your recovery codes."
                if factors.passkeys
                else " Your recovery codes and app passwords stop working too."
            )
        ),
        blocked=blocked(factors, totp=True),
        action="/account/security/totp/off",
        button="Turn off",
        danger=True,
    )


@router.post("/account/security/totp/off")
def totp_off(_: Csrf, request: Request, db: UnitOfWork, current: RecentUser) -> Response:
    try:
        _totp(request).turn_off(db, current.user, actor=current.actor.email, channel=current.actor.channel)
    except DomainError as exc:
        db.rollback()
        return _status(request, db, current, problem=exc)
    wake_mailer_after_commit(request, db)
    return RedirectResponse("/account/security?done=totp-off", status_code=303)


# --- recovery codes ----------------------------------------------------------------------------


@router.get("/account/security/recovery-codes")
def recovery_codes_page(request: Request, db: UnitOfWork, current: RecentUser) -> Response:
    factors = factors_of(db, current.user)
    return render(
        "account_security_confirm.html",
        user=current.user,
        csrf=current.csrf,
        title="Get new recovery codes?",
        text=f"You have {factors.recovery_left} unused codes. "
        "New codes replace them all: the old ones stop working.",
        blocked=False,
        unavailable=not factors.two_step,
        action="/account/security/recovery-codes",
        button="Get new codes",
        danger=False,
    )


@router.post("/account/security/recovery-codes")
def recovery_codes_new(_: Csrf, request: Request, db: UnitOfWork, current: RecentUser) -> Response:
    if not factors_of(db, current.user).two_step:
        problem = Conflict(
            "no_second_step", "Recovery codes back up a second step: set up an authenticator app first."
        )
        return _status(request, db, current, problem=problem)
    made = _codes(request).generate(
        db, current.user, actor=current.actor.email, channel=current.actor.channel
    )
    return codes_page(made, continue_to="/account/security?done=codes-saved")
