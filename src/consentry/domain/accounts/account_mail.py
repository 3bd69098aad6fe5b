"""The mails of account recovery and joining, and how often an address may be sent one.

Texts live here, not in the views, so the web and the CLI send the same words; every mail is
queued with the outbox (domain/mail/outbox.py) in the transaction of the change it announces.
Each mail says what the link does, how long it lasts and what to do if the reader did not ask:
a mailed link is a credential, and people must be able to recognise one they did not expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from consentry.domain.accounts.emails import is_email_address
from consentry.domain.audit.tags import AuditTag
from consentry.domain.mail.outbox import enqueue
from consentry.domain.ratelimit.limiter import Limiter
from consentry.domain.ratelimit.limits import Limit
from consentry.domain.secrets import Hasher
from consentry.storage.repositories.rate_counters import SqlRateCounters
from consentry.storage.tables.base import now

HOUR = 3600


@dataclass(frozen=True)
class MailThrottle:
    """At most ``per_address`` mails of one kind to an e-mail address, and ``per_client`` requests
    from one client address, per hour: a form that mails must not become a way to flood someone's
    inbox, nor to make us a spam cannon. Past either, the request is answered the same and ignored.
    """

    kind: str
    per_address: int = 3
    per_client: int = 20

    def refusal(self, session: Session, hasher: Hasher, *, email: str, client: str) -> str | None:
        """Why a request for a mailed link goes no further: ``invalid`` (not an address; not
        counted), ``throttled`` (counted, past a limit); None when it may go on."""
        if not is_email_address(email):
            return "invalid"
        return None if self.allows(session, hasher, email=email, client=client) else "throttled"

    def allows(self, session: Session, hasher: Hasher, *, email: str, client: str) -> bool:
        """Count this request (atomically, across processes) and say whether it may send mail."""
        limiter = Limiter(hasher)
        hits = [
            (Limit(f"{self.kind}.client", self.per_client, HOUR), client),
            (Limit(f"{self.kind}.email", self.per_address, HOUR), email.strip().lower()),
        ]
        return limiter.first_refusal(SqlRateCounters(session), hits, now()) is None


RESET_THROTTLE = MailThrottle("reset")
SIGNUP_THROTTLE = MailThrottle("signup")


def lasts(seconds: int) -> str:
    """A lifetime for people: ``30 minutes``, ``24 hours``, ``7 days``."""
    for unit, size in (("day", 86400), ("hour", HOUR), ("minute", 60)):
        # "24 hours" reads better than "1 day"; days from two on.
        if (seconds >= 2 * size and seconds % size == 0) or unit == "minute":
            n = max(1, seconds // size)
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return f"{seconds} seconds"  # pragma: no cover - the loop always returns


def link(issuer: str, path: str, **query: str) -> str:
    return f"{issuer.rstrip('/')}{path}?{urlencode(query)}"


def _send(session: Session, to: str, subject: str, body: str, tag: AuditTag, issuer: str) -> None:
    enqueue(session, [to], subject, body, reason=tag.value, issuer=issuer)


def send_reset_link(session: Session, to: str, token: str, ttl: int, issuer: str) -> None:
    url = link(issuer, "/password/reset", token=token)
    body = (
        "Someone asked to reset the password of your Consentry account.\n\n"
        f"To choose a new password, open this link within {lasts(ttl)}:\n\n{url}\n\n"
        "The link works once. Choosing a new password signs you out of every browser.\n\n"
        "If you did not ask, ignore this mail: your password stays as it is, and nobody can use\n"
        "the link without reading your mail.\n"
    )
    _send(session, to, "Reset your Consentry password", body, AuditTag.USER_RESET_REQUEST, issuer)


def send_password_changed(session: Session, to: str, issuer: str, passkeys: list[str] | None = None) -> None:
    """The notice after a reset; it names the account's passkeys, which sign in without the password:
    a reset does not remove them, so one added by someone else must be removed by hand."""
    forgot = link(issuer, "/password/forgot", email=to)
    keys = (
        "These passkeys can still sign in to the account without a password. Remove any you do not\n"
        f"recognise at {link(issuer, '/account/passkeys')}:\n"
        + "".join(f"  - {k}\n" for k in passkeys)
        + "\n"
        if passkeys
        else ""
    )
    body = (
        "The password of your Consentry account was just changed with a reset link, and every\n"
        "browser signed in to the account was signed out.\n\n"
        f"{keys}"
        "If it was you, there is nothing more to do.\n\n"
        "If it was not you, someone can read your mail or had the link: secure your mailbox first,\n"
        f"then reset your password again at {forgot}\n"
        "and tell your administrator.\n"
    )
    _send(session, to, "Your Consentry password was changed", body, AuditTag.USER_RESET, issuer)


def send_signup_link(session: Session, to: str, token: str, ttl: int, issuer: str) -> None:
    url = link(issuer, "/signup/complete", token=token)
    body = (
        "Someone asked to create a Consentry account for this address.\n\n"
        f"To create it, open this link within {lasts(ttl)} and choose your name and password:\n\n"
        f"{url}\n\n"
        "If you did not ask, ignore this mail: no account is created without the link.\n"
    )
    _send(
        session,
        to,
        "Confirm your address to create your Consentry account",
        body,
        AuditTag.USER_SIGNUP_REQUEST,
        issuer,
    )


def send_signup_exists(session: Session, to: str, issuer: str) -> None:
    """What a sign-up for a taken address mails instead: the page answered the same either way."""
    body = (
        "Someone asked to create a Consentry account for this address, but you already have one.\n\n"
        f"Sign in at {link(issuer, '/signin', email=to)}\n"
        f"or, if you forgot your password, reset it at {link(issuer, '/password/forgot', email=to)}\n\n"
        "If you did not ask, ignore this mail: nothing was changed.\n"
    )
    _send(session, to, "You already have a Consentry account", body, AuditTag.USER_SIGNUP_REQUEST, issuer)


def send_invitation(
    session: Session, to: str, token: str, ttl: int, issuer: str, *, org_name: str, inviter: str
) -> None:
    url = link(issuer, "/invite/accept", token=token)
    who = f"{inviter} invited you" if inviter else "You are invited"
    body = (
        f"{who} to join {org_name} on Consentry.\n\n"
        f"To accept, open this link within {lasts(ttl)} and choose your name and password:\n\n"
        f"{url}\n\n"
        "The link works once. If you did not expect this invitation, ignore this mail.\n"
    )
    _send(session, to, f"Join {org_name} on Consentry", body, AuditTag.ORG_INVITE, issuer)


def send_invited_but_registered(session: Session, to: str, issuer: str, *, org_name: str) -> None:
    """What an invitation to an address that already has an account mails instead: the admin's page
    answered "sent" either way, so an invitation form cannot tell who has an account here."""
    body = (
        f"You were invited to join {org_name} on Consentry, but this address already has an account,\n"
        "which cannot join another organization by invitation. Ask the person who invited you to\n"
        "contact the people who run Consentry.\n\n"
        f"Your account: {link(issuer, '/account')}\n"
        "If you did not expect this invitation, ignore this mail: nothing was changed.\n"
    )
    _send(session, to, "About your invitation to Consentry", body, AuditTag.ORG_INVITE, issuer)
