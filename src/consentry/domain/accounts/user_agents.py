"""A readable name for a browser from its User-Agent: "Chrome on Linux", "Safari on iPhone" (ACCT-5).

Why not a library: the well-kept parsers (``ua-parser`` with its ``ua-parser-builtins`` rules,
``user-agents`` on top of it) carry hundreds of regular expressions to name every device model
and bot there is, and want a native accelerator to be fast. The sessions page needs two words,
the browser family and the operating system, for a person to recognise their own devices; a few
ordered substring rules do that, cost nothing per row, and are easy to read and test.

Order matters: browsers built on Chromium also say "Chrome", and Chrome also says "Safari", so
the more specific names are tried first. An agent nothing matches is shown as "Unknown browser".
"""

from __future__ import annotations

import re

#: (token in the User-Agent, the name shown), most specific first.
BROWSERS: tuple[tuple[str, str], ...] = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("OPiOS/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("YaBrowser/", "Yandex Browser"),
    ("Vivaldi/", "Vivaldi"),
    ("HeadlessChrome/", "Headless Chrome"),
    ("CriOS/", "Chrome"),
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("MSIE ", "Internet Explorer"),
    ("Trident/", "Internet Explorer"),
)

#: Not browsers, but what scripts and command-line tools say of themselves.
TOOLS: tuple[tuple[str, str], ...] = (
    ("curl/", "curl"),
    ("Wget/", "Wget"),
    ("python-requests/", "Python requests"),
    ("python-httpx/", "Python httpx"),
    ("Python-urllib/", "Python urllib"),
    ("okhttp/", "OkHttp"),
    ("Go-http-client/", "Go HTTP client"),
    ("testclient", "Test client"),
)

#: (token, the name shown), most specific first: iPhones and Android phones also say "Linux"
#: or "like Mac OS X".
SYSTEMS: tuple[tuple[str, str], ...] = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("iPod", "iPod"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows Phone", "Windows Phone"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Ubuntu", "Ubuntu"),
    ("Fedora", "Fedora"),
    ("Linux", "Linux"),
    ("FreeBSD", "FreeBSD"),
    ("OpenBSD", "OpenBSD"),
)

_SPACES = re.compile(r"\s+")


def browser_of(agent: str) -> str:
    for token, name in BROWSERS:
        if token in agent:
            return name
    for token, name in TOOLS:
        if token.lower() in agent.lower():
            return name
    return ""


def system_of(agent: str) -> str:
    for token, name in SYSTEMS:
        if token in agent:
            return name
    return ""


#: Systems shown with a phone rather than a computer on the sessions page.
MOBILE = frozenset({"iPhone", "iPod", "Android", "Windows Phone"})


def is_mobile(agent: str | None) -> bool:
    return system_of(agent or "") in MOBILE or "Mobile" in (agent or "")


def describe(agent: str | None) -> str:
    """``"Chrome on Linux"``, ``"Safari on iPhone"``, ``"Firefox"``, or ``"Unknown browser"``."""
    agent = _SPACES.sub(" ", agent or "").strip()
    if not agent:
        return "Unknown browser"
    browser, system = browser_of(agent), system_of(agent)
    if browser and system:
        return f"{browser} on {system}"
    if browser:
        return browser
    if system:
        return f"A browser on {system}"
    return "Unknown browser"
