"""The policy gate at the token endpoint, attached to Authlib's grants as a hook.

The hook runs before a grant issues tokens (``before_create_token_response``), on records the
request prefetched (the client snapshot's ``AppFacts``, the token, code or device row), so a
refusal writes nothing: a refresh token refused while an app is suspended is still whole when
the app is reinstated. The code grant is checked at /authorize, where the user is.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error

from consentry.domain.consent import entry
from consentry.domain.policy.decision import Decision
from consentry.domain.policy.facts import Subject
from consentry.protocol.oauth2 import exchange
from consentry.protocol.oauth2.context import ProtocolContext
from consentry.storage.tables.base import now

#: Statuses for the policy's error codes; those RFC 6749 does not define come from the reference
#: platform (``org_internal`` is 403 in the device flow).
STATUS = {"org_internal": 403}


class PolicyRefusal(OAuth2Error):
    """A refusal by the platform's rules, with the gate's reason as the description."""

    def __init__(self, code: str, description: str, status: int = 400, **where: Any) -> None:
        super().__init__(description=description, status_code=status, **where)
        self.error = code


def on_the_wire(text: str) -> str:
    """RFC 6749 allows only printable ASCII but '"' and '\\' in error descriptions; a reason an
    operator typed may hold others (Authlib would refuse to build the error)."""
    return "".join("'" if c == '"' else c if " " <= c <= "~" and c != "\\" else "?" for c in text)


def refusal(decision: Decision) -> PolicyRefusal:
    code = decision.token_error or "invalid_grant"
    return PolicyRefusal(code, on_the_wire(decision.explanation), STATUS.get(code, 400))


def refused(refusal: str | None) -> OAuth2Error:
    """A device code a user or the platform refused, as its poll answers it. ``refusal`` is None
    when the user said no, else "error:reason_code" as the policy gate decided."""
    if not refusal:
        return PolicyRefusal("access_denied", "The user denied the request.", 400)
    code, _, reason = refusal.partition(":")
    why = f"The platform's rules refused this request ({reason or code})."
    return PolicyRefusal(code, why, STATUS.get(code, 400))


class TokenGate:
    """Authlib grant extension: ``register_grant(Grant, [TokenGate(ctx)])``."""

    def __init__(self, ctx: ProtocolContext) -> None:
        self.ctx = ctx

    def __call__(self, grant: Any) -> None:
        grant.register_hook("before_create_token_response", self.check)

    def check(self, grant: Any) -> None:
        request = grant.request
        client = getattr(request, "client", None)
        if client is None:
            return
        subject, scopes = self._asked(grant)
        decision = entry.at_token(
            client.row.app,
            subject,
            scopes,
            classes=self.ctx.catalogue.classes,
            now=now(),
        )
        if not decision.proceeds:
            raise refusal(decision)

    @staticmethod
    def _asked(grant: Any) -> tuple[Subject | None, list[str]]:
        """The user and scopes the tokens would carry, from the prefetched row the grant uses."""
        found = exchange.current().found
        token = found.tokens.get("refresh_token")
        if token is not None and token.user_id is not None:
            return Subject(token.user_id, token.user_email or "", token.user_domain), token.scope.split()
        device = found.device
        if device is not None and device.user is not None:
            u = device.user
            return Subject(u.id, u.email, u.hosted_domain), (device.granted_scope or "").split()
        return None, (grant.request.payload.scope or "").split()
