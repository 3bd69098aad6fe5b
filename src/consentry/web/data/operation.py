"""One dependency per data operation: verify the token (through consentry.guard), check the scopes
the catalogue lists for the operation, and log the call (AUTH0-1, AUTH0-4).

The required scopes come from the catalogue, never from the route, so the API, the consent
screen, the advisor and the scanner cannot disagree about what an operation needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from consentry.domain.data.access import DataAccess, log_access
from consentry.domain.scopes.catalogue import Catalogue
from consentry.errors import DomainError, http_status
from consentry.guard import Guard, InsufficientScope, InvalidToken
from consentry.guard.scopes import require_scopes
from consentry.web.legacy.data_auth import authenticate as legacy_or_bearer
from consentry.web.runtime import runtime

REALM = "consentry-data"
_bearer_scheme = HTTPBearer(auto_error=False, scheme_name="Consentry access token")
#: Names only: the catalogue's scopes are issuer-independent; the URIs are ``{issuer}/auth/NAME``.
_CATALOGUE = Catalogue("https://issuer.invalid")


def _log_refusal(request: Request, caller_extra: dict[str, Any], client_id: str, operation: str) -> None:
    rt = runtime(request)
    with rt.ctx.db.unit_of_work() as db:
        log_access(
            db,
            user_id=caller_extra.get("user_id"),
            client_pk=caller_extra.get("client_pk"),
            client_id=client_id,
            operation=operation,
            scope="",
            status=403,
        )


def operation(name: str) -> Any:
    """``access: DataAccess = operation("mail.messages.list")`` in a route's signature."""
    if name not in _CATALOGUE.operations:
        raise ValueError(f"unknown operation {name}")

    async def dependency(request: Request, _doc: Any = Depends(_bearer_scheme)) -> DataAccess:
        rt = runtime(request)
        guard: Guard = request.app.state.data_guard
        caller = await legacy_or_bearer(request, guard)
        allowing = rt.ctx.catalogue.allowing(name)
        try:
            require_scopes(caller, any_of=[s.uri for s in allowing])
        except InsufficientScope as exc:
            await run_in_threadpool(_log_refusal, request, dict(caller.extra), caller.client_id, name)
            raise exc.with_realm(REALM) from None
        user_id = caller.extra.get("user_id")
        if user_id is None:
            raise InvalidToken("this API serves users' data: use a token issued for a user").with_realm(REALM)
        return DataAccess(
            user_id=user_id,
            client_pk=caller.extra["client_pk"],
            client_id=caller.client_id,
            project_id=caller.extra["project_id"],
            operation=name,
            allowing=tuple(s for s in allowing if caller.has(s.uri)),
        )

    return Depends(dependency)


def described(name: str, **kwargs: Any) -> dict[str, Any]:
    """Route keyword arguments documenting the operation and the scopes that allow it (OpenAPI)."""
    op = _CATALOGUE.operations[name]
    scopes = [s.name for s in _CATALOGUE.allowing(name)]
    return {
        "operation_id": name,
        "summary": op.summary,
        "description": "Allowed by any one of these scopes (`{issuer}/auth/NAME`): "
        + ", ".join(f"`{s}`" for s in scopes),
        "openapi_extra": {"x-consentry-operation": name, "x-consentry-scopes": scopes},
        **kwargs,
    }


@contextmanager
def logged_unit(request: Request, access: DataAccess, status: int = 200) -> Iterator[Session]:
    """The call's unit of work; the access-log entry commits with the data, or alone on failure."""
    rt = runtime(request)
    try:
        with rt.ctx.db.unit_of_work() as db:
            yield db
            _log(db, access, status)
    except DomainError as exc:
        with rt.ctx.db.unit_of_work() as db:
            _log(db, access, http_status(exc))
        raise


def _log(db: Session, access: DataAccess, status: int) -> None:
    log_access(
        db,
        user_id=access.user_id,
        client_pk=access.client_pk,
        client_id=access.client_id,
        operation=access.operation,
        scope=access.scope_used.uri,
        status=status,
    )
