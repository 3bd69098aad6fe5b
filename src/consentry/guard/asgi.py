"""Plain ASGI middleware: protect any ASGI app (Starlette, FastAPI, ...) with a list of rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from consentry.guard.bearer import bearer_token, header_values
from consentry.guard.caller import Caller
from consentry.guard.errors import GuardError, NoRule
from consentry.guard.responses import error_response, report
from consentry.guard.scopes import require_scopes
from consentry.guard.verifier import TokenVerifier

#: RFC 6455 §7.4.1: the policy-violation close code, for refused WebSocket handshakes.
POLICY_VIOLATION = 1008


@dataclass(frozen=True, init=False)
class Rule:
    """``method`` (or ``*``) and ``path``: exact, or a prefix when it ends with ``*``.

    A GET rule also covers HEAD, because Starlette answers HEAD with the GET handler: leaving
    HEAD unmatched would let it through unguarded.
    """

    method: str
    path: str
    any_of: tuple[str, ...]
    all_of: tuple[str, ...]

    def __init__(
        self, method: str, path: str, any_of: Iterable[str] = (), all_of: Iterable[str] = ()
    ) -> None:
        object.__setattr__(self, "method", method.upper())
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "any_of", tuple(any_of))
        object.__setattr__(self, "all_of", tuple(all_of))

    def matches(self, method: str, path: str) -> bool:
        if self.method not in ("*", method) and not (self.method == "GET" and method == "HEAD"):
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path


class GuardMiddleware:
    """The first matching rule decides; unmatched requests pass through, or get 403 with ``default_deny``.

    On success the caller is in ``scope["state"]["caller"]`` (``request.state.caller`` in Starlette).
    WebSocket handshakes follow the same rules (method GET) and are refused with close code 1008.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: TokenVerifier,
        rules: Sequence[Rule],
        realm: str = "api",
        default_deny: bool = False,
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.rules = tuple(rules)
        self.realm = realm
        self.default_deny = default_deny

    def rule_for(self, method: str, path: str) -> Rule | None:
        return next((r for r in self.rules if r.matches(method, path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET").upper() if scope["type"] == "http" else "GET"
        rule = self.rule_for(method, scope["path"])
        if rule is None and not self.default_deny:
            await self.app(scope, receive, send)
            return
        try:
            caller = await self._check(scope, rule)
        except GuardError as exc:
            report(exc)
            exc.with_realm(self.realm)
            if scope["type"] == "websocket":
                await WebSocketClose(POLICY_VIOLATION, exc.description[:100])(scope, receive, send)
            else:
                await error_response(exc)(scope, receive, send)
            return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)

    async def _check(self, scope: Scope, rule: Rule | None) -> Caller:
        if rule is None:
            raise NoRule("no rule allows this request")
        token = bearer_token(
            header_values(scope.get("headers", [])), scope.get("query_string", b"").decode("latin-1")
        )
        caller = await self.verifier.verify(token)
        require_scopes(caller, rule.any_of, rule.all_of)
        return caller
