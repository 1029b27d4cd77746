"""Fixtures the registry's tests share (the root conftest.py has the street, its communities and its users)."""

import pytest

from shequ.accounts.models import Role


@pytest.fixture
def worker(world):
    """A community worker of community a."""
    return world.user(Role.COMMUNITY_WORKER)
