"""Where a project's security events go (RFC 8935 push): the rule for the URL, and setting it.

The endpoint is typed by a developer and then dialled by the server, so it gets the rule of every
developer-supplied URL (SSRF): https only, on the standard port, and never a private, loopback or
link-local host. ``CONSENTRY_FETCH_ALLOW_PRIVATE`` (a test or LAN deployment) lifts all three, so
``http://127.0.0.1:8123/events`` works there. A host *name* is checked again at every push, after
resolving it (push.py): a name that resolves to a private address today passes here but is never
dialled. :func:`send_verification` queues a test event, so developers can try their receiver.
"""

from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from consentry.domain.actor import Actor
from consentry.domain.audit import record
from consentry.domain.audit.tags import AuditTag
from consentry.domain.events import queue
from consentry.domain.events.types import VERIFICATION
from consentry.domain.verification.addresses import is_public_address
from consentry.errors import Conflict, InvalidInput, LimitReached
from consentry.storage.repositories.rate_counters import SqlRateCounters
from consentry.storage.tables import Project, SecurityEvent
from consentry.storage.tables.base import now

MAX_LENGTH = 2000  # the column's length
#: Test events a project may queue per hour (each one is a push to the developer's endpoint).
VERIFY_PER_HOUR = 10
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def _invalid(message: str) -> InvalidInput:
    return InvalidInput("invalid_endpoint", message)


def check_endpoint(url: str, *, allow_private: bool) -> str:
    """``url`` trimmed, or "" (no endpoint); raises ``invalid_endpoint`` saying what to fix."""
    if not isinstance(url, str):
        raise _invalid("the events endpoint must be a URL")
    url = url.strip()
    if not url:
        return ""
    if len(url) > MAX_LENGTH:
        raise _invalid(f"the events endpoint holds at most {MAX_LENGTH} characters")
    if any(not ch.isprintable() or ch.isspace() for ch in url):
        raise _invalid("the events endpoint cannot hold spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise _invalid(f"the events endpoint is not a valid URL ({err})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or (scheme == "http" and not allow_private):
        raise _invalid(
            "the events endpoint must be an https:// URL (http:// only on a server that allows "
            "private addresses, for tests)"
        )
    if parts.username is not None or parts.password is not None:
        raise _invalid("the events endpoint cannot carry a user name or password")
    if parts.fragment:
        raise _invalid("the events endpoint cannot have a #fragment")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _invalid("the events endpoint has no host")
    if not allow_private:
        if port not in (None, 443):
            raise _invalid("the events endpoint must use the standard https port (443)")
        if _is_local(host):
            raise _invalid(f"the events endpoint's host {host} is a private or loopback address")
    return url


def _is_local(host: str) -> bool:
    """A loopback name, or an address literal that is not public (names are checked at push)."""
    lowered = host.lower()
    if lowered in _LOCAL_NAMES or lowered.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(lowered)
    except ValueError:
        return False
    return not is_public_address(lowered)


def set_endpoint(session: Session, project: Project, url: str, *, allow_private: bool, actor: Actor) -> str:
    """Set (or clear, with "") where ``project``'s events are pushed; the caller checked the
    actor's permission. Events still waiting go to the new endpoint at their next attempt."""
    new = check_endpoint(url, allow_private=allow_private)
    old = project.events_endpoint or ""
    if new != old:
        project.events_endpoint = new
        record(
            session,
            AuditTag.PROJECT_EVENTS_ENDPOINT,
            actor=actor.email,
            channel=actor.channel,
            data={"project": project.name, "endpoint": new, "previous": old},
        )
    return new


def send_verification(
    session: Session, project: Project, *, issuer: str, actor: Actor, state: str = ""
) -> SecurityEvent:
    """Queue a RISC ``verification`` event: the developer's way to test the receiver end to end.

    It names no user; ``state`` (at most 200 characters) comes back in the event, so a receiver
    can tell its own test apart. Refused (``no_events_endpoint``) while no endpoint is set.
    """
    if not project.events_endpoint:
        raise Conflict("no_events_endpoint", "set the events endpoint first")
    if SqlRateCounters(session).hit(f"events-verify:{project.id}", 3600, now()).count > VERIFY_PER_HOUR:
        raise LimitReached(f"at most {VERIFY_PER_HOUR} test events an hour: try again later")
    state = state.strip()
    if len(state) > 200 or not state.isprintable():
        raise InvalidInput("invalid_state", "the state is at most 200 printable characters")
    event = queue.add(
        session,
        project=project,
        event_type=VERIFICATION,
        issuer=issuer,
        payload={"state": state or secrets.token_urlsafe(12)},
    )
    record(
        session,
        AuditTag.PROJECT_EVENTS_VERIFY,
        actor=actor.email,
        channel=actor.channel,
        data={"project": project.name, "jti": event.jti},
    )
    return event
