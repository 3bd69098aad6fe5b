"""How large a request body each route may send, and the format its refusal is written in.

Data, not code (ISSUE-9.3): a route that takes uploads (a logo, say) gets a row in ``ROUTES``.
A route not in the table gets ``DEFAULT``, the size of a protocol form, so a new endpoint is
bounded until someone decides it needs more. :mod:`consentry.web.body_limit` enforces it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

KiB = 1024
MiB = 1024 * KiB


class Style(Enum):
    """How a refusal is written: in the format the endpoint's callers already parse."""

    OAUTH = "oauth"  # RFC 6749 JSON: {"error": "invalid_request", "error_description": ...}
    API = "api"  # the JSON APIs' {"error": CODE, "error_description": ...}
    PAGE = "page"  # an HTML error page, for browsers posting forms
    AUTO = "auto"  # a page if the caller accepts HTML, else OAuth JSON (routes not in the table)


@dataclass(frozen=True, slots=True)
class BodyRule:
    max_bytes: int
    style: Style


#: Protocol requests are a few hundred bytes; a JWT client assertion a few KiB.
PROTOCOL_FORM = BodyRule(16 * KiB, Style.OAUTH)
#: Sign-in, consent, device and picker forms: a CSRF token, some ids, at most a few dozen scopes.
BROWSER_FORM = BodyRule(16 * KiB, Style.PAGE)
#: JSON management and data APIs: their models cap every field far below this.
JSON_API = BodyRule(1 * MiB, Style.API)
#: Files hold up to 5 MiB (domain/data/files.py MAX_CONTENT), sent as base64 inside JSON (x 4/3).
FILE_UPLOAD = BodyRule(8 * MiB, Style.API)
#: A message body is up to 1,000,000 characters: up to 6 MB as JSON with \\u escapes.
MAIL_MESSAGE = BodyRule(8 * MiB, Style.API)
DEFAULT = BodyRule(16 * KiB, Style.AUTO)
#: Developer-console uploads: a logo (at most 1 MiB, domain/projects/logo.py) or a scan report (1 MB)
#: with the form around it; a little over the file's own limit so the page can say what is wrong.
CONSOLE_UPLOAD = BodyRule(2 * MiB, Style.PAGE)
#: Developer-console forms: up to 100 test users, answers of a few thousand characters.
CONSOLE_FORM = BodyRule(256 * KiB, Style.PAGE)

#: Path -> rule. A path is exact, may hold ``{name}`` for one segment, and may end in ``/*`` for
#: itself and everything below. Exact paths are looked up first, then patterns in the order
#: written, so write a narrower pattern above a wider one.
ROUTES: Mapping[str, BodyRule] = {
    "/token": PROTOCOL_FORM,
    "/revoke": PROTOCOL_FORM,
    "/introspect": PROTOCOL_FORM,
    "/device/code": PROTOCOL_FORM,
    "/userinfo": PROTOCOL_FORM,
    "/tokeninfo": PROTOCOL_FORM,
    "/authorize/consent": BROWSER_FORM,
    "/authorize/screen": BROWSER_FORM,
    "/signin": BROWSER_FORM,
    "/signout": BROWSER_FORM,
    "/accounts/choose": BROWSER_FORM,
    "/device": BROWSER_FORM,
    "/picker": BROWSER_FORM,
    "/data/v1/files": FILE_UPLOAD,
    "/data/v1/mail/messages": MAIL_MESSAGE,
    "/data/v1/mail/messages/send": MAIL_MESSAGE,
    "/data/v1/mail/drafts": MAIL_MESSAGE,
    "/data/v1/*": JSON_API,
    # A logo of up to 1 MiB arrives base64-encoded (4/3 larger); a scan report may ride along a draft.
    "/api/v1/projects/{project}/consent-screen": BodyRule(2 * MiB, Style.API),
    "/api/v1/projects/{project}/verification": BodyRule(2 * MiB, Style.API),
    "/api/v1/*": JSON_API,
    "/console/projects/{project}/consent-screen": CONSOLE_UPLOAD,
    "/console/projects/{project}/verification": CONSOLE_UPLOAD,
    "/console/*": CONSOLE_FORM,
    "/review/*": CONSOLE_FORM,  # reviewers' questions and reasons: a few thousand characters
}


class RouteTable:
    """Finds a path's rule: one dict lookup for exact paths, a short scan of patterns otherwise."""

    def __init__(self, routes: Mapping[str, BodyRule] = ROUTES, default: BodyRule = DEFAULT) -> None:
        self.default = default
        self.exact = {path: rule for path, rule in routes.items() if not _is_pattern(path)}
        self.patterns = [(_compile(path), rule) for path, rule in routes.items() if _is_pattern(path)]

    def rule(self, path: str) -> BodyRule:
        rule = self.exact.get(path)
        if rule is not None:
            return rule
        for pattern, candidate in self.patterns:
            if pattern.fullmatch(path):
                return candidate
        return self.default


def _is_pattern(path: str) -> bool:
    return path.endswith("/*") or "{" in path


def _compile(path: str) -> re.Pattern[str]:
    below = path.endswith("/*")
    base = path[:-2] if below else path
    parts = re.split(r"\{[^/{}]+\}", base)
    regex = "[^/]+".join(re.escape(part) for part in parts)
    return re.compile(regex + ("(?:/.*)?" if below else ""))
