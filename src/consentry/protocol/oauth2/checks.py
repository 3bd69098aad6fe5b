"""Our extra checks on the authorization request, attached to Authlib's grant as hooks.

Each check is one function with one job, run after Authlib validated client and redirect URI,
so any error it raises is delivered to the (already validated) redirect URI.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidRequestError

from consentry.domain.accounts.freshness import parse_max_age

PROMPTS = {"none", "consent", "select_account", "login"}


def check_pkce(grant: Any, redirect_uri: str) -> None:
    """PKCE S256 only, and mandatory for public clients (RFC 9700 2.1.1)."""
    data = grant.request.payload.data
    challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
    if challenge and method != "S256":
        raise InvalidRequestError("code_challenge_method must be S256.")
    if not challenge and grant.request.client.is_public:
        raise InvalidRequestError("Public clients must use PKCE (code_challenge with S256).")


def check_prompt(grant: Any, redirect_uri: str) -> None:
    prompt = grant.request.payload.data.get("prompt")
    if not prompt:
        return
    values = prompt.split()
    if not set(values) <= PROMPTS:
        raise InvalidRequestError("prompt is a list of none, login, consent, select_account.")
    if "none" in values and len(values) > 1:
        raise InvalidRequestError("prompt=none cannot be combined with other values.")


def check_max_age(grant: Any, redirect_uri: str) -> None:
    try:
        parse_max_age(grant.request.payload.data.get("max_age"))
    except ValueError as err:
        raise InvalidRequestError(f"{err}.") from err


def check_access_type(grant: Any, redirect_uri: str) -> None:
    access_type = grant.request.payload.data.get("access_type")
    if access_type not in (None, "", "online", "offline"):
        raise InvalidRequestError("access_type is online or offline.")


def attach(grant: Any) -> None:
    for check in (check_pkce, check_prompt, check_max_age, check_access_type):
        grant.register_hook("after_validate_authorization_request_payload", check)
