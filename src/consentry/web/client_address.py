"""The client's address, as rate limits count it.

The address is the one the ASGI server reports. Behind a reverse proxy, that is the proxy's,
unless the server is told to trust its ``X-Forwarded-For`` (uvicorn: ``--forwarded-allow-ips``,
or ``FORWARDED_ALLOW_IPS``; docs/operators.md). IPv6 clients are counted per /64: one host
usually holds the whole prefix and could otherwise change its address for every request.
"""

from __future__ import annotations

import ipaddress

from starlette.types import Scope

UNKNOWN = "unknown"


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    host = client[0] if client else None
    if not host:
        return UNKNOWN
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return UNKNOWN  # a unix socket or a test client's made-up name: one bucket for all of them
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
