"""The cases that need no verification (VERIFY-10), recognised from the project's facts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Exemption(StrEnum):
    TESTING = "testing"
    INTERNAL = "internal"
    PERSONAL_USE = "personal_use"
    SERVICE_ACCOUNT_ONLY = "service_account_only"
    DOMAIN_WIDE = "domain_wide_installation"


EXPLAINED: dict[Exemption, str] = {
    Exemption.TESTING: (
        "In Testing: only the listed test users (at most 100) can authorize, after a warning screen, "
        "and their authorizations expire after 7 days. No verification is needed until you publish."
    ),
    Exemption.INTERNAL: (
        "Internal: only users of the owning organization can authorize; no verification is needed "
        "(an organization admin may still have to approve the app)."
    ),
    Exemption.PERSONAL_USE: (
        "Personal use: the only users are the project's own members, who pass the unverified-app screen."
    ),
    Exemption.SERVICE_ACCOUNT_ONLY: (
        "Service accounts only: the app reaches no user's data through consent, so no review is needed."
    ),
    Exemption.DOMAIN_WIDE: "Installed domain-wide: allowlisted by an organization admin.",
}


@dataclass(frozen=True)
class ExemptionFacts:
    status: str  # testing | production
    user_type: str  # external | internal
    client_types: tuple[str, ...]
    #: Users other than the project's members who ever consented to the app.
    outside_users: int
    allowlisted_domain_wide: bool = False


def exemptions(facts: ExemptionFacts) -> list[Exemption]:
    """Every exception that applies, most specific first; empty when review is needed."""
    found = []
    if facts.status == "testing":
        found.append(Exemption.TESTING)
    if facts.user_type == "internal":
        found.append(Exemption.INTERNAL)
    if facts.client_types and all(t == "service" for t in facts.client_types):
        found.append(Exemption.SERVICE_ACCOUNT_ONLY)
    if facts.allowlisted_domain_wide:
        found.append(Exemption.DOMAIN_WIDE)
    if facts.status == "production" and facts.outside_users == 0 and not found:
        found.append(Exemption.PERSONAL_USE)
    return found
