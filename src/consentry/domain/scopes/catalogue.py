"""Load and validate the packaged scope catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml

SIGN_IN = ("openid", "email", "profile")
CLASSES = ("non-sensitive", "sensitive", "restricted")
ScopeClass = Literal["non-sensitive", "sensitive", "restricted"]


@dataclass(frozen=True)
class ScopeInfo:
    name: str
    uri: str
    api: str
    scope_class: ScopeClass
    description: str

    @property
    def is_sign_in(self) -> bool:
        return self.name in SIGN_IN


@lru_cache(maxsize=1)
def _raw() -> list[dict[str, str]]:
    text = resources.files("consentry.domain.scopes").joinpath("catalogue.yaml").read_text("utf-8")
    entries = yaml.safe_load(text)["scopes"]
    seen: set[str] = set()
    for e in entries:
        if e["class"] not in CLASSES or not e.get("description") or e["name"] in seen:
            raise ValueError(f"bad catalogue entry: {e!r}")
        seen.add(e["name"])
    return list(entries)


class Catalogue:
    """The catalogue bound to an issuer (scope URIs embed its host)."""

    def __init__(self, issuer: str) -> None:
        base = issuer.rstrip("/") + "/auth/"
        self.by_uri: dict[str, ScopeInfo] = {}
        for e in _raw():
            uri = e["name"] if e["name"] in SIGN_IN else base + e["name"]
            self.by_uri[uri] = ScopeInfo(e["name"], uri, e["api"], e["class"], e["description"])  # type: ignore[arg-type]

    def get(self, uri: str) -> ScopeInfo | None:
        return self.by_uri.get(uri)

    def uris(self) -> list[str]:
        return list(self.by_uri)
