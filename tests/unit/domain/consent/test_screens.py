"""Going past the screens before consent: one rule for /authorize, /device and what comes next."""

from consentry.domain.consent.entry import Plan
from consentry.domain.consent.screens import going_past, trusted
from consentry.domain.policy.decision import PROCEED, screen


def test_only_the_server_count_passes_the_unverified_screen() -> None:  # VERIFY-11
    assert trusted({"unverified", "testing"}, counted=False) == {"testing"}
    assert trusted({"unverified", "testing", "made-up"}, counted=True) == {"unverified", "testing"}


def test_only_the_screen_the_gate_asks_for_can_be_passed_and_counted() -> None:  # VERIFY-11
    asks_unverified = Plan(screen("app_unverified", "x", "unverified"), ("cal",))
    step = going_past(asks_unverified, "unverified", counted=False)
    assert step.applies and step.counts
    assert not going_past(asks_unverified, "unverified", counted=True).counts  # counted once, ever
    assert not going_past(asks_unverified, "testing", counted=False).applies
    assert not going_past(Plan(PROCEED, ("cal",)), "unverified", counted=False).applies
