"""Fixtures shared by every app's tests: a small street with two communities and a user per role."""

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.utils import translation

from shequ.accounts.models import Membership, Role, User
from shequ.places.models import Building, Community, District, Entrance, Estate, Grid, ResidentGroup, Street

TEST_PASSWORD = "Test-pass-2026"


def english(client):
    """The client with the language switch on English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture(scope="module")
def english_catalogue():
    """The .mo files are git-ignored and built by `./dev` setup; build them here when a run skipped that or the
    .po changed since (compiletranslations leaves an up-to-date .mo alone)."""
    call_command("compiletranslations")
    # Drop catalogues this process cached before the .mo was (re)built, here or by another test worker.
    translation.trans_real._translations.clear()
    translation.trans_real._active = translation.trans_real.Local()


@pytest.fixture(scope="session")
def password_hash():
    # Argon2 is deliberately slow; hash once per session and share it.
    return make_password(TEST_PASSWORD)


class World:
    """Two communities (a, b) in one street, each with a group, a grid, an estate, a building and an entrance."""

    def __init__(self, password_hash):
        self.password_hash = password_hash
        district = District.objects.create(name="测试区", code="110199")
        self.street = Street.objects.create(district=district, name="测试街道", code="110199001")
        self.a = self._community("110199001001", "甲社区")
        self.b = self._community("110199001002", "乙社区")

    def _community(self, code, name):
        community = Community.objects.create(street=self.street, name=name, code=code)
        community.group = ResidentGroup.objects.create(community=community, number=1, name="第1居民小组")
        community.grid = Grid.objects.create(community=community, code="01", name="第1网格")
        community.estate = Estate.objects.create(community=community, name=f"{name}小区")
        community.building = Building.objects.create(
            community=community, estate=community.estate, number="1", grid=community.grid,
            resident_group=community.group,
        )
        community.entrance = Entrance.objects.create(community=community, building=community.building, number="1")
        return community

    def user(self, role, *, community=None, grid=None, username=None):
        """A user holding one role: street roles over the street, grid roles over `grid`, others `community`."""
        community = community or self.a
        username = username or f"{role}_{community.code[-3:]}"
        user = User.objects.create(username=username, full_name=f"测试{username}", password=self.password_hash)
        if role == Role.STREET_ADMIN:
            scope = {"street": self.street}
        elif role == Role.GRID_WORKER:
            grid = grid or community.grid
            scope = {"grid": grid, "community": grid.community}
        else:
            scope = {"community": community}
        Membership.objects.create(user=user, role=role, **scope)
        return user


@pytest.fixture
def world(db, password_hash):
    return World(password_hash)


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
