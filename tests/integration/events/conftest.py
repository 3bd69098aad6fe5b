"""Fixtures for the security-event tests: a server allowed to push to loopback (the receivers run
there), a project with a client, and a user who granted it ``email``; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consentry.settings import Settings
from tests.conftest import ISSUER
from tests.integration.events.helpers import World, make_world
from tests.support.databases import SECRET
from tests.support.seed import Seeder


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The suite's settings, plus CONSENTRY_FETCH_ALLOW_PRIVATE: the test receivers are on 127.0.0.1."""
    return Settings(
        database_url=database_url,
        issuer=ISSUER,
        secret_key=SECRET,
        environment="test",
        janitor_interval=0,
        mail_interval=0,
        fetch_allow_private=True,
    )


@pytest.fixture
def world(seed: Seeder) -> Iterator[World]:
    yield make_world(seed)
