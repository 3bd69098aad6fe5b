"""``consentry user invite EMAIL``: the operator invites someone into an organization (ACCT-6).

Works whatever ``CONSENTRY_SIGNUP`` says: with ``closed``, this is the only way accounts are
invited. The invitation is mailed through the outbox; ``--show-link`` prints the link instead
of mailing it, for an operator who hands it over another way (the link is a credential: it is
printed once and stored only as a keyed hash).
"""

from __future__ import annotations

from typing import Annotated

import typer

from consentry.cli.context import unit_of_work
from consentry.cli.output import emit
from consentry.domain.accounts import invitations
from consentry.domain.accounts.account_mail import link
from consentry.domain.accounts.links import Links

HELP = "Invite someone into an organization by e-mail; they choose their password with the link."


def user_invite(
    email: str,
    org: Annotated[str, typer.Option(help="The organization's domain (it must exist: `consentry org add`).")],
    role: Annotated[str, typer.Option(help="user (member) or admin (organization administrator).")] = "user",
    show_link: Annotated[
        bool, typer.Option("--show-link", help="Print the invitation link instead of mailing it.")
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    with unit_of_work(json_) as (session, settings, hasher):
        sent = invitations.invite(
            session,
            Links(hasher),
            hasher,
            inviter=None,
            email=email,
            org_domain=org,
            role=role,
            ttl=settings.invitation_ttl,
            issuer=settings.issuer_url,
            signup=settings.signup,
            mail=not show_link,
        )
        out: dict[str, object] = {
            "email": sent.email,
            "org": sent.org_domain,
            "role": sent.role,
            "expires_at": sent.expires_at,
            "mailed": not show_link,
        }
        if show_link:
            out["link"] = link(settings.issuer_url, "/invite/accept", token=sent.token)
    emit(out, json_)
