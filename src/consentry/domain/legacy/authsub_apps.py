"""Which app an AuthSubRequest is for: a registered one by the host of ``next``, else the
built-in "unregistered AuthSub web app" shown by its calling address (AUTH3-4).

AuthSub names no client id; the reference platform knew a registered web app by its domain.
Registered here means a client with ``legacy_domain`` set (``consentry client create PROJECT
--type oauth1 --domain HOST``) equal to the host of ``next`` (exact, case-insensitive; a port in
``next`` may be registered with the host or not). A sub-domain does not match: any host under the
domain could otherwise borrow the app's name on the access page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consentry.domain.consent.disclosure import app_name
from consentry.domain.legacy import unregistered
from consentry.domain.scopes.catalogue import Catalogue
from consentry.storage.tables import Client


@dataclass(frozen=True, slots=True)
class App:
    client_pk: int
    client_id: str
    name: str
    registered: bool
    #: PEM certificate registered for secure tokens (registered apps only).
    certificate: str | None


def registered_for(session: Session, host: str, hostname: str) -> Client | None:
    """The enabled client registered for ``host`` (``name:port``) or ``hostname``, oldest first."""
    names = {host.lower(), hostname.lower()} - {""}
    if not names:
        return None
    return session.scalar(
        select(Client)
        .where(
            func.lower(Client.legacy_domain).in_(sorted(names)),
            Client.disabled.is_(False),
            Client.deleted_at.is_(None),
        )
        .order_by(Client.id)
        .limit(1)
    )


def app_for(session: Session, catalogue: Catalogue, host: str, hostname: str) -> App:
    client = registered_for(session, host, hostname)
    if client is not None:
        return App(
            client.id, client.client_id, app_name(client, client.project), True, client.certificate or None
        )
    built_in = unregistered.ensure(session, unregistered.Kind.AUTHSUB, catalogue)
    return App(built_in.id, built_in.client_id, built_in.name, False, None)
