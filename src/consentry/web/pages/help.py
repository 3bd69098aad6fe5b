"""GET /help/data: how users see, revoke and delete what apps hold (CONSENT-7); GET /help/legacy:
the older protocols, and how apps move off them (the target of every legacy answer's Link).

Linked from every consent screen, and public, so a user can read it before signing in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from consentry.domain.consent.disclosure import HELP_URL
from consentry.domain.legacy.switches import enabled
from consentry.web.render import render

router = APIRouter(include_in_schema=False)


#: The migration advice for each legacy protocol (the anchors are the gateway's Link targets).
LEGACY = (
    {
        "id": "oauth1",
        "name": "OAuth 1.0a",
        "doc": "oauth1",
        "what": "Apps sign each request with a consumer secret and a token secret, after the user approved "
        "a request token.",
        "to": "the authorization code flow with PKCE; the same scopes, a refresh token instead of a "
        "long-lived token, no request signing.",
    },
    {
        "id": "authsub",
        "name": "AuthSub",
        "doc": "authsub",
        "what": "Web apps send the user to an access page and get a single-use token back on their own URL.",
        "to": "the authorization code flow with PKCE from the same web app; exact redirect URIs instead of "
        "any next URL.",
    },
    {
        "id": "clientlogin",
        "name": "ClientLogin",
        "doc": "clientlogin",
        "what": "Installed apps post the user's email and password and get an Auth token.",
        "to": "the authorization code flow with PKCE in the system browser (or the device flow on devices "
        "without one): the app never sees the password, and two-step verification just works.",
    },
    {
        "id": "gadget",
        "name": "Widget OAuth proxy",
        "doc": "gadget",
        "what": "Embedded widgets call data APIs through a proxy that holds the token for them.",
        "to": "the authorization code flow with PKCE from the widget's own backend.",
    },
)


@router.get("/help/legacy")
async def help_legacy(request: Request) -> Response:
    settings = request.app.state.settings
    protocols = [{**p, "enabled": enabled(settings, p["id"])} for p in LEGACY]
    sunset = settings.legacy_sunset.strftime("%-d %B %Y")
    return render("help_legacy.html", operator=settings.operator_name, protocols=protocols, sunset=sunset)


@router.get(HELP_URL)
async def help_data(request: Request) -> Response:
    operator = request.app.state.settings.operator_name
    return render("help_data.html", operator=operator)
