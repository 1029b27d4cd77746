"""Demo residents: about 600 households (some 1,600 people) in each demo community, spread over its
buildings and entrances, from fake.py through the bulk path. Communities that already have households
are left alone, so seed_demo can be run again."""

import random
from itertools import islice

from shequ.core.database import refresh_planner_statistics
from shequ.places.models import Entrance

from .bulk import bulk_register
from .fake import households, room_numbers
from .models import SEARCHED_MODELS, Household

SEED = 2026
HOUSEHOLDS_PER_COMMUNITY = 600


def seed(communities, actor=None):
    """Returns {community name: households added} (0 for a community that already had households)."""
    # One stream for all communities, cut in the same places every time, so each community always gets
    # the same people and no ID number repeats across communities.
    stream = households(seed=SEED)
    added = {}
    for community in communities:
        chunk = list(islice(stream, HOUSEHOLDS_PER_COMMUNITY))
        if Household.objects.filter(community=community).exists():
            added[community.name] = 0
            continue
        places = flats(community, len(chunk))
        if not places:
            added[community.name] = 0
            continue
        rows = [household | place for household, place in zip(chunk, places, strict=False)]
        added[community.name] = bulk_register(community, rows, actor=actor)["households"]
    if any(added.values()):
        refresh_planner_statistics(*SEARCHED_MODELS)
    return added


def flats(community, count):
    """`count` flats (dicts of estate, building, entrance and room, to merge into household dicts), chosen
    at random (but always the same) among the community's entrances, rooms 101, 102, … to the top floor."""
    entrances = list(Entrance.objects.filter(community=community).select_related("building__estate")
                     .order_by("building__estate__name", "building__number", "number"))
    if not entrances:
        return []
    floors = sum(e.building.floors or 6 for e in entrances)
    per_floor = max(2, -(-count // floors))  # enough doors a floor to house everyone
    doors = [{"estate": e.building.estate, "building": e.building, "entrance": e, "room": room}
             for e in entrances for room in room_numbers(e.building.floors or 6, per_floor)]
    chosen = sorted(random.Random(f"{SEED}:{community.code}").sample(range(len(doors)), min(count, len(doors))))
    return [doors[i] for i in chosen]
