"""What the authorization endpoint decided, as data the views render, and the small rules the
decision uses (which accounts an ``hd`` keeps, whether a hint names an account)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc6749.errors import OAuth2Error, UnsupportedResponseTypeError

from consentry.domain.policy.decision import Decision
from consentry.protocol.oauth2.issuer import with_issuer
from consentry.protocol.starlette import StarletteOAuth2Request
from consentry.web.consent_view import Page


@dataclass
class Outcome:
    """What the endpoint should do next."""

    kind: str  # "redirect" | "code" | "signin" | "choose" | "consent" | "screen" | "error_page"
    location: str = ""
    flow: str = ""
    context: dict[str, Any] | None = None
    #: A pause to store before answering: the account it is for (consent), or None (sign-in).
    pause: bool = False
    pause_user_id: int | None = None
    #: Charge the anonymous-writers quota to this client before pausing (a visitor not signed in).
    quota_client: str | None = None
    #: For "consent" and "screen": what the page asks (rendered with the app's disclosure).
    page: Page | None = None
    passed: frozenset[str] = frozenset()
    #: The project concerned, and a policy refusal its developer should hear of.
    project_id: int | None = None
    notice: Decision | None = None

    @property
    def final(self) -> bool:
        """Answered without a page or a pause: the fast path can send it itself."""
        return self.kind in ("redirect", "code") and not self.pause


def build_request(issuer: str, params: list[tuple[str, str]]) -> StarletteOAuth2Request:
    uri = issuer + "/authorize?" + urlencode(params)
    return StarletteOAuth2Request("GET", uri, {}, params, [])


def _describe(error: OAuth2Error) -> str:
    """Authlib's own message; its unsupported_response_type wraps the message twice, so prefer the raw one."""
    if isinstance(error, UnsupportedResponseTypeError):
        return "The app asked for a response type this server does not support (use response_type=code)."
    return str(error.description or error.get_error_description() or error.error)


def error_outcome(error: OAuth2Error, issuer: str) -> Outcome:
    """Redirect only to a URI Authlib already validated, naming the issuer (RFC 9207); otherwise
    show a page."""
    status, _body, headers = error(None)
    if error.redirect_uri:
        location = dict(headers).get("Location", "")
        return Outcome("redirect", location=with_issuer(location, issuer))
    return Outcome(
        "error_page", context={"error": error.error, "message": _describe(error), "status": status}
    )


def page_error(error: str, status: int, message: str) -> Outcome:
    return Outcome("error_page", context={"error": error, "status": status, "message": message})


def expired() -> Outcome:
    """The paused request is gone: it expired, or the same answer was sent twice and the first
    one ended it."""
    return page_error("expired", 400, "This sign-in request expired. Start again from the app.")


def accounts_for_hd(accounts: list[Any], hd: str | None) -> list[Any]:
    """AUTH0-5: ``hd=domain`` keeps that organization's accounts, ``hd=default`` the others."""
    if not hd or hd == "*":
        return accounts
    if hd == "default":
        return [a for a in accounts if a.org_id is None]
    return [a for a in accounts if a.hosted_domain == hd.lower()]


def matches_hint(user: Any, hint: str | None) -> bool:
    return bool(hint) and hint is not None and hint.strip().lower() in (user.email, user.sub.lower())


def first_param(params: list[tuple[str, str]], key: str) -> str | None:
    return next((v for k, v in params if k == key), None)


def pick_account(accounts: list[Any], hint: str | None, chosen_id: int | None) -> Any:
    """The account a request is for: the one chosen, the one hinted, or the only one."""
    if chosen_id is not None:
        return next((a for a in accounts if a.id == chosen_id), None)
    if hint:
        return next((a for a in accounts if matches_hint(a, hint)), None)
    return accounts[0] if len(accounts) == 1 else None


def to_signin(kind: str, context: dict[str, Any], flow: str | None, grant: Any) -> Outcome:
    """The sign-in page (or the account chooser); a new request is paused for it first."""
    return Outcome(
        kind,
        flow=flow or "",
        context=context,
        pause=not flow,
        quota_client=None if flow else grant.client.get_client_id(),
    )
