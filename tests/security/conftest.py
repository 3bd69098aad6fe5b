"""Hypothesis profiles for the fuzzers, and cheap password hashing for the attack suite.

Profiles (``CONSENTRY_FUZZ_PROFILE``): ``ci`` (default) is small and derandomized, so a CI run is
the same run every time and the security suite stays within CI's budget (target: under 90 s on two
cores); ``long`` (``make fuzz``) tries 30 times as many examples, with a fresh random seed each run. The profiles are applied per test (``FUZZ``), never loaded globally, so the
rest of the suite keeps its own Hypothesis settings.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

pytest.register_assert_rewrite(
    "tests.security.support", "tests.security.fuzzing", "tests.security.strategies"
)

_SUPPRESSED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "security-ci",
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SUPPRESSED,
)
settings.register_profile(
    "security-long",
    max_examples=600,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SUPPRESSED,
)

#: The profile every fuzz test runs under (``@FUZZ``, or ``settings(FUZZ, max_examples=...)``).
PROFILE = os.environ.get("CONSENTRY_FUZZ_PROFILE", "ci")
if PROFILE not in ("ci", "long"):
    raise pytest.UsageError(f"CONSENTRY_FUZZ_PROFILE is ci or long, not {PROFILE!r}")
FUZZ = settings.get_profile(f"security-{PROFILE}")
#: How much longer than the CI profile this run is (the OpenAPI fuzzer scales its own budget by it).
SCALE = max(1, FUZZ.max_examples // 20)
