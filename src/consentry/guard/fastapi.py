"""FastAPI integration: ``Depends(guard.requires(scope, ...))`` yields the verified Caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from consentry.guard.bearer import bearer_token
from consentry.guard.caller import Caller
from consentry.guard.errors import GuardError
from consentry.guard.responses import guard_error_handler, report
from consentry.guard.scopes import require_scopes
from consentry.guard.verifier import TokenVerifier

_VERIFIED = "consentry.guard.verified"


class Guard:
    """Protects FastAPI routes with bearer tokens checked by ``verifier``.

    Errors are ``GuardError``s (Starlette ``HTTPException``s), so without ``install`` FastAPI
    still answers with the right status and ``WWW-Authenticate`` header, only with its own
    ``{"detail": ...}`` body; ``install(app)`` gives the RFC 6750 ``{"error": ...}`` body.
    """

    def __init__(self, verifier: TokenVerifier, realm: str = "api") -> None:
        self.verifier = verifier
        self.realm = realm
        # Only so that OpenAPI (and Swagger UI's Authorize button) shows the bearer scheme;
        # the token itself is parsed by bearer_token, which is stricter.
        self._scheme = HTTPBearer(auto_error=False, scheme_name=f"Bearer ({realm})")

    def install(self, app: FastAPI) -> None:
        """Answer GuardErrors with RFC 6750 JSON bodies. Call it before the app starts serving."""
        app.add_exception_handler(GuardError, guard_error_handler)

    def requires(self, *any_of: str, all_of: Iterable[str] = ()) -> Callable[..., Awaitable[Caller]]:
        """A dependency: a valid token carrying every ``all_of`` scope and one of ``any_of`` (if any)."""
        any_list, all_list = tuple(any_of), tuple(all_of)

        async def dependency(
            request: Request,
            _openapi: HTTPAuthorizationCredentials | None = Depends(self._scheme),
        ) -> Caller:
            caller = await self.authenticate(request)
            try:
                require_scopes(caller, any_list, all_list)
            except GuardError as exc:
                raise exc.with_realm(self.realm) from None
            return caller

        return dependency

    async def authenticate(self, request: Request) -> Caller:
        """Verify the request's token once per request, and expose it as ``request.state.caller``."""
        verified: dict[int, Caller] = request.scope.setdefault(_VERIFIED, {})
        caller = verified.get(id(self))
        if caller is None:
            try:
                token = bearer_token(
                    request.headers.getlist("authorization"),
                    request.scope.get("query_string", b"").decode("latin-1"),
                )
                caller = await self.verifier.verify(token)
            except GuardError as exc:
                report(exc)
                raise exc.with_realm(self.realm) from None
            verified[id(self)] = caller
        request.state.caller = caller
        return caller
