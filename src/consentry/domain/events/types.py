"""The event types Consentry sends, as URIs (RFC 8417 ``events`` keys).

RISC events use the OpenID RISC profile's URIs (PLATFORM_RULES, "Cross-Account Protection");
the deletion request (DATA-2) has no standard type, so it gets one under the issuer's URL,
documented in docs/security-events.md.
"""

from __future__ import annotations

from typing import Literal

RISC_BASE = "https://schemas.openid.net/secevent/risc/event-type/"
#: The RISC events a change to an account raises (DATA-4); ``emit`` accepts exactly these names.
RiscName = Literal[
    "tokens-revoked", "sessions-revoked", "account-disabled", "account-enabled", "account-purged"
]
RISC_NAMES: tuple[RiscName, ...] = (
    "tokens-revoked",
    "sessions-revoked",
    "account-disabled",
    "account-enabled",
    "account-purged",
)
#: Sent on request to check a receiver end to end (RISC "verification"); carries no user.
VERIFICATION = RISC_BASE + "verification"
#: The transmitter's delivery method (RFC 8935 push), as SSF metadata names it.
PUSH_METHOD = "urn:ietf:rfc:8935"
DELETION_PATH = "/secevent/event-type/data-deletion-requested"


def risc_uri(name: str) -> str:
    """``https://schemas.openid.net/secevent/risc/event-type/<name>``."""
    return RISC_BASE + name


def deletion_uri(issuer: str) -> str:
    """Consentry's own type for a user's request that an app delete their data (DATA-2)."""
    return issuer.rstrip("/") + DELETION_PATH


def supported(issuer: str) -> list[str]:
    """Every event type this transmitter may send, for /.well-known/ssf-configuration."""
    return [*(risc_uri(n) for n in RISC_NAMES), VERIFICATION, deletion_uri(issuer)]


def short_name(event_type: str) -> str:
    """The last path segment (``account-disabled``), for tables and badges."""
    return event_type.rstrip("/").rsplit("/", 1)[-1]
