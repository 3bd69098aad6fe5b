"""AuthSub (PLATFORM_RULES §3 "AuthSub", AUTH3): the wire format, by hand.

No maintained library implements AuthSub (Authlib, oauthlib and requests-oauthlib cover OAuth 1.0a
and 2.0 only; the gdata clients that spoke it are client-side and Python 2), so the header parser,
the secure-token signature check and the plain-text answers live here. No SQL, no web framework:
the web layer (web/legacy/authsub*.py) reads the request and the domain (domain/legacy/authsub*.py)
keeps the tokens.
"""
