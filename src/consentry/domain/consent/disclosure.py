"""What the consent screen shows, as data (CONSENT-1..4, CONSENT-8).

The page renders a :class:`Disclosure` and nothing else, so what the user read can be stored
exactly: the receipt keeps ``as_dict()`` and its ``digest``, and the form posts the digest back,
so the decision is bound to the disclosure it answered. Template wording that is not in the
data is covered by ``DISCLOSURE_VERSION``: change the wording, bump the version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.domain.consent.disclosure_declared import REVIEWED_CLASSES, declarations, verified
from consentry.domain.consent.disclosure_words import reaches, risk_of
from consentry.domain.scopes.catalogue import SIGN_IN, Catalogue, ScopeInfo, data_type_labels
from consentry.errors import NotFound
from consentry.storage.tables import Client, Project

#: The version of the consent templates' fixed wording (consent.html, unverified.html,
#: testing_warning.html) and of disclosure_words.py.
DISCLOSURE_VERSION = "2026-11-30.1"
HELP_URL = "/help/data"


@dataclass(frozen=True)
class AppIdentity:
    """Who is asking (CONSENT-1): the consent-screen configuration as the developer set it."""

    name: str
    client_id: str
    logo_url: str | None
    domain: str
    home_page: str
    privacy_policy: str
    terms: str
    support_email: str
    developer_email: str
    verified: bool
    testing: bool
    #: Whether any scope shown needs a review (sensitive or restricted): without one, an
    #: unreviewed app is ordinary, not a warning.
    review_needed: bool = False
    #: The name (or domain) shown is what the app said about itself on a legacy request
    #: (``xoauth_displayname``, its callback's domain): nobody can confirm it (AUTH1-11, AUTH3-4).
    claimed: bool = False


@dataclass(frozen=True)
class ScopeDisclosure:
    """One scope in plain words: what the app can do, what it reaches, how risky, declared use."""

    uri: str
    name: str
    title: str
    reaches: str
    risk: str
    scope_class: str
    use: str
    sharing: str


@dataclass(frozen=True)
class Disclosure:
    app: AppIdentity
    account_email: str
    account_name: str
    sign_in: tuple[ScopeDisclosure, ...]
    asked: tuple[ScopeDisclosure, ...]
    help_url: str = HELP_URL
    operator: str = "Consentry"
    version: str = DISCLOSURE_VERSION

    def as_dict(self) -> dict[str, Any]:
        """Everything shown, JSON-able: what the consent receipt stores (CONSENT-8).

        Lists, not tuples, so it equals what a JSON column gives back.
        """
        data = asdict(self)
        data["sign_in"], data["asked"] = list(data["sign_in"]), list(data["asked"])
        return data

    @cached_property
    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON of :meth:`as_dict`: binds a decision to what it answered."""
        canonical = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def uris(self) -> list[str]:
        """The data scopes offered, in the order shown: the only ones a tick may grant."""
        return [s.uri for s in self.asked]


def app_name(client: Client, project: Project) -> str:
    """The name users read everywhere the app asks for something (CONSENT-1)."""
    return project.app_name or client.name or project.name


def app_name_of(session: Session, client_id: str) -> str | None:
    """The name of the app behind a client id, or None for an unknown client."""
    client = session.scalar(select(Client).where(Client.client_id == client_id))
    return None if client is None else app_name(client, client.project)


def _domain(project: Project) -> str:
    host = urlsplit(project.home_page).hostname if project.home_page else None
    if host:
        return host
    domains = [d for d in project.authorized_domains or [] if isinstance(d, str)]
    return domains[0] if domains else ""


def _developer_email(project: Project) -> str:
    contacts = [c for c in project.developer_contacts or [] if isinstance(c, str) and c]
    return contacts[0] if contacts else project.support_email


def _known(catalogue: Catalogue, uris: list[str], *, sign_in: bool) -> list[ScopeInfo]:
    """Catalogue entries, deduplicated in order; a scope the catalogue cannot describe is never
    shown, so it can never be ticked either."""
    out: list[ScopeInfo] = []
    for uri in uris:
        info = catalogue.get(uri)
        if info is not None and (info.name in SIGN_IN) == sign_in and info not in out:
            out.append(info)
    return out


def disclosure_for(
    session: Session,
    *,
    client_pk: int,
    account_email: str,
    account_name: str,
    sign_in: list[str],
    asked: list[str],
    catalogue: Catalogue,
    operator: str,
    claimed_name: str | None = None,
    claimed_domain: str | None = None,
) -> Disclosure:
    """The disclosure for one consent request: the app, the account, and the scopes in words.

    ``claimed_name`` / ``claimed_domain``: what a legacy app said about itself, shown instead of
    the registered name and marked as unconfirmed.

    ``sign_in`` are the sign-in scopes that come with Allow; ``asked`` the data scopes asked now
    (each gets its own checkbox). Raises ``NotFound`` for an unknown client.
    """
    client = session.get(Client, client_pk)
    if client is None:
        raise NotFound("client")
    project = client.project
    shown_sign_in = _known(catalogue, sign_in, sign_in=True)
    shown_asked = _known(catalogue, asked, sign_in=False)
    said = declarations(session, project, catalogue, [s.uri for s in shown_asked])
    labels = data_type_labels()

    def words(info: ScopeInfo) -> ScopeDisclosure:
        return ScopeDisclosure(
            uri=info.uri,
            name=info.name,
            title=info.description,
            reaches=reaches(info.data_types, labels),
            risk=risk_of(info.scope_class),
            scope_class=info.scope_class,
            use=said.uses.get(info.uri, ""),
            sharing=said.sharing.get(info.uri, ""),
        )

    asked_uris = [s.uri for s in shown_asked]
    app = AppIdentity(
        name=claimed_name or app_name(client, project),
        client_id=client.client_id,
        logo_url=f"/apps/{quote(client.client_id, safe='')}/logo.png" if project.logo_png else None,
        domain=claimed_domain if claimed_domain is not None else (_domain(project) or client.legacy_domain),
        home_page=project.home_page,
        privacy_policy=project.privacy_policy,
        terms=project.terms,
        support_email=project.support_email,
        developer_email=_developer_email(project),
        verified=verified(session, project, catalogue, asked_uris),
        testing=project.status == "testing",
        review_needed=any(s.scope_class in REVIEWED_CLASSES for s in shown_asked),
        claimed=claimed_name is not None or claimed_domain is not None,
    )
    return Disclosure(
        app=app,
        account_email=account_email,
        account_name=account_name,
        sign_in=tuple(words(s) for s in shown_sign_in),
        asked=tuple(words(s) for s in shown_asked),
        help_url=HELP_URL,
        operator=operator,
        version=DISCLOSURE_VERSION,
    )
