"""How someone signed in, as the ID token says it: ``amr`` (RFC 8176) and ``acr``.

One place decides what each way of signing in is worth, so the sign-in pages, the passkey
ceremony, the authorization flow and the ID token all agree.
"""

from __future__ import annotations

from enum import StrEnum


class Amr(StrEnum):
    """RFC 8176 §2 values this platform uses."""

    PWD = "pwd"  # a password
    OTP = "otp"  # a one-time code: TOTP or a recovery code
    HWK = "hwk"  # a proof of possession of a key held in hardware: a security key or passkey
    USER = "user"  # the authenticator verified the user (PIN or biometrics)
    MFA = "mfa"  # more than one factor


#: One factor (a password, or anything that proves only one thing).
ACR_ONE_FACTOR = "urn:consentry:acr:1"
#: Two factors: a password with a second step, or a passkey that verified its user.
ACR_TWO_FACTORS = "urn:consentry:acr:2"
ACR_VALUES = (ACR_ONE_FACTOR, ACR_TWO_FACTORS)

PASSWORD = (Amr.PWD,)
PASSWORD_AND_CODE = (Amr.PWD, Amr.OTP, Amr.MFA)
PASSWORD_AND_KEY = (Amr.PWD, Amr.HWK, Amr.MFA)
PASSKEY_VERIFIED = (Amr.HWK, Amr.USER, Amr.MFA)


def encode(methods: tuple[Amr, ...] | list[Amr]) -> str:
    """The stored form: RFC 8176 values, space-separated (session_accounts.amr, codes.amr)."""
    return " ".join(m.value for m in methods)


def decode(stored: str | None) -> list[str]:
    """The ID token's ``amr``; rows written before two-step existed were passwords."""
    values = (stored or "").split()
    return values or [Amr.PWD.value]


def acr_of(amr: list[str]) -> str:
    return ACR_TWO_FACTORS if Amr.MFA.value in amr else ACR_ONE_FACTOR


def is_two_step(stored: str | None) -> bool:
    return Amr.MFA.value in decode(stored)
