"""The transmitter's configuration document (OpenID Shared Signals Framework 1.0, §7.1).

Served at ``/.well-known/ssf-configuration``, and at ``/.well-known/risc-configuration`` for
receivers written against the reference platform's RISC configuration. Streams are not managed
over SSF's stream-management API: each project sets its push endpoint in the console or the
console API (docs/security-events.md), so no ``configuration_endpoint`` is advertised.
"""

from __future__ import annotations

from typing import Any

from consentry.domain.events.types import PUSH_METHOD, supported

#: The RISC profile's name for push delivery (PLATFORM_RULES, "Cross-Account Protection").
RISC_PUSH = "https://schemas.openid.net/secevent/risc/delivery-method/push"
ENDPOINT_API = "/api/v1/projects/{project}/events-endpoint"


def ssf_configuration(issuer: str) -> dict[str, Any]:
    issuer = issuer.rstrip("/")
    return {
        "spec_version": "1_0",
        "issuer": issuer,
        "jwks_uri": f"{issuer}/jwks",
        "delivery_methods_supported": [PUSH_METHOD, RISC_PUSH],
        "events_supported": supported(issuer),
        # Every user who granted the app profile or email is covered; nothing to add per subject.
        "default_subjects": "ALL",
        "critical_subject_members": ["iss", "sub"],
        "consentry_endpoint_api": issuer + ENDPOINT_API,
    }
