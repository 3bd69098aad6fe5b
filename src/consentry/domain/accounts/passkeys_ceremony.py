"""What every WebAuthn ceremony here shares: the options handed to the browser, the errors said back.

A ceremony is two requests: options (with a fresh random challenge, kept server-side in a sign-in
step bound to this browser, domain/accounts/steps.py) and the browser's signed answer, checked
against that challenge once. The answer is untrusted input from the network: anything unreadable
in it becomes ``passkey_invalid`` with a reason, never an exception further up.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from webauthn.helpers import bytes_to_base64url, generate_challenge

from consentry.domain.accounts.steps import SigninSteps, StepPurpose
from consentry.errors import DomainError

log = logging.getLogger(__name__)

#: How long the browser may take (a hint: the step's own lifetime is what counts).
TIMEOUT_MS = 120_000
#: Transports a browser may name (WebAuthn §5.8.4); anything else is dropped, not stored.
TRANSPORTS = frozenset({"usb", "nfc", "ble", "smart-card", "hybrid", "internal", "cable"})


@dataclass(frozen=True)
class Ceremony:
    """What the page needs to call ``navigator.credentials``: the step to send back, and options."""

    step: str
    options: dict[str, Any]


class PasskeyError(DomainError):
    """A passkey ceremony refused; ``code`` says why, ``message`` what to do."""

    def __init__(self, code: str, message: str, status: int = 400, restart: bool = False) -> None:
        super().__init__(code, message)
        self.status = status
        #: The sign-in must start again from the password (its step is gone).
        self.restart = restart


def expired() -> PasskeyError:
    return PasskeyError(
        "passkey_expired",
        "This passkey request expired or was already used. Try again.",
    )


def invalid(reason: str) -> PasskeyError:
    return PasskeyError("passkey_invalid", f"The passkey's answer was not accepted: {reason}")


def new_challenge() -> str:
    """32 random bytes, base64url (what the step stores and the browser signs)."""
    return bytes_to_base64url(generate_challenge()[:32])


def options_dict(options: Any) -> dict[str, Any]:
    from webauthn import options_to_json

    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def as_answer(credential: Any) -> dict[str, Any]:
    """The browser's credential as a JSON object (a dict, or a string holding one)."""
    if isinstance(credential, str):
        try:
            credential = json.loads(credential)
        except ValueError:
            raise invalid("it is not JSON.") from None
    if not isinstance(credential, dict):
        raise invalid("it is not a credential (a JSON object with id, rawId, type and response).")
    return credential


def describe(exc: Exception) -> str:
    """The library's reason, for the person and the log (it names no secret)."""
    log.info("passkey answer refused: %r", exc)
    text = str(exc).split(" See __cause__")[0].strip().rstrip(".")
    return (text or type(exc).__name__) + "."


def store_challenge(
    session: Session, steps: SigninSteps, session_hash: str, step_id: str, challenge: str
) -> bool:
    """Pin a WebAuthn challenge on a second step the password created; only the latest options
    can then be answered (steps.set_challenge: one conditional UPDATE, this browser's live step)."""
    return steps.set_challenge(session, session_hash, step_id, StepPurpose.SECOND_STEP, challenge)
