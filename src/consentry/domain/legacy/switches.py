"""Which legacy protocols the operator left on (settings ``CONSENTRY_LEGACY_*``)."""

from __future__ import annotations

from consentry.settings import Settings

PROTOCOLS = ("oauth1", "authsub", "clientlogin", "gadget")


def enabled(settings: Settings, protocol: str) -> bool:
    return {
        "oauth1": settings.legacy_oauth1,
        "authsub": settings.legacy_authsub,
        "clientlogin": settings.legacy_clientlogin,
        "gadget": settings.legacy_gadget_proxy,
    }[protocol]
