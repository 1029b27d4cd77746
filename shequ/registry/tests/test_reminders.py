"""居住登记 due filter (floating residents whose registration expired or expires within 30 days) and the home
page's registry reminders, each a count of a list filter with its link."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from shequ.accounts.models import Role
from shequ.registry import selectors, services

from .helpers import person, register

TODAY = date.today()



def floating(name, expires_on):
    return person(name, residence_status="floating", floating_registered_on=expires_on - timedelta(days=1095),
                  floating_expires_on=expires_on)


@pytest.fixture
def residents(world, worker):
    """One floating resident whose registration expired, one due in ten days, one due in 100 days, one local
    aged 85 living alone, in 甲社区; and an expired one in 乙社区."""
    register(worker, world.a, [floating("过期甲", TODAY - timedelta(days=1)), floating("将到期", TODAY + timedelta(days=10)),
                               floating("未到期", TODAY + timedelta(days=100))])
    old = register(worker, world.a, [person("李老", born=date(TODAY.year - 85, 1, 1))], room="102")
    services.resident_tag_add(actor=worker, resident=old.members.get(), kind="living_alone")
    other = world.user(Role.COMMUNITY_WORKER, community=world.b)
    register(other, world.b, [floating("过期乙", TODAY - timedelta(days=30))])


def names(actor, **filters):
    return {r.name for r in selectors.resident_list(actor, **filters).items}


def test_the_due_filter_finds_expired_and_soon_registrations(residents, worker):
    assert names(worker, registration_due="expired") == {"过期甲"}
    assert names(worker, registration_due="soon") == {"将到期"}
    assert names(worker, registration_due="soon", q="将") == {"将到期"}
    assert names(worker, registration_due="soon", q="未") == set()


def test_a_registration_that_is_no_longer_floating_is_not_due(residents, worker):
    resident = selectors.resident_list(worker, registration_due="expired").items[0]
    services.resident_correct(actor=worker, resident=selectors.resident_get(worker, resident.id),
                              data={"residence_status": "local"}, reason="已落户")
    assert names(worker, registration_due="expired") == set()


def test_the_list_page_and_the_api_filter_by_due(residents, worker, login):
    client = login(worker)
    page = client.get(reverse("registry:residents"), {"registration_due": "expired"}).content.decode()
    assert "过期甲" in page and "将到期" not in page and "过期乙" not in page
    assert 'name="registration_due"' in page
    body = client.get("/api/v1/registry/residents", {"registration_due": "soon"}).json()
    assert [row["name"] for row in body["items"]] == ["将到期"]
    assert client.get("/api/v1/registry/residents", {"registration_due": "someday"}).status_code in (400, 422)


def test_the_home_page_shows_reminders_with_their_links(residents, worker, login, django_assert_max_num_queries):
    client = login(worker)
    with django_assert_max_num_queries(13):  # 8 for the shell and the places summary, one capped count a reminder
        page = client.get("/").content.decode()
    assert 'data-panel="registry_reminders"' in page and "功能上线后" not in page
    expected = {"registration_expired": ("registration_due=expired", "1"),
                "registration_soon": ("registration_due=soon", "1"), "age_80": ("age_min=80", "1"),
                "living_alone": ("tag=living_alone", "1"), "empty_nest": ("tag=empty_nest", "0")}
    for key, (query, count) in expected.items():
        link = page.split(f'data-reminder="{key}"')[0].rsplit("<a ", 1)[1]
        assert f'href="/registry/?{query}"' in link
        assert f'<span class="num">{count}</span>' in page.split(f'data-reminder="{key}"')[1][:40]


def test_the_street_sees_its_communities_reminders(residents, world, login):
    page = login(world.user(Role.STREET_ADMIN)).get("/").content.decode()
    assert '<span class="num">2</span>' in page.split('data-reminder="registration_expired"')[1][:40]


def test_roles_without_the_registry_have_no_reminders(residents, world, login):
    page = login(world.user(Role.SUPERVISOR)).get("/").content.decode()
    assert "registry_reminders" not in page


def test_the_reminders_speak_english_when_asked(residents, worker, login):
    client = login(worker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/").content.decode()
    assert "Registry reminders" in page and "Residence permit expired" in page and "居住登记已过期" not in page
