"""Checks on a whole protocol request (parameters and headers) before Authlib sees it.

One entry point for every endpoint that authenticates clients (/token, /introspect, /revoke,
/device/code), called by the protocol adapter for each of them.
"""

from __future__ import annotations

from consentry.protocol.oauth2.params import param_error
from consentry.protocol.starlette import StarletteOAuth2Request

ONE_METHOD = "Use one client authentication method per request (RFC 6749 section 2.3)."


def request_error(oreq: StarletteOAuth2Request) -> str | None:
    """An ``invalid_request`` description, or None when Authlib may take the request."""
    if refused := param_error(oreq.payload.data):
        return refused
    if len(auth_methods(oreq)) > 1:
        # Authlib would try each and take the first that works; a wrong second secret must not
        # ride along unnoticed (and a client that sends two is broken or probing).
        return ONE_METHOD
    return None


def auth_methods(oreq: StarletteOAuth2Request) -> set[str]:
    """The client authentication methods a request carries (client_id alone is none).

    An empty ``client_secret`` or ``client_assertion`` authenticates nothing, so it is no method:
    some libraries send ``client_secret=`` for public clients.
    """
    methods = set()
    scheme = (oreq.headers.get("Authorization") or "").split(" ", 1)[0].lower()
    if scheme == "basic":
        methods.add("client_secret_basic")
    form = oreq.payload.data
    if form.get("client_secret"):
        methods.add("client_secret_post")
    if form.get("client_assertion"):
        methods.add("private_key_jwt")
    return methods
