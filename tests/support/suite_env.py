"""Settings every process of the test suite shares, the servers and CLI commands it starts included.

Password hashing at the production cost (argon2id, 3 passes over 64 MiB, ~0.1 s) was 40% of the
time of the sign-in tests; the suite hashes at the ``fast`` cost, which production refuses
(settings.py). Tests that clear ``CONSENTRY_*`` for a child process add these back.
"""

from __future__ import annotations

import os

SUITE = {"CONSENTRY_PASSWORD_HASH_COST": "fast"}


def without_consentry_settings() -> dict[str, str]:
    """This process's environment minus every ``CONSENTRY_*`` setting but the suite's own."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("CONSENTRY_")}, **SUITE}
