"""The six workloads every server runs, in table order.

Each names the Lua script that drives it and the unit it is reported in; what a correct response is
depends on the server too (oidc-provider redirects with 303, the others with 302), so targets build
the Expectation (see targets/base.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    key: str
    label: str
    script: str
    #: True when the table reports round trips/s (successful token responses/s) besides req/s.
    round_trips: bool = False


CC_TOKEN = Workload("cc-token", "client_credentials token", "static.lua")
INTROSPECT = Workload("introspect", "introspection (valid token)", "static.lua")
REFRESH = Workload("refresh", "refresh with rotation", "refresh.lua")
CODE_FLOW = Workload("code-flow", "auth code + PKCE round trip", "code_flow.lua", round_trips=True)
JWKS = Workload("jwks", "JWKS", "static.lua")
DISCOVERY = Workload("discovery", "discovery", "static.lua")

ALL: tuple[Workload, ...] = (CC_TOKEN, INTROSPECT, REFRESH, CODE_FLOW, JWKS, DISCOVERY)
BY_KEY: dict[str, Workload] = {w.key: w for w in ALL}


def select(keys: str | None) -> tuple[Workload, ...]:
    """Workloads named in a comma list (``--only``), in table order; all when ``keys`` is empty."""
    if not keys:
        return ALL
    wanted = [k.strip() for k in keys.split(",") if k.strip()]
    unknown = [k for k in wanted if k not in BY_KEY]
    if unknown:
        raise ValueError(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(BY_KEY)}")
    return tuple(w for w in ALL if w.key in wanted)
