"""Load and validate the packaged scope catalogue (SCOPE-1).

The catalogue is data (``catalogue.yaml``); this module is its schema. A malformed
entry, an unknown operation or data type, or an operation no scope allows stops the
server at start-up instead of surfacing as a 403 in production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SIGN_IN = ("openid", "email", "profile")
CLASSES = ("non-sensitive", "sensitive", "restricted")
APIS = ("sign-in", "mail", "files", "chat", "meetings", "calendar")
ScopeClass = Literal["non-sensitive", "sensitive", "restricted"]
Reach = Literal["all", "granted-files", "appdata", "app-created"]
Method = Literal["GET", "POST", "PATCH", "DELETE"]

#: What each class triggers when an app asks for it (VERIFY rules; shown by ``consentry scan``).
VERIFICATION: dict[str, str] = {
    "non-sensitive": "none",
    "sensitive": "sensitive scope review",
    "restricted": "restricted scope review + security assessment",
}
CLASS_RANK = {c: i for i, c in enumerate(CLASSES)}

_NAME = re.compile(r"^[a-z]+(\.[a-z]+)*$")


class _DataType(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=3)


class _Operation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: Method
    path: str = Field(pattern=r"^/data/v1/")
    summary: str = Field(min_length=3)
    data: list[str] = Field(min_length=1)


class _Scope(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(pattern=_NAME.pattern)
    api: Literal["sign-in", "mail", "files", "chat", "meetings", "calendar"]
    scope_class: ScopeClass = Field(alias="class")
    description: str = Field(min_length=10)
    operations: list[str] = []
    data: list[str] = []
    reach: Reach = "all"


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    data_types: dict[str, _DataType]
    operations: dict[str, _Operation]
    scopes: list[_Scope]

    @model_validator(mode="after")
    def _consistent(self) -> _File:
        names = [s.name for s in self.scopes]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"duplicate scopes: {sorted(dupes)}")
        for op_name, op in self.operations.items():
            if not op_name.startswith(op.path.split("/")[3] + "."):
                raise ValueError(f"operation {op_name} is not under its API's path {op.path}")
            unknown = set(op.data) - set(self.data_types)
            if unknown:
                raise ValueError(f"operation {op_name}: unknown data types {sorted(unknown)}")
        allowed: set[str] = set()
        for s in self.scopes:
            unknown = (set(s.operations) - set(self.operations)) | (set(s.data) - set(self.data_types))
            if unknown:
                raise ValueError(f"scope {s.name}: unknown operations or data types {sorted(unknown)}")
            if any(not op.startswith(s.api + ".") for op in s.operations):
                raise ValueError(f"scope {s.name} allows another API's operations")
            if not (s.operations or s.data):
                raise ValueError(f"scope {s.name} exposes nothing")
            allowed |= set(s.operations)
        orphans = set(self.operations) - allowed
        if orphans:
            raise ValueError(f"operations no scope allows: {sorted(orphans)}")
        return self


@dataclass(frozen=True)
class Operation:
    name: str
    api: str
    method: str
    path: str
    summary: str
    data_types: tuple[str, ...]


@dataclass(frozen=True)
class ScopeInfo:
    name: str
    uri: str
    api: str
    scope_class: ScopeClass
    description: str
    operations: tuple[str, ...] = ()
    data_types: tuple[str, ...] = ()
    reach: Reach = "all"

    @property
    def is_sign_in(self) -> bool:
        return self.name in SIGN_IN

    @property
    def verification(self) -> str:
        return VERIFICATION[self.scope_class]

    @property
    def rank(self) -> int:
        return CLASS_RANK[self.scope_class]


class CatalogueError(ValueError):
    """The packaged catalogue does not validate."""


def _source() -> str:
    return resources.files("consentry.domain.scopes").joinpath("catalogue.yaml").read_text("utf-8")


@lru_cache(maxsize=1)
def _load() -> _File:
    try:
        return _File.model_validate(yaml.safe_load(_source()))
    except ValidationError as exc:
        raise CatalogueError(f"scope catalogue is invalid:\n{exc}") from exc


def data_type_labels() -> dict[str, str]:
    return {k: v.label for k, v in _load().data_types.items()}


class Catalogue:
    """The catalogue bound to an issuer (scope URIs embed its host)."""

    def __init__(self, issuer: str) -> None:
        raw = _load()
        self.base = issuer.rstrip("/") + "/auth/"
        self.operations: dict[str, Operation] = {
            name: Operation(name, name.split(".")[0], op.method, op.path, op.summary, tuple(op.data))
            for name, op in raw.operations.items()
        }
        self.by_uri: dict[str, ScopeInfo] = {}
        self.by_name: dict[str, ScopeInfo] = {}
        for s in raw.scopes:
            uri = s.name if s.name in SIGN_IN else self.base + s.name
            data = s.data or sorted({d for op in s.operations for d in self.operations[op].data_types})
            info = ScopeInfo(
                s.name, uri, s.api, s.scope_class, s.description, tuple(s.operations), tuple(data), s.reach
            )
            self.by_uri[uri] = info
            self.by_name[s.name] = info
        #: Scope URI -> class: what the policy gate reads for every request.
        self.classes: dict[str, str] = {u: i.scope_class for u, i in self.by_uri.items()}
        # Read on every data-API call: computed once here, not per request.
        self._allowing: dict[str, list[ScopeInfo]] = {
            op: sorted(
                (s for s in self.by_uri.values() if op in s.operations),
                key=lambda s: (s.rank, len(s.operations), s.name),
            )
            for op in self.operations
        }

    def get(self, uri: str) -> ScopeInfo | None:
        return self.by_uri.get(uri)

    def uris(self) -> list[str]:
        return list(self.by_uri)

    def allowing(self, operation: str) -> list[ScopeInfo]:
        """Scopes that allow an operation, narrowest (lowest class, fewest operations) first."""
        return list(self._allowing.get(operation, ()))

    def lookup(self, name_or_uri: str) -> ScopeInfo | None:
        """A scope by URI, by bare name, or by URI under any issuer (what source code holds)."""
        if name_or_uri in self.by_uri:
            return self.by_uri[name_or_uri]
        if name_or_uri in self.by_name:
            return self.by_name[name_or_uri]
        head, sep, tail = name_or_uri.rpartition("/auth/")
        return self.by_name.get(tail) if sep and head.startswith(("http://", "https://")) else None
