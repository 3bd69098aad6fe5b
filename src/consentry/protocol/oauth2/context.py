"""What the protocol layer needs from the rest of the application, in one object."""

from __future__ import annotations

from dataclasses import dataclass

from consentry.domain.keys.manager import KeyManager
from consentry.domain.ratelimit.quotas import AnonymousWriters
from consentry.domain.scopes.catalogue import Catalogue
from consentry.domain.secrets import Hasher
from consentry.settings import Settings
from consentry.storage.db import Database


@dataclass
class ProtocolContext:
    settings: Settings
    db: Database
    hasher: Hasher
    keys: KeyManager
    catalogue: Catalogue
    #: Quotas on requests that store rows for callers nobody has signed in (issue 9 item 11).
    quotas: AnonymousWriters

    @property
    def issuer(self) -> str:
        return self.settings.issuer_url

    def endpoint(self, path: str) -> str:
        return self.issuer + path
