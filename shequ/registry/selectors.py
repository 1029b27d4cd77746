from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch

from shequ.audit.models import AuditEvent
from shequ.core.errors import NotFound
from shequ.core.pagination import keyset_page
from shequ.core.scoping import actor_scope, scope_filter
from shequ.places.models import Building, Entrance, Estate

from .choices import SENSITIVE_TAGS, ResidentStatus
from .models import Household, ImportJob, Resident, ResidentTag
from .permissions import IMPORTER_ROLES, can_view_sensitive, reader_scope, writer_scope
from .search import parse_query

PAGE_SIZE = 50
COUNT_CAP = 10_000


@dataclass
class Page:
    items: list
    next_after: int | None
    count_label: str
    query_kind: str


def _years_ago(years, today=None):
    today = today or date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def resident_queryset(actor):
    return scope_filter(Resident.objects.all(), reader_scope(actor), grid_field="grid_id")


def resident_list(actor, *, q="", community_id=None, grid_id=None, group_id=None, building_id=None,
                  sex=None, age_min=None, age_max=None, tag=None, residence_status=None,
                  status=ResidentStatus.PRESENT, after_id=None, limit=PAGE_SIZE, with_count=True):
    """Residents the actor may see, filtered and keyset-paginated by id; the count stops at 10,000+."""
    scope = reader_scope(actor)
    residents = scope_filter(Resident.objects.all(), scope, grid_field="grid_id")
    # The search looks only in the communities the list can show, through indexes that start with them.
    parsed = parse_query(q, community_ids={community_id} if community_id else scope.readable_community_ids)
    filters = {"community_id": community_id, "grid_id": grid_id, "resident_group_id": group_id,
               "building_id": building_id, "sex": sex, "residence_status": residence_status, "status": status}
    residents = residents.filter(*([parsed.q] if parsed.q is not None else []),
                                 **{k: v for k, v in filters.items() if v not in (None, "")})
    if age_min is not None:
        residents = residents.filter(birth_date__lte=_years_ago(age_min))
    if age_max is not None:
        residents = residents.filter(birth_date__gt=_years_ago(age_max + 1))
    if tag:
        if tag in SENSITIVE_TAGS and not (community_id and can_view_sensitive(actor, community_id)):
            residents = residents.none()
        residents = residents.filter(tags__kind=tag, tags__active=True)
    page = residents.filter(id__gt=after_id) if after_id else residents
    # What the list, the API and the export read of each row: the household (number, address) and the grid.
    rows, next_after = keyset_page(page.select_related("household", "grid").order_by("id"), limit)
    if not with_count:
        count_label = ""
    elif after_id is None and next_after is None:
        count_label = _count_label(len(rows))  # the first page holds every match: no COUNT needed
    else:
        count_label = _bounded_count(residents)
    return Page(rows, next_after, count_label, parsed.kind)


def _bounded_count(queryset):
    return _count_label(queryset.order_by()[: COUNT_CAP + 1].count())


def _count_label(count):
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


def resident_get(actor, resident_id):
    resident = (
        resident_queryset(actor)
        .select_related("household__estate", "household__building", "household__entrance", "grid",
                        "resident_group", "community")
        .prefetch_related(Prefetch("tags", queryset=ResidentTag.objects.filter(active=True)))
        .filter(id=resident_id)
        .first()
    )
    if resident is None:
        raise NotFound("未找到该居民")
    return resident


def visible_tags(actor, resident):
    """Tags of a resident the actor may see; sensitive ones only with a sensitive-access grant."""
    allowed = can_view_sensitive(actor, resident.community_id)
    return [t for t in resident.tags.all() if not t.sensitive or allowed]


def household_queryset(actor):
    return scope_filter(Household.objects.all(), reader_scope(actor), grid_field="grid_id")


def household_get(actor, household_id):
    household = (
        household_queryset(actor)
        .select_related("estate", "building", "entrance", "grid", "resident_group", "community")
        .prefetch_related(Prefetch("members", queryset=Resident.objects.order_by("status", "id")))
        .filter(id=household_id)
        .first()
    )
    if household is None:
        raise NotFound("未找到该户")
    return household


def household_list(actor, *, community_id=None, building_id=None, after_id=None, limit=PAGE_SIZE):
    households = household_queryset(actor)
    if community_id:
        households = households.filter(community_id=community_id)
    if building_id:
        households = households.filter(building_id=building_id)
    if after_id:
        households = households.filter(id__gt=after_id)
    return keyset_page(households.select_related("estate", "building", "entrance", "grid").order_by("id"), limit)


def household_find(actor, *, community_id, number):
    """A household the actor may see, by its number within one community (for merge and transfer)."""
    number = (number or "").strip()
    household = household_queryset(actor).filter(community_id=community_id, number=number).first() if number else None
    if household is None:
        message = f"本社区未找到户号“{number}”"
        raise NotFound(message, details={"number": [message]})
    return household


def registrable_buildings(actor, *, estate_id=None, community_id=None):
    """Buildings where the actor may register a household: the community's, or only his grid's."""
    buildings = scope_filter(Building.objects.select_related("estate"), writer_scope(actor), grid_field="grid_id")
    if estate_id:
        buildings = buildings.filter(estate_id=estate_id)
    if community_id:
        buildings = buildings.filter(community_id=community_id)
    return buildings.order_by("estate__name", "number")


def registrable_estates(actor):
    return (Estate.objects.filter(id__in=registrable_buildings(actor).values("estate_id"))
            .select_related("community").order_by("community_id", "name"))


def registrable_entrances(actor, building_id):
    if not building_id:
        return Entrance.objects.none()
    return Entrance.objects.filter(
        building_id=building_id, building__in=registrable_buildings(actor)).order_by("number")


def record_history(actor, target, *, limit=100):
    """Who changed this household or resident, when, and from what: read from the audit trail."""
    return list(
        AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .order_by("-id")[:limit]
    )


def import_job_get(actor, job_id):
    """An import job, if the actor may import into its community (heads and community workers); for
    everyone else "not found", like a missing one."""
    community_ids = actor_scope(actor, roles=IMPORTER_ROLES).community_ids
    job = ImportJob.objects.filter(id=job_id, community_id__in=community_ids).select_related("community").first()
    if job is None:
        raise NotFound("未找到该导入任务")
    return job
