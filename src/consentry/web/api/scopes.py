"""``/api/v1/scopes``: the catalogue, and the least-privilege advisor, as JSON (SCOPE-1, SCOPE-3)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from consentry.domain.scopes.advisor import Advice, Risk, advise
from consentry.domain.scopes.catalogue import Catalogue, ScopeInfo, data_type_labels
from consentry.web.runtime import runtime

router = APIRouter(prefix="/api/v1/scopes", tags=["scopes"])


class ScopeOut(BaseModel):
    scope: str
    name: str
    api: str
    scope_class: str
    verification: str
    description: str
    data_types: list[dict[str, str]]
    operations: list[dict[str, str]]
    reach: str


class ScopeList(BaseModel):
    scopes: list[ScopeOut]


class RiskOut(BaseModel):
    scopes: list[str]
    highest_class: str
    verification: str
    operations: list[str]
    risk_points: int


class AdviceOut(BaseModel):
    operations: list[str]
    suggested: list[str]
    conditions: list[str]
    suggested_risk: RiskOut
    requested_risk: RiskOut | None
    uncovered: list[str]
    unneeded: list[str]
    summary: str


def scope_out(catalogue: Catalogue, s: ScopeInfo, labels: dict[str, str]) -> ScopeOut:
    return ScopeOut(
        scope=s.uri,
        name=s.name,
        api=s.api,
        scope_class=s.scope_class,
        verification=s.verification,
        description=s.description,
        data_types=[{"id": d, "label": labels[d]} for d in s.data_types],
        operations=[
            {"id": op, "method": catalogue.operations[op].method, "path": catalogue.operations[op].path}
            for op in s.operations
        ],
        reach=s.reach,
    )


def _risk(r: Risk) -> RiskOut:
    return RiskOut(
        scopes=list(r.scopes),
        highest_class=r.highest_class,
        verification=r.verification,
        operations=list(r.operations),
        risk_points=r.points,
    )


def advice_out(catalogue: Catalogue, a: Advice) -> dict[str, Any]:
    return AdviceOut(
        operations=list(a.operations),
        suggested=[s.uri for s in a.suggested],
        conditions=list(a.conditions),
        suggested_risk=_risk(a.suggested_risk),
        requested_risk=_risk(a.requested_risk) if a.requested_risk else None,
        uncovered=list(a.uncovered),
        unneeded=list(a.unneeded),
        summary=a.summary,
    ).model_dump()


@router.get(
    "", response_model=ScopeList, summary="Every scope: API, class, verification, data and operations"
)
def list_scopes(request: Request, api: str | None = Query(default=None, max_length=20)) -> ScopeList:
    catalogue = runtime(request).ctx.catalogue
    labels = data_type_labels()
    return ScopeList(
        scopes=[scope_out(catalogue, s, labels) for s in catalogue.by_uri.values() if api in (None, s.api)]
    )


@router.get("/advice", response_model=AdviceOut, summary="Narrowest scopes for the operations an app calls")
def advice(
    request: Request,
    operation: list[str] = Query(
        min_length=1, max_length=100, description="Operation id, e.g. mail.messages.send"
    ),
    requested: list[str] = Query(default=[], max_length=100, description="Scopes the app asks today"),
    narrow_reach: bool = Query(default=True, description="Allow per-file / app-created scopes"),
) -> dict[str, Any]:
    catalogue = runtime(request).ctx.catalogue
    return advice_out(catalogue, advise(catalogue, operation, requested, narrow_reach=narrow_reach))
