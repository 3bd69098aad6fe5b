"""AuthSubRequest's parameters and the plain-text answers of the token endpoints.

By hand (no library does AuthSub). Old clients parse the answers literally, line by line
(gdata ``token_from_http_body`` looks for ``Token=``), so the bodies are exactly the documented
ones: ``Token=<t>\\nExpiration=<YYYYMMDDTHHMMSSZ>`` and ``Target=..\\nScope=..\\nSecure=..``, no
trailing newline, ``text/plain``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MAX_NEXT = 2000
MAX_HD = 255
TEXT = "text/plain; charset=utf-8"


class RequestError(ValueError):
    """AuthSubRequest cannot go on; ``title``/``str`` are shown to the user on our page."""

    def __init__(self, title: str, message: str, code: str) -> None:
        super().__init__(message)
        self.title = title
        self.code = code


@dataclass(frozen=True, slots=True)
class Params:
    """AuthSubRequest as the app sent it (PLATFORM_RULES §3)."""

    next: str
    #: The space-separated legacy scope strings, as sent.
    scope: str
    secure: bool
    session: bool
    hd: str

    @property
    def next_host(self) -> str:
        """The host of ``next`` (port kept): the app's identity for an unregistered app."""
        return urlsplit(self.next).netloc.lower()

    @property
    def next_hostname(self) -> str:
        return (urlsplit(self.next).hostname or "").lower()

    @property
    def next_origin(self) -> str:
        parts = urlsplit(self.next)
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}"

    def query(self) -> str:
        return urlencode(
            {
                "next": self.next,
                "scope": self.scope,
                "secure": int(self.secure),
                "session": int(self.session),
                **({"hd": self.hd} if self.hd else {}),
            }
        )


def _flag(value: str | None, name: str) -> bool:
    if value in (None, "", "0", "false", "False"):
        return False
    if value in ("1", "true", "True"):
        return True
    raise RequestError("This request can't be used", f"{name} must be 0 or 1.", "invalid_request")


def check_next(url: str) -> str:
    """An absolute http(s) URL with a host and no user name in it (shown to the user as the app)."""
    if not url:
        raise RequestError(
            "This request can't be used",
            "The app did not say where to send you back (next).",
            "invalid_request",
        )
    if len(url) > MAX_NEXT or not url.isprintable() or any(c.isspace() for c in url):
        raise RequestError(
            "This request can't be used", "The app's next address is not valid.", "invalid_request"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise RequestError(
            "This request can't be used",
            "The app's next address must be a full http:// or https:// address.",
            "invalid_request",
        )
    if parts.username is not None or parts.password is not None:
        raise RequestError(
            "This request can't be used",
            "The app's next address must not carry a user name.",
            "invalid_request",
        )
    return url


def parse_request(params: Mapping[str, str]) -> Params:
    """AuthSubRequest's query (or the approval form's copy of it); RequestError when unusable."""
    next_url = check_next(params.get("next", "").strip())
    scope = params.get("scope", "").strip()
    if not scope:
        raise RequestError(
            "This request can't be used",
            "The app did not say what it wants to access (scope).",
            "invalid_scope",
        )
    hd = params.get("hd", "").strip()
    if len(hd) > MAX_HD or not hd.isprintable():
        raise RequestError("This request can't be used", "The hd parameter is not valid.", "invalid_request")
    return Params(
        next=next_url,
        scope=scope,
        secure=_flag(params.get("secure"), "secure"),
        session=_flag(params.get("session"), "session"),
        hd=hd,
    )


def with_token(next_url: str, token: str) -> str:
    """``next`` with ``token=<t>`` added, its own query parameters kept as they were (AUTH3-1).

    A ``token`` parameter already in ``next`` is dropped: clients read the first ``token=``
    (gdata ``TokenFromUrl``), so a planted one would win over ours.
    """
    parts = urlsplit(next_url)
    kept = [p for p in parts.query.split("&") if p and p.split("=", 1)[0] != "token"] if parts.query else []
    query = "&".join([*kept, urlencode({"token": token})])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def expiration(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y%m%dT%H%M%SZ")


def session_body(token: str, expires_at: int) -> str:
    return f"Token={token}\nExpiration={expiration(expires_at)}"


def info_body(target: str, scopes: tuple[str, ...] | list[str], secure: bool) -> str:
    return f"Target={target}\nScope={' '.join(scopes)}\nSecure={'true' if secure else 'false'}"


def query_pairs(query: str) -> dict[str, str]:
    """First value of each parameter (AuthSubRequest never repeats one)."""
    out: dict[str, str] = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        out.setdefault(k, v)
    return out
