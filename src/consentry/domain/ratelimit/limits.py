"""Every rate limit Consentry applies, as data: one place to read them, documented in operators.md."""

from __future__ import annotations

from dataclasses import dataclass

from consentry.settings import Settings

#: Longest wait backoff ever imposes (an hour), however long an address keeps trying.
BACKOFF_MAX = 3600


@dataclass(frozen=True)
class Limit:
    """At most ``max`` hits per ``window`` seconds for one subject (an address, account or client).

    With ``backoff``, each hit past ``max`` doubles how long the subject waits (2 s, 4 s, 8 s ...,
    at most an hour), so an address that keeps guessing is slowed down further, not just paused.
    """

    name: str
    max: int
    window: int
    backoff: bool = False

    def penalty(self, over: int) -> int:
        """Seconds to wait after the ``over``-th hit past the limit."""
        return int(min(2 ** min(over, 17), BACKOFF_MAX))


@dataclass(frozen=True)
class Limits:
    #: Sign-in attempts per account (from browsers it does not trust) before a CAPTCHA is needed.
    signin_account: Limit
    #: Sign-in attempts per account from one trusted browser before it needs a CAPTCHA too.
    signin_device: Limit
    #: Sign-in attempts per client address; past ``signin_address_captcha`` every one needs a CAPTCHA,
    #: past the limit itself the address waits, with backoff.
    signin_address: Limit
    signin_address_captcha: int
    #: Second-step answers (codes, recovery codes) per account, across sign-ins: a right password
    #: does not give them back, so whoever knows the password cannot guess codes by starting over.
    second_step_account: Limit
    #: /authorize requests that must store flow state (an anonymous visitor sent to sign in).
    authorize_address: Limit
    authorize_client: Limit
    #: Device authorization requests (RFC 8628 3.1): each stores a device code.
    device_address: Limit
    device_client: Limit

    @classmethod
    def from_settings(cls, s: Settings) -> Limits:
        return cls(
            signin_account=Limit("signin.account", s.login_max_failures, s.login_window),
            signin_device=Limit("signin.device", s.login_max_failures, s.login_window),
            signin_address=Limit("signin.address", s.login_address_limit, s.login_window, backoff=True),
            signin_address_captcha=s.login_address_captcha,
            second_step_account=Limit("second_step.account", 2 * s.second_step_attempts, s.login_window),
            authorize_address=Limit("authorize.address", s.flow_address_limit, 60),
            authorize_client=Limit("authorize.client", s.flow_client_limit, 60),
            device_address=Limit("device.address", s.device_address_limit, 600),
            device_client=Limit("device.client", s.device_client_limit, 600),
        )
