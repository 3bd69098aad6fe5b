"""Fixtures of the incident tests (SEC-6), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.integration.incidents.world import World, make_world
from tests.support.seed import Seeder


@pytest.fixture
def world(seed: Seeder) -> World:
    return make_world(seed)
