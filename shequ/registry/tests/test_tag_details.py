"""A care tag's details: chosen from the certificate's list or typed as dates where they are, shown with their
labels on the card, and a period that has ended flagged."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from shequ.registry import services
from shequ.registry.models import ResidentTag

from .helpers import person, register


@pytest.fixture
def resident(world, worker):
    return register(worker, world.a, [person("赵一")]).members.get()


def test_the_form_offers_lists_and_dates(resident, worker, login):
    client = login(worker)
    fields = client.get(reverse("registry:tag_fields"), {"source": "kind", "kind": "disabled"}).content.decode()
    assert '<select id="id_detail-category"' in fields and ">智力残疾</option>" in fields and ">四级</option>" in fields
    dates = client.get(reverse("registry:tag_fields"), {"source": "kind", "kind": "dibao"}).content.decode()
    assert 'name="detail-end" value="" maxlength="200" type="date"' in dates


def test_a_value_off_the_list_or_not_a_date_is_refused(resident, worker, login):
    client = login(worker)
    url = reverse("registry:resident_tag_add", args=[resident.id])
    page = client.post(url, {"tag-kind": "disabled", "tag-detail-category": "很重"}).content.decode()
    assert "残疾类别：请从列表中选择" in page
    page = client.post(url, {"tag-kind": "dibao", "tag-detail-end": "明年"}).content.decode()
    assert "截止日期：请填写日期，如 2026-01-31" in page and not ResidentTag.objects.exists()


def test_the_card_labels_the_details_and_flags_an_ended_period(resident, worker, login):
    services.resident_tag_add(actor=worker, resident=resident, kind="disabled",
                              details={"category": "智力残疾", "grade": "三级"})
    ended = (date.today() - timedelta(days=1)).isoformat()
    services.resident_tag_add(actor=worker, resident=resident, kind="dibao", details={"start": "2025-01-01", "end": ended})
    page = login(worker).get(reverse("registry:resident", args=[resident.id])).content.decode()
    assert "残疾类别：智力残疾 · 残疾等级：三级" in page
    dibao = page.split('data-tag="dibao"')[1].split("</div>")[0]
    assert f"截止日期：{ended}" in dibao and "data-tag-expired" in dibao
    assert "data-tag-expired" not in page.split('data-tag="disabled"')[1].split("</div>")[0]
    assert '结束日期 <input type="date" name="ended_on">' in page
