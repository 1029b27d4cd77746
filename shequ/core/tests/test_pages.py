"""The page shell: every role lands on its own home page, users with several memberships switch between
them, and anonymous visitors are sent to the login page."""

import re

import pytest
from django.test import Client

from shequ.accounts.models import Membership, Role

HOME_TITLES = {
    Role.STREET_ADMIN: "街道工作台",
    Role.COMMUNITY_HEAD: "社区工作台",
    Role.COMMUNITY_WORKER: "社工工作台",
    Role.GRID_WORKER: "网格工作台",
    Role.SUPERVISOR: "居务监督工作台",
    Role.RESIDENT: "居民服务",
    Role.VOLUNTEER: "志愿服务",
}


def home_role(response):
    """The role named by the home page's heading, or None when the page has no role heading."""
    found = re.findall(r'data-home="([a-z_]+)"', response.content.decode())
    assert len(found) <= 1, found
    return found[0] if found else None


def page_title(response):
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


def test_every_role_has_a_home_title():
    assert set(HOME_TITLES) == set(Role)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_own_home(world, login, role):
    response = login(world.user(role)).get("/")

    assert response.status_code == 200
    assert home_role(response) == role.value
    assert page_title(response) == f"{HOME_TITLES[role]} · Shequ"
    heading = re.search(r'<h1 data-home="[a-z_]+">(.*?)</h1>', response.content.decode()).group(1)
    assert heading.startswith(HOME_TITLES[role])


def test_home_shows_the_scope_of_the_membership(world, login):
    body = login(world.user(Role.GRID_WORKER, community=world.b)).get("/").content.decode()
    assert f"网格工作台 · {world.b.grid.name}" in body

    other = Client()
    other.force_login(world.user(Role.COMMUNITY_HEAD, community=world.b))
    body = other.get("/").content.decode()
    assert f"社区工作台 · {world.b.name}" in body
    assert world.a.name not in body


def test_street_home_lists_every_community_of_the_street(world, login):
    body = login(world.user(Role.STREET_ADMIN)).get("/").content.decode()
    assert world.a.name in body
    assert world.b.name in body


def test_user_without_membership_gets_the_plain_home(world, login):
    user = world.user(Role.RESIDENT)
    user.memberships.update(is_active=False)

    response = login(user).get("/")

    assert response.status_code == 200
    assert home_role(response) is None
    assert "尚未分配角色" in response.content.decode()


def test_anonymous_home_redirects_to_login(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_user_with_two_memberships_starts_on_the_widest_and_can_switch(world, login):
    user = world.user(Role.RESIDENT, community=world.b)
    head = Membership.objects.create(user=user, role=Role.COMMUNITY_HEAD, community=world.a)
    resident = user.memberships.get(role=Role.RESIDENT)
    client = login(user)

    first = client.get("/")
    assert home_role(first) == Role.COMMUNITY_HEAD
    assert "切换身份" in first.content.decode()

    switched = client.post("/accounts/switch/", {"membership": resident.id})
    assert switched.status_code == 302
    assert switched["Location"] == "/"
    response = client.get("/")
    assert home_role(response) == Role.RESIDENT
    assert page_title(response) == "居民服务 · Shequ"
    assert f"居民服务 · {world.b.name}" in response.content.decode()

    client.post("/accounts/switch/", {"membership": head.id})
    assert home_role(client.get("/")) == Role.COMMUNITY_HEAD


def test_switch_ignores_a_membership_of_someone_else(world, login):
    user = world.user(Role.COMMUNITY_WORKER)
    Membership.objects.create(user=user, role=Role.VOLUNTEER, community=world.a)
    stranger = world.user(Role.STREET_ADMIN)
    client = login(user)

    client.post("/accounts/switch/", {"membership": stranger.memberships.get().id})

    assert home_role(client.get("/")) == Role.COMMUNITY_WORKER


@pytest.mark.parametrize("value", ["", "abc", "99999999"])
def test_switch_with_a_bad_value_keeps_the_current_membership(world, login, value):
    user = world.user(Role.COMMUNITY_WORKER)
    Membership.objects.create(user=user, role=Role.VOLUNTEER, community=world.a)
    client = login(user)

    response = client.post("/accounts/switch/", {"membership": value})

    assert response.status_code == 302
    assert home_role(client.get("/")) == Role.COMMUNITY_WORKER


def test_switch_needs_login_and_post(world, login):
    anonymous = Client().post("/accounts/switch/", {"membership": 1})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")

    assert login(world.user(Role.COMMUNITY_WORKER)).get("/accounts/switch/").status_code == 405


def test_a_deactivated_membership_no_longer_opens_its_home(world, login):
    user = world.user(Role.RESIDENT)
    head = Membership.objects.create(user=user, role=Role.COMMUNITY_HEAD, community=world.a)
    client = login(user)
    client.post("/accounts/switch/", {"membership": head.id})
    Membership.objects.filter(id=head.id).update(is_active=False)

    assert home_role(client.get("/")) == Role.RESIDENT


def test_navigation_shows_only_modules_the_role_may_open(world, login):
    head_page = login(world.user(Role.COMMUNITY_HEAD)).get("/").content.decode()
    assert 'href="/places/"' in head_page
    assert 'href="/audit/"' in head_page
    assert 'href="/accounts/tokens/"' in head_page

    resident = Client()
    resident.force_login(world.user(Role.RESIDENT))
    resident_page = resident.get("/").content.decode()
    assert 'href="/places/"' not in resident_page
    assert 'href="/audit/"' not in resident_page
    assert 'href="/accounts/tokens/"' not in resident_page


def test_missing_page_and_forbidden_page_are_chinese(world, login):
    client = login(world.user(Role.RESIDENT))

    # Residents may not open places at all: refused before any lookup, so a missing id is 403 too.
    assert client.get("/places/communities/999999/").status_code == 403

    forbidden = client.get("/audit/")
    assert forbidden.status_code == 403
    assert "您没有访问此页面的权限" in forbidden.content.decode()

    worker = Client()
    worker.force_login(world.user(Role.COMMUNITY_WORKER))
    not_found = worker.get("/places/communities/999999/")
    assert not_found.status_code == 404
    assert "未找到该页面或记录" in not_found.content.decode()


# The shell and the places summary, then the registry's five reminders, one capped count each.
@pytest.mark.parametrize("role, bound", [(Role.STREET_ADMIN, 9 + 5), (Role.COMMUNITY_HEAD, 8 + 5)])
def test_home_page_queries_do_not_grow_with_places(world, role, bound, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shequ.places.models import Building, Community, Estate, Grid

    client = Client()
    client.force_login(world.user(role))
    counts = []
    for rows in (2, 20):
        for index in range(Community.objects.count(), rows):
            community = Community.objects.create(street=world.street, name=f"社区{index}",
                                                 code=f"110199001{index + 100:03d}", household_count=index * 60)
            Grid.objects.create(community=community, code="01", name="第1网格")
        for index in range(Estate.objects.filter(community=world.a).count(), rows):
            estate = Estate.objects.create(community=world.a, name=f"小区{index}")
            Building.objects.create(community=world.a, estate=estate, number="1", grid=world.a.grid)
        with django_assert_max_num_queries(bound), CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
