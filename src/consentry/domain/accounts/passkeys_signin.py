"""Signing in with a passkey: as the only factor, or as the second step after a password (ACCT-3).

First factor: no account is known yet, so the browser offers any discoverable key it holds for us
(``allowCredentials`` empty); the key names its account by the user handle (the ``sub``) and must
verify its user (PIN, biometrics): possession plus verification is two factors, ``hwk user mfa``.
A key that did not verify its user is refused here (it can still be a second step).

Second step: the password made a SECOND_STEP step (domain/accounts/steps.py) holding the account;
the options list that account's keys and pin their challenge on the step; a wrong answer counts as
a wrong code does, and a right one uses the step up: ``pwd hwk mfa``.

Every answer's signature counter must move forward (when the key counts at all): one that goes
back or repeats is a copied key or a replay, and is refused; the update is one conditional UPDATE,
so two processes cannot both accept the same count.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from webauthn import generate_authentication_options, verify_authentication_response
from webauthn.helpers import base64url_to_bytes, parse_authentication_credential_json
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    UserVerificationRequirement,
)

from consentry.domain.accounts.amr import PASSKEY_VERIFIED, PASSWORD_AND_KEY, encode
from consentry.domain.accounts.passkeys import RelyingParty
from consentry.domain.accounts.passkeys_ceremony import (
    TIMEOUT_MS,
    Ceremony,
    PasskeyError,
    as_answer,
    describe,
    expired,
    invalid,
    new_challenge,
    options_dict,
    store_challenge,
)
from consentry.domain.accounts.steps import SigninSteps, StepPurpose
from consentry.storage.tables import Passkey, User
from consentry.storage.tables.base import now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PasskeySignIn:
    """A passkey was accepted: who signs in, how (stored amr), and where the sign-in was going."""

    user: User
    amr: str
    flow: str
    next: str


def _unknown() -> PasskeyError:
    return PasskeyError(
        "passkey_unknown",
        "This passkey is not registered with any account here. Sign in with your password, "
        "or choose another passkey.",
        401,
    )


def _step_expired() -> PasskeyError:
    return PasskeyError(
        "step_expired", "This sign-in expired or was finished already. Enter your password again.", 400, True
    )


def _disabled() -> PasskeyError:
    return PasskeyError("account_disabled", "This account is disabled. Ask your administrator.", 403)


def _cloned() -> PasskeyError:
    return PasskeyError(
        "passkey_cloned",
        "This passkey's signature counter went backwards, which happens when a key was copied. "
        "It was refused: sign in another way, then check the passkeys on your account.",
        401,
    )


def signin_options(
    session: Session, steps: SigninSteps, session_hash: str, rp: RelyingParty, *, flow: str, next_: str
) -> Ceremony:
    """Options for a first-factor sign-in: any of our discoverable keys, user verification required."""
    challenge = new_challenge()
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=base64url_to_bytes(challenge),
        timeout=TIMEOUT_MS,
        allow_credentials=[],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    step = steps.begin(
        session, session_hash, StepPurpose.PASSKEY_SIGNIN, challenge=challenge, flow=flow, next_=next_
    )
    return Ceremony(step, options_dict(options))


def second_step_options(
    session: Session, steps: SigninSteps, session_hash: str, rp: RelyingParty, step_id: str
) -> Ceremony:
    """Options for the second step: the account's own keys; the challenge is pinned on its step."""
    step = steps.read(session, session_hash, step_id, StepPurpose.SECOND_STEP)
    if step is None or step.user_id is None:
        raise _step_expired()
    rows = list(session.scalars(select(Passkey).where(Passkey.user_id == step.user_id).order_by(Passkey.id)))
    if not rows:
        raise PasskeyError("no_passkey", "This account has no passkey or security key. Use another way.")
    challenge = new_challenge()
    if not store_challenge(session, steps, session_hash, step_id, challenge):
        raise _step_expired()
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=base64url_to_bytes(challenge),
        timeout=TIMEOUT_MS,
        allow_credentials=[_descriptor(r) for r in rows],
        # The password was the knowledge factor: possession of the key is what is asked.
        user_verification=UserVerificationRequirement.DISCOURAGED,
    )
    return Ceremony(step_id, options_dict(options))


def _descriptor(row: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for t in row.transports.split(","):
        try:
            transports.append(AuthenticatorTransport(t))
        except ValueError:
            continue
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(row.credential_id), transports=transports or None
    )


def _parse(credential: Any) -> AuthenticationCredential:
    answer = as_answer(credential)
    try:
        return parse_authentication_credential_json(answer)
    except Exception as exc:
        raise invalid(describe(exc)) from None


def _verify(
    rp: RelyingParty, parsed: AuthenticationCredential, row: Passkey, challenge: str
) -> tuple[int, bool]:
    """The signature, challenge, origin and RP id; returns (the key's new counter, user verified)."""
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=row.public_key,
            credential_current_sign_count=0,  # checked below, with a message of its own
        )
    except Exception as exc:
        raise invalid(describe(exc)) from None
    if (verified.new_sign_count or row.sign_count) and verified.new_sign_count <= row.sign_count:
        log.warning("passkey %s: counter %s after %s", row.id, verified.new_sign_count, row.sign_count)
        raise _cloned()
    return verified.new_sign_count, verified.user_verified


def _count(session: Session, row: Passkey, new_count: int) -> None:
    """Record the use: the counter moves forward atomically, or the answer was replayed meanwhile."""
    moves = Passkey.sign_count == 0 if new_count == 0 else Passkey.sign_count < new_count
    done = session.execute(
        update(Passkey)
        .where(Passkey.id == row.id, moves)
        .values(sign_count=new_count, last_used_at=now())
        .execution_options(synchronize_session=False)
    )
    if int(done.rowcount or 0) != 1:  # type: ignore[attr-defined]
        raise _cloned()


def signin_finish(
    session: Session, steps: SigninSteps, session_hash: str, rp: RelyingParty, step_id: str, credential: Any
) -> PasskeySignIn:
    """Check a first-factor answer; the step is used up first, so every answer is tried once."""
    step = steps.take(session, session_hash, step_id, StepPurpose.PASSKEY_SIGNIN)
    if step is None or not step.challenge:
        raise expired()
    parsed = _parse(credential)
    row = session.scalar(select(Passkey).where(Passkey.credential_id == parsed.id[:1400]))
    user = session.get(User, row.user_id) if row is not None else None
    handle = parsed.response.user_handle
    if row is None or user is None or handle is None or not hmac.compare_digest(handle, user.sub.encode()):
        raise _unknown()
    new_count, user_verified = _verify(rp, parsed, row, step.challenge)
    if not user_verified:
        raise PasskeyError(
            "passkey_not_verified",
            "Your passkey did not check that it is you (a PIN, fingerprint or face), so it cannot "
            "sign you in on its own. Sign in with your password, or use a passkey that can.",
            401,
        )
    if user.disabled:
        raise _disabled()
    _count(session, row, new_count)
    return PasskeySignIn(user, encode(PASSKEY_VERIFIED), step.flow, step.next)


def second_step_finish(
    session: Session, steps: SigninSteps, session_hash: str, rp: RelyingParty, step_id: str, credential: Any
) -> PasskeySignIn:
    """Check a second-step answer for the step's account; wrong answers count, a right one ends it."""
    step = steps.read(session, session_hash, step_id, StepPurpose.SECOND_STEP)
    if step is None or step.user_id is None:
        raise _step_expired()
    if not step.challenge:
        raise expired()  # no options were asked for this step (or they were answered already)
    try:
        parsed = _parse(credential)
        row = session.scalar(
            select(Passkey).where(Passkey.credential_id == parsed.id[:1400], Passkey.user_id == step.user_id)
        )
        if row is None:
            raise PasskeyError("passkey_unknown", "This passkey or security key is not on this account.", 401)
        new_count, _uv = _verify(rp, parsed, row, step.challenge)
    except PasskeyError as exc:
        left = steps.wrong(session, step_id)
        exc.restart = left == 0
        if left:
            exc.message += f" {left} {'try' if left == 1 else 'tries'} left."
        else:
            exc.message += " Too many tries: enter your password again."
        raise
    user = session.get(User, step.user_id)
    if user is None or user.disabled:
        raise _disabled()
    if steps.take(session, session_hash, step_id, StepPurpose.SECOND_STEP) is None:
        raise _step_expired()
    _count(session, row, new_count)
    return PasskeySignIn(user, encode(PASSWORD_AND_KEY), step.flow, step.next)
