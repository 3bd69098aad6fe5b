"""Adding a passkey or security key to a signed-in account (WebAuthn registration, ACCT-3).

The key is asked to be discoverable ("preferred"), so it can later sign in on its own, without an
e-mail address typed first; a key that cannot store it still works as a second step. The user
handle given to the key is the account's ``sub``: stable, opaque, never the row id or e-mail.
Attestation is "none": who made the key is not our business, only that it holds the private key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from webauthn import generate_registration_options, verify_registration_response
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_registration_credential_json
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from consentry.domain import audit
from consentry.domain.accounts.passkeys import (
    MAX_PASSKEYS,
    PasskeyInfo,
    RelyingParty,
    clean_name,
    info_of,
)
from consentry.domain.accounts.passkeys_ceremony import (
    TIMEOUT_MS,
    TRANSPORTS,
    Ceremony,
    PasskeyError,
    as_answer,
    describe,
    expired,
    invalid,
    new_challenge,
    options_dict,
)
from consentry.domain.accounts.steps import SigninSteps, StepPurpose
from consentry.domain.accounts.two_step_mail import PASSKEYS, security_notice
from consentry.domain.audit.tags import AuditTag, Channel
from consentry.errors import LimitReached
from consentry.storage.tables import Passkey, User


def _descriptor(row: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(row.credential_id))


def enrol_options(
    session: Session, steps: SigninSteps, session_hash: str, rp: RelyingParty, user: User
) -> Ceremony:
    """Options for ``navigator.credentials.create``; the challenge waits in a PASSKEY_ENROLL step."""
    existing = list(session.scalars(select(Passkey).where(Passkey.user_id == user.id)))
    if len(existing) >= MAX_PASSKEYS:
        raise LimitReached(f"An account holds at most {MAX_PASSKEYS} passkeys: remove one you no longer use.")
    challenge = new_challenge()
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user.email,
        user_id=user.sub.encode(),
        user_display_name=user.name or user.email,
        challenge=base64url_to_bytes(challenge),
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        # The browser refuses a key that already holds a credential for this account.
        exclude_credentials=[_descriptor(r) for r in existing],
    )
    step = steps.begin(
        session, session_hash, StepPurpose.PASSKEY_ENROLL, user_id=user.id, challenge=challenge
    )
    return Ceremony(step, options_dict(options))


def enrol_finish(
    session: Session,
    steps: SigninSteps,
    session_hash: str,
    rp: RelyingParty,
    user: User,
    *,
    step_id: str,
    credential: Any,
    name: str,
    issuer: str,
    device: str = "",
    channel: Channel = Channel.WEB,
) -> PasskeyInfo:
    """Check the browser's attestation against the step's challenge (used up first) and store the key.

    Refused: an expired, replayed or other browser's step (``passkey_expired``), an answer that does
    not verify (``passkey_invalid``), a key already registered (``passkey_exists``).
    """
    key_name = clean_name(name)
    step = steps.take(session, session_hash, step_id, StepPurpose.PASSKEY_ENROLL)
    if step is None or step.user_id != user.id or not step.challenge:
        raise expired()
    answer = as_answer(credential)
    try:
        parsed = parse_registration_credential_json(answer)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(step.challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except Exception as exc:
        raise invalid(describe(exc)) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if len(credential_id) > 1400:
        raise invalid("the credential id is too long.")
    if session.scalar(select(func.count()).where(Passkey.credential_id == credential_id)):
        raise PasskeyError("passkey_exists", "This passkey is already registered. Use it to sign in.", 409)
    transports = [str(t.value) for t in parsed.response.transports or [] if str(t.value) in TRANSPORTS]
    row = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(sorted(set(transports)))[:200],
        name=key_name,
        user_verified=verified.user_verified,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        AuditTag.USER_PASSKEY_ADD,
        actor=user.email,
        data={"user_id": user.id, "passkey": row.id, "name": key_name, "user_verified": row.user_verified},
        channel=channel,
    )
    where = f"\nFrom: {device}\n" if device else ""
    text = f"A passkey named “{key_name}” was added to your account. It can now be used to sign in.\n" + where
    security_notice(
        session,
        user,
        AuditTag.USER_PASSKEY_ADD,
        f"Passkey “{key_name}” added",
        text,
        issuer=issuer,
        operator=rp.name,
        review=PASSKEYS,
    )
    return info_of(row)
