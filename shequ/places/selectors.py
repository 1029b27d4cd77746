from django.db.models import Count

from shequ.accounts.models import Role
from shequ.core.errors import NotFound
from shequ.core.scoping import scope_filter

from .kinds import KINDS
from .models import Building, Community, Estate, Grid, ResidentGroup, Street
from .permissions import reader_scope


def place_list(actor, kind, *, community_id=None, parent_id=None):
    spec = KINDS[kind]
    scope = reader_scope(actor)
    places = spec.model.objects.select_related(*spec.related)
    field = "id" if kind == "community" else "community_id"
    places = scope_filter(places, scope, community_field=field)
    if community_id is not None:
        places = places.filter(**{field: community_id})
    if parent_id is not None and spec.parent:
        places = places.filter(**{f"{spec.parent}_id": parent_id})
    return places


def place_get(actor, kind, place_id):
    place = place_list(actor, kind).filter(id=place_id).first()
    if place is None:
        raise NotFound(f"未找到该{KINDS[kind].label}")
    return place


def community_list(actor):
    return place_list(actor, "community").annotate(
        grid_count=Count("grid", distinct=True), estate_count=Count("estate", distinct=True)
    )


def community_overview(actor, community_id):
    """The community with its groups, grids and estates, each estate with its building count."""
    community = place_get(actor, "community", community_id)
    return {
        "community": community,
        "groups": list(ResidentGroup.objects.filter(community=community)),
        "grids": list(Grid.objects.filter(community=community).annotate(building_count=Count("buildings"))),
        "estates": list(Estate.objects.filter(community=community).annotate(building_count=Count("buildings"))),
    }


def estate_overview(actor, estate_id):
    estate = place_get(actor, "estate", estate_id)
    buildings = (
        Building.objects.filter(estate=estate)
        .select_related("grid", "resident_group")
        .prefetch_related("entrances")
    )
    return {"estate": estate, "community": estate.community, "buildings": list(buildings)}


def street_choices(actor):
    return Street.objects.filter(id__in=reader_scope(actor).street_ids)


def place_summary(actor, membership):
    """Figures for the home page of one membership: the places it covers."""
    if membership.role == Role.STREET_ADMIN:
        communities = Community.objects.filter(street_id=membership.street_id)
    else:
        communities = Community.objects.filter(id=membership.community_id)
    communities = list(communities.select_related("street").order_by("code"))
    ids = [c.id for c in communities]
    grids = Grid.objects.filter(community_id__in=ids)
    if membership.role == Role.GRID_WORKER:
        grids = grids.filter(id=membership.grid_id)
    return {
        "communities": communities,
        "household_total": sum(c.household_count for c in communities),
        "grid_count": grids.count(),
        "estate_count": Estate.objects.filter(community_id__in=ids).count(),
        "building_count": Building.objects.filter(
            community_id__in=ids, **({"grid_id": membership.grid_id} if membership.grid_id else {})
        ).count(),
        "grid": membership.grid,
    }
