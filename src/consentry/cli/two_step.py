"""``consentry user reset-2sv EMAIL`` and ``consentry org require-2sv DOMAIN on|off`` (ACCT-3).

Registered on the ``user`` and ``org`` apps of cli/accounts.py; the CLI only parses and prints,
domain/accounts/two_step_admin.py does the work.
"""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer

from consentry.cli.context import unit_of_work
from consentry.cli.output import emit
from consentry.domain.accounts.two_step_admin import require_two_step, reset_two_step

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
#: Who the audit log names for a change made here.
ACTOR = "cli"


class OnOff(StrEnum):
    ON = "on"
    OFF = "off"


def user_reset_2sv(email: str, json_: JsonOpt = False) -> None:
    """Remove the user's authenticator app, recovery codes, passkeys and app passwords; sign them
    out everywhere.

    For someone who lost every second step: check who is asking before running it.
    """
    with unit_of_work(json_) as (session, settings, _h):
        out = asdict(
            reset_two_step(
                session, email, actor=ACTOR, issuer=settings.issuer_url, operator=settings.operator_name
            )
        )
    emit(out, json_)


def org_require_2sv(domain: str, state: OnOff, json_: JsonOpt = False) -> None:
    """Require two-step verification of the organization's members (on), or stop requiring it (off).

    Members without a second step set up an authenticator app at their next sign-in. Turning it on
    signs members out of browser sessions signed in with the password alone (``sessions_ended``).
    """
    with unit_of_work(json_) as (session, _s, _h):
        out = asdict(require_two_step(session, domain, state is OnOff.ON, actor=ACTOR))
    emit(out, json_)


def register(user_app: typer.Typer, org_app: typer.Typer) -> None:
    """Add the commands to ``consentry user`` and ``consentry org``."""
    user_app.command("reset-2sv", help="Remove a user's two-step verification (operator recovery).")(
        user_reset_2sv
    )
    org_app.command("require-2sv", help="Require two-step verification of an organization's members.")(
        org_require_2sv
    )
