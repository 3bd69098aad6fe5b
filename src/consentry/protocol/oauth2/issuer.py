"""RFC 9207: every authorization response names the issuer that produced it.

A client that talks to several authorization servers cannot otherwise tell which one sent the
browser back (the mix-up attack): it could send a code from one server to another's token
endpoint. Success and error redirects both go through :func:`with_issuer`.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit


def with_issuer(location: str, issuer: str) -> str:
    """``location`` with ``iss=<issuer>`` in its query exactly once.

    An ``iss`` already in the registered redirect URI's query is dropped, so the client never sees
    two; the rest of the query is kept byte for byte (re-encoding could change a registered value).
    """
    if not location:
        return location  # no redirect (an error page): nothing to name
    parts = urlsplit(location)
    kept = [p for p in parts.query.split("&") if p and p.split("=", 1)[0] != "iss"]
    kept.append("iss=" + quote(issuer, safe=""))
    return urlunsplit(parts._replace(query="&".join(kept)))
