"""Which addresses a developer-supplied URL may reach: global unicast only (no SSRF).

Kept apart from the fetcher so the rule reads on its own and every caller (the pre-checks,
the domain-ownership file check) uses this one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public_address(address: str) -> bool:
    """True only for a global unicast address; anything unparseable counts as not public.

    Refused: private, loopback, link-local (169.254.169.254 metadata), multicast, reserved,
    unspecified, CGNAT 100.64/10, and IPv6 forms that embed one of those (IPv4-mapped, 6to4,
    Teredo, NAT64). ``not is_global`` backs the named tests, which stay for the reader.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    return not _refused(ip)


def _refused(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket
            return _refused(ip.ipv4_mapped)
        if any(_refused(v4) for v4 in _embedded_ipv4(ip)):
            return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in _CGNAT
        or not ip.is_global
    )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> Iterator[ipaddress.IPv4Address]:
    if ip.sixtofour is not None:
        yield ip.sixtofour
    if ip.teredo is not None:
        yield from ip.teredo
    if ip in _NAT64:
        yield ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
