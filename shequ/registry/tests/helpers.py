"""Building households through the real services, for the registry's tests."""

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
