"""Legacy scope strings and ClientLogin service codes, resolved to catalogue scopes (one table).

``scope_map.yaml`` is the data; this module only parses it and matches. Unknown strings are
returned, never dropped, so each protocol refuses them in its own format instead of granting less
than the app asked for without telling it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from urllib.parse import urlsplit, urlunsplit

import yaml

from consentry.domain.scopes.catalogue import Catalogue

#: Longest scope parameter looked at; longer input is refused whole.
MAX_SCOPE = 4096
MAX_SCOPES = 20


@dataclass(frozen=True, slots=True)
class Service:
    code: str
    #: Catalogue scope URIs.
    scopes: tuple[str, ...]
    #: Seconds an Auth token for this service lives (AUTH4-5).
    lifetime: int


@dataclass(frozen=True, slots=True)
class Resolved:
    #: Catalogue scope URIs (what grants and tokens hold), in the order first asked, no repeats.
    scopes: tuple[str, ...]
    #: The strings that matched nothing.
    unknown: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return bool(self.scopes) and not self.unknown


@lru_cache(maxsize=1)
def _table() -> dict[str, object]:
    text = resources.files("consentry.domain.legacy").joinpath("scope_map.yaml").read_text()
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def normalized(url: str) -> str:
    """Scheme and host lower-cased, http read as https: gdata clients sent both for one scope."""
    parts = urlsplit(url.strip())
    scheme = "https" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    return urlunsplit((scheme, parts.netloc.lower(), parts.path, parts.query, ""))


class LegacyScopes:
    """The table, with ``{issuer}`` filled in and checked against the catalogue."""

    def __init__(self, catalogue: Catalogue, issuer: str) -> None:
        self.catalogue = catalogue
        table = _table()
        prefixes = table["prefixes"]
        services = table["services"]
        assert isinstance(prefixes, list) and isinstance(services, dict)
        #: Longest prefix first, so ".../mail/readonly/" wins over ".../mail/".
        self.prefixes: list[tuple[str, tuple[str, ...]]] = sorted(
            (
                (normalized(p["prefix"].replace("{issuer}", issuer)), self._uris(p["scopes"]))
                for p in prefixes
            ),
            key=lambda item: -len(item[0]),
        )
        self.services = {
            code: Service(code, self._uris(s["scopes"]), int(s["lifetime"])) for code, s in services.items()
        }

    def _uris(self, names: list[str]) -> tuple[str, ...]:
        missing = [n for n in names if n not in self.catalogue.by_name]
        if missing:  # a broken table stops the server at start-up, not a user at the approval page
            raise ValueError(f"scope_map.yaml names scopes missing from the catalogue: {missing}")
        return tuple(self.catalogue.by_name[n].uri for n in names)

    def resolve(self, scope_param: str) -> Resolved:
        """A space-separated scope parameter -> catalogue scopes, and what matched nothing."""
        if len(scope_param) > MAX_SCOPE:
            return Resolved((), (scope_param[:40] + "…",))
        found: dict[str, None] = {}
        unknown: list[str] = []
        strings = scope_param.split()
        if len(strings) > MAX_SCOPES:
            return Resolved((), tuple(strings[MAX_SCOPES:]))
        for raw in strings:
            names = self._one(raw)
            if names is None:
                unknown.append(raw)
            else:
                found.update(dict.fromkeys(names))
        return Resolved(tuple(found), tuple(unknown))

    def _one(self, raw: str) -> tuple[str, ...] | None:
        if raw in self.catalogue.by_uri:
            return (raw,)
        url = normalized(raw)
        for prefix, names in self.prefixes:
            if url.startswith(prefix) or url + "/" == prefix:
                return names
        return None

    def service(self, code: str) -> Service | None:
        return self.services.get(code)
