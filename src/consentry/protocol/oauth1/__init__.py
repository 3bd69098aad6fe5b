"""OAuth 1.0a (RFC 5849) as the reference platform spoke it: Authlib's RFC 5849 code, our glue.

``signed`` parses a request into Authlib's ``OAuth1Request`` and checks its signature with
Authlib's signature primitives; ``problems`` answers in the OAuth Problem Reporting format;
``wire`` holds the request-token parameters and the form-encoded answers; ``hybrid`` the OpenID
Connect ID token of AUTH1-14. Nothing here touches the database: the web layer looks up the
consumer and tokens first (web/legacy/oauth1_glue.py), then asks this package to judge.
"""
