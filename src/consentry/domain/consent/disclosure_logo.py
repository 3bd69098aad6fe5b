"""The app's logo as users see it on the consent screen and their account page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consentry.storage.tables import Client


def app_logo(session: Session, client_id: str) -> bytes | None:
    """The project's re-encoded PNG, or None: no logo, unknown, disabled or deleted client.

    Keyed by client id because that is what a user's browser already knows (the authorize
    request carries it); a client that can no longer sign anyone in shows nothing.
    """
    client = session.scalar(select(Client).where(Client.client_id == client_id))
    if client is None or client.disabled or client.deleted_at is not None:
        return None
    return client.project.logo_png or None
