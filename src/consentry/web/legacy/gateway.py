"""Every legacy answer: the operator's on/off switch, and the deprecation notice (RFC 9745, 8594).

One pure-ASGI layer in front of all legacy paths, so no endpoint can forget either: a protocol
that is switched off answers 404 (what the reference platform answered after its shutdown), and
every answer, errors included, carries ``Deprecation``, ``Sunset`` and a ``Link`` to the
migration guide for that protocol; so does a data-API answer to a legacy credential.
"""

from __future__ import annotations

from calendar import timegm
from datetime import date
from email.utils import formatdate

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consentry.domain.legacy.switches import enabled
from consentry.settings import Settings

#: Path prefix -> protocol. Every legacy route lives under one of these.
PREFIXES: tuple[tuple[str, str], ...] = (
    ("/accounts/OAuth", "oauth1"),
    ("/accounts/AuthSub", "authsub"),
    ("/accounts/ClientLogin", "clientlogin"),
    ("/accounts/Captcha", "clientlogin"),
    ("/accounts/DisplayUnlockCaptcha", "clientlogin"),
    ("/accounts/UnlockCaptcha", "clientlogin"),
    ("/gadgets/", "gadget"),
)
#: When the reference platform deprecated each protocol (PLATFORM_RULES §3): 2012-04-20.
DEPRECATED_ON = {
    "oauth1": date(2012, 4, 20),
    "authsub": date(2012, 4, 20),
    "clientlogin": date(2012, 4, 20),
    "gadget": date(2012, 4, 20),
}
#: The migration guide's section for each protocol (served at /help/legacy).
GUIDE = "/help/legacy#"


#: Authorization schemes of legacy credentials at the data APIs (web/legacy/data_auth.py).
SCHEMES = {
    b"oauth": "oauth1",
    b"authsub": "authsub",
    b"googlelogin": "clientlogin",
    b"clientlogin": "clientlogin",
}


def protocol_of(path: str) -> str | None:
    return next((proto for prefix, proto in PREFIXES if path.startswith(prefix)), None)


def _credential_protocol(scope: Scope) -> str | None:
    """A data-API call made with a legacy credential is a legacy answer too."""
    if not scope.get("path", "").startswith("/data/"):
        return None
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return SCHEMES.get(value.split(b" ", 1)[0].strip().lower())
    return None


def notice_headers(settings: Settings, protocol: str) -> list[tuple[bytes, bytes]]:
    deprecated = timegm(DEPRECATED_ON[protocol].timetuple())
    sunset = formatdate(timegm(settings.legacy_sunset.timetuple()), usegmt=True)
    link = f'<{settings.issuer_url}{GUIDE}{protocol}>; rel="deprecation"; type="text/html"'
    return [
        (b"deprecation", f"@{deprecated}".encode()),
        (b"sunset", sunset.encode()),
        (b"link", link.encode()),
    ]


class LegacyGateway:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.headers = {p: notice_headers(settings, p) for p in DEPRECATED_ON}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        protocol = protocol_of(scope.get("path", ""))
        at_data = protocol is None
        protocol = protocol or _credential_protocol(scope)
        if protocol is None:
            await self.app(scope, receive, send)
            return
        extra = self.headers[protocol]
        if not at_data and not enabled(self.settings, protocol):
            body = b"This legacy protocol is turned off on this server. Use OAuth 2.0.\n"
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                        *extra,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def send_with_notice(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_notice)
