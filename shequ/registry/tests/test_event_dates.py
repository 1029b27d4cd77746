"""Dates of what happened (moving in, out and back, a floating registration) cannot be after today, and a move out
cannot be before the move in: refused with the field named, and nothing changes."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from shequ.core.errors import ApplicationError
from shequ.registry import services
from shequ.registry.models import Resident
from shequ.registry.validation import validate_person

from .helpers import person, register

TOMORROW = date.today() + timedelta(days=1)



@pytest.fixture
def resident(world, worker):
    household = register(worker, world.a, [person("张一", moved_in_on=date(2020, 5, 1))])
    return household.members.get()


def test_a_move_out_is_not_dated_ahead_or_before_the_move_in(resident, worker):
    with pytest.raises(ApplicationError, match="迁出日期不正确") as error:
        services.resident_move_out(actor=worker, resident=resident, on=TOMORROW)
    assert error.value.details == {"on": ["不能晚于今天"]}
    with pytest.raises(ApplicationError) as error:
        services.resident_move_out(actor=worker, resident=resident, on=date(2019, 1, 1))
    assert error.value.details == {"on": ["不能早于2020-05-01"]}
    assert Resident.objects.get(id=resident.id).status == "present"


def test_a_move_back_is_not_dated_ahead(resident, worker):
    services.resident_move_out(actor=worker, resident=resident, on=date(2026, 1, 1))
    with pytest.raises(ApplicationError, match="迁回日期不正确"):
        services.resident_move_back(actor=worker, resident=Resident.objects.get(id=resident.id), on=TOMORROW)
    assert Resident.objects.get(id=resident.id).status == "moved_out"


def test_a_person_is_not_recorded_as_moving_in_or_registering_ahead():
    values, errors = validate_person(person("李二", moved_in_on=TOMORROW, floating_registered_on=TOMORROW,
                                            floating_expires_on=TOMORROW + timedelta(days=365)))
    assert errors == {"moved_in_on": "不能晚于今天", "floating_registered_on": "不能晚于今天"}
    assert values["floating_expires_on"] == TOMORROW + timedelta(days=365)  # an expiry is ahead


def test_the_page_names_the_date(resident, worker, login):
    page = login(worker).post(reverse("registry:resident_move_out", args=[resident.id]),
                              {"move_out-on": TOMORROW.isoformat()}).content.decode()
    assert "不能晚于今天" in page and Resident.objects.get(id=resident.id).status == "present"
