"""Which site a URL belongs to, as data: registrable domains, store and social hosts, sign-in pages.

Why a short list and not the Public Suffix List: the pre-checks only advise a human reviewer
(VERIFY-4, VERIFY-5), the list must not change under a running server, and a PSL package
would be one more dependency to vendor and refresh for a machine that may have no internet.
What matters here is that two tenants of one shared host (alice.github.io, bob.github.io)
never count as one domain, so the shared hosts developers use for home pages are listed
beside the country second levels. Add an entry when a reviewer meets a new one.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

#: Suffixes under which each name one label longer belongs to a different owner.
MULTI_LABEL_SUFFIXES = frozenset(
    {
        # Country second levels.
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk",
        "com.au", "net.au", "org.au", "edu.au", "gov.au",
        "co.nz", "org.nz", "net.nz",
        "co.jp", "ne.jp", "or.jp", "ac.jp",
        "co.kr", "or.kr",
        "com.br", "net.br", "org.br",
        "com.cn", "net.cn", "org.cn",
        "com.mx", "com.ar", "com.co", "com.tr", "com.tw", "com.hk", "com.sg", "com.my",
        "co.in", "net.in", "org.in", "co.za", "co.il", "co.id", "com.ph", "com.vn", "com.ua",
        # Shared hosts: every tenant is its own site.
        "github.io", "gitlab.io", "pages.dev", "netlify.app", "vercel.app", "web.app",
        "firebaseapp.com", "herokuapp.com", "appspot.com", "blogspot.com", "azurewebsites.net",
        "cloudfront.net", "onrender.com", "fly.dev", "wixsite.com", "wordpress.com",
    }
)  # fmt: skip

#: Hosts whose pages are a listing or a profile, never the app's own home page (VERIFY-4).
#: Code hosts are here too: a repository page describes code, not the app, and its owner
#: cannot verify the domain. Their tenant sites (github.io) are not: the developer runs those.
STORE_OR_SOCIAL = frozenset(
    {
        "play.google.com", "apps.apple.com", "itunes.apple.com", "chromewebstore.google.com",
        "chrome.google.com", "apps.microsoft.com", "addons.mozilla.org",
        "facebook.com", "fb.com", "instagram.com", "x.com", "twitter.com", "linkedin.com",
        "youtube.com", "youtu.be", "tiktok.com", "reddit.com", "pinterest.com", "threads.net",
        "snapchat.com", "discord.com", "discord.gg", "t.me", "medium.com",
        "github.com", "gitlab.com", "bitbucket.org",
    }
)  # fmt: skip

#: A path segment or first host label that marks a sign-in page (a home page must be public).
SIGN_IN_WORDS = frozenset(
    {"login", "log-in", "logon", "signin", "sign-in", "sign_in", "sso", "auth", "authenticate",
     "authorize", "oauth", "oauth2", "accounts"}
)  # fmt: skip


def host_of(url: str) -> str:
    """The URL's host, lower case, ASCII (IDNA), without a trailing dot; "" if it has none."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return normal_host(host)


def normal_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def registrable_domain(host: str) -> str:
    """The part of host its owner registered: the last two labels, or three under a listed suffix."""
    host = normal_host(host)
    try:
        ipaddress.ip_address(host)
        return host  # an address is its own site
    except ValueError:
        pass
    labels = host.split(".")
    keep = 3 if ".".join(labels[-2:]) in MULTI_LABEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


def on_domain(host: str, domain: str) -> bool:
    """host is domain or one of its subdomains (a verified domain covers its subdomains)."""
    host, domain = normal_host(host), normal_host(domain)
    return bool(domain) and (host == domain or host.endswith("." + domain))


def store_or_social(host: str) -> str | None:
    """The listed store or social site host is on, or None."""
    return next((site for site in sorted(STORE_OR_SOCIAL) if on_domain(host, site)), None)


def sign_in_marker(url: str) -> str | None:
    """The word that makes url look like a sign-in page, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    first_label = normal_host(parts.hostname or "").split(".", 1)[0]
    words = [first_label, *(segment.lower() for segment in parts.path.split("/"))]
    return next((word for word in words if word in SIGN_IN_WORDS), None)
