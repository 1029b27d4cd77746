"""seed_demo builds a street that can be demonstrated at once, and can be run again safely."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from shequ.accounts.demo import DEMO_PASSWORD
from shequ.accounts.models import Membership, Role, User
from shequ.places.models import Building, Community, Entrance, Estate, Grid, ResidentGroup, Street


def counts():
    return {model.__name__: model.objects.count()
            for model in (Street, Community, ResidentGroup, Grid, Estate, Building, Entrance, User, Membership)}


@pytest.mark.django_db
def test_seed_demo_builds_a_street_with_every_role_and_is_idempotent():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()

    assert first["Street"] == 1
    assert first["Community"] == 3
    assert set(Community.objects.values_list("street_id", flat=True)) == {Street.objects.get().id}
    assert first["Grid"] == 9 and first["Estate"] == 6 and first["Building"] == 24
    assert {m.role for m in Membership.objects.all()} == set(Role)
    assert "演示数据已就绪" in out.getvalue()
    # Every grid worker's membership carries both the grid and its community.
    for membership in Membership.objects.filter(role=Role.GRID_WORKER).select_related("grid"):
        assert membership.community_id == membership.grid.community_id
    # Buildings belong to the community of their estate, and their grid is of the same community.
    for building in Building.objects.select_related("estate", "grid"):
        assert building.community_id == building.estate.community_id == building.grid.community_id

    call_command("seed_demo", stdout=io.StringIO())

    assert counts() == first


@pytest.mark.django_db
def test_demo_accounts_log_in_with_the_demo_password_and_land_on_their_homes():
    call_command("seed_demo", stdout=io.StringIO())
    expected = {"jd_admin": Role.STREET_ADMIN, "ahl_head": Role.COMMUNITY_HEAD, "ahl_worker": Role.COMMUNITY_WORKER,
                "ahl_grid": Role.GRID_WORKER, "ahl_supervisor": Role.SUPERVISOR, "ahl_resident": Role.RESIDENT,
                "ahl_volunteer": Role.VOLUNTEER}

    for username, role in expected.items():
        user = User.objects.get(username=username)
        assert user.password.startswith("argon2")
        client = Client()
        response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, (username, response.content.decode()[-500:])
        assert f'data-home="{role.value}"' in client.get("/").content.decode()


def test_if_empty_skips_when_users_exist(db, world):
    from io import StringIO

    from django.core.management import call_command

    from shequ.accounts.models import Role
    from shequ.places.models import Community

    world.user(Role.COMMUNITY_HEAD)
    before = Community.objects.count()
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert Community.objects.count() == before
    assert "跳过" in out.getvalue()
