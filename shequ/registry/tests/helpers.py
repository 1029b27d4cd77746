"""Building households through the real services, for the registry's tests."""

import re
from datetime import date

from shequ.core.identity import make_id_number
from shequ.registry import services

_sequence = iter(range(1, 10_000))


def person(name, *, born=date(1980, 1, 1), male=True, phone=None, **extra):
    number = make_id_number("110105", born, next(_sequence) % 500, male)
    return {"name": name, "id_number": number, **({"phone": phone} if phone else {}), **extra}


def register(actor, community, members, *, room="101", **extra):
    return services.household_register(
        actor=actor, estate=community.estate, building=community.building, entrance=community.entrance,
        room=room, members=members, **extra,
    )


def register_data(community, members, **household):
    """The POST of 登记新户: the household fields and a members formset."""
    data = {
        "estate": community.estate.id, "building": community.building.id, "entrance": community.entrance.id,
        "room": "302", "household_type": "resident", "housing": "owned", "phone": "",
        "members-TOTAL_FORMS": str(len(members)), "members-INITIAL_FORMS": "1",
        "members-MIN_NUM_FORMS": "1", "members-MAX_NUM_FORMS": "1000",
    } | household
    for index, member in enumerate(members):
        for field, value in ({"ethnicity": "汉族"} | member).items():
            data[f"members-{index}-{field}"] = value
    return data


CHINESE = re.compile(r"[\u3400-\u9fff]")


