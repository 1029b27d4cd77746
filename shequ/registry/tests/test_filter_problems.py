"""A wrong filter is said, with its field, above the list it was left out of; an export is not written from wrong
filters (it would hold more than the list meant)."""

import pytest
from django.urls import reverse

from conftest import english
from shequ.audit.models import AuditEvent

from .helpers import person, register


@pytest.fixture
def family(world, worker):
    return register(worker, world.a, [person("赵一"), person("钱二", relation="spouse")])


def notice(page):
    return page.split("data-filter-problems>")[1].split("</p>")[0] if "data-filter-problems" in page else ""


def test_a_wrong_filter_is_said_and_left_out(family, worker, login):
    client = login(worker)
    page = client.get(reverse("registry:residents"), {"age_min": "200", "sex": "F"}).content.decode()
    assert notice(page).startswith("筛选条件有误，已忽略：年龄从：") and "150" in notice(page)
    assert "共 0 人" in page  # the sex filter, which is right, still applies
    page = client.get(reverse("registry:residents"), {"age_min": "80", "age_max": "60"}).content.decode()
    assert notice(page) == "筛选条件有误，已忽略：年龄从：不能大于“到”的年龄"
    assert "data-filter-problems" not in client.get(reverse("registry:residents"), {"age_min": "30"}).content.decode()
    page = client.get(reverse("registry:households"), {"status": "gone"}).content.decode()
    assert notice(page).startswith("筛选条件有误，已忽略：状态：") and "共 1 户" in page


def test_the_notice_speaks_english(family, worker, login):
    page = english(login(worker)).get(reverse("registry:residents"), {"age_min": "80", "age_max": "60"}).content.decode()
    assert notice(page) == "Some filters are wrong and were left out: Age from: cannot be above the age &quot;to&quot;"


def test_no_export_from_wrong_filters(family, worker, login):
    client = login(worker)
    for url in ("registry:export_residents", "registry:export_roster"):
        response = client.get(reverse(url), {"age_min": "abc"}, follow=True)
        assert "筛选条件有误，未导出：年龄从：" in response.content.decode()
    assert not AuditEvent.objects.filter(verb="export").exists()
