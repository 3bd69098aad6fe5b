"""What the consent page and the screens before it show, for every protocol's approval page.

The disclosure (``domain/consent/disclosure.py``) is read from the project's verified branding
and its verification submission when the page is shown; its digest travels in the form, so the
decision is recorded against exactly what the user saw (CONSENT-8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from consentry.domain.consent.disclosure import Disclosure, disclosure_for
from consentry.domain.consent.receipts import Shown
from consentry.domain.scopes.catalogue import SIGN_IN, Catalogue

#: The template of each screen the gate can ask for.
SCREENS = {"unverified": "unverified.html", "testing": "testing_warning.html"}


@dataclass(frozen=True, slots=True)
class Page:
    """What to ask: the consent page (``screen`` None) or a screen before it."""

    client_pk: int
    email: str
    name: str
    requested: tuple[str, ...]
    asked: tuple[str, ...]
    screen: str | None = None
    #: A legacy app's own name / domain for itself (domain/consent/disclosure.py ``claimed_*``).
    claimed_name: str | None = None
    claimed_domain: str | None = None

    @property
    def template(self) -> str:
        return SCREENS[self.screen] if self.screen else "consent.html"


def disclose(session: Session, page: Page, catalogue: Catalogue, operator: str) -> Disclosure:
    return disclosure_for(
        session,
        client_pk=page.client_pk,
        account_email=page.email,
        account_name=page.name,
        sign_in=[s for s in page.requested if s in SIGN_IN],
        asked=[s for s in page.asked if s not in SIGN_IN and s in catalogue.by_uri],
        catalogue=catalogue,
        operator=operator,
        claimed_name=page.claimed_name,
        claimed_domain=page.claimed_domain,
    )


def shown(d: Disclosure) -> Shown:
    return Shown(d.version, d.digest, d.as_dict())


def context(
    d: Disclosure,
    *,
    csrf: str,
    flow: str = "",
    device_code: str = "",
    switch_url: str | None = None,
    legacy_fields: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The template context every approval page passes (see the templates' contract).

    ``legacy_fields``: hidden fields a legacy protocol's approval page carries through its forms.
    """
    return {
        "disclosure": d,
        "csrf": csrf,
        "flow": flow,
        "device_code": device_code,
        "operator": d.operator,
        "switch_url": switch_url,
        "legacy_fields": legacy_fields,
    }
