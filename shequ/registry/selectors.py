import re
from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import lru_cache
from urllib.parse import urlencode

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import BooleanField, Case, Exists, OuterRef, Prefetch, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext

from shequ.audit.models import AuditEvent
from shequ.core.errors import NotFound
from shequ.core.i18n import gettext_noop
from shequ.core.pagination import keyset_page
from shequ.core.scoping import actor_scope, scope_filter
from shequ.places.models import Building, Entrance, Estate

from .choices import (
    ANY_STATUS,
    REGISTRATION_DUE_DAYS,
    SENSITIVE_TAGS,
    Education,
    Employment,
    HouseholdStatus,
    MaritalStatus,
    PoliticalStatus,
    RegistrationDue,
    Relation,
    ResidenceStatus,
    ResidentStatus,
    Sex,
    TagKind,
)
from .models import ExportJob, Household, ImportJob, Resident, ResidentTag
from .permissions import (
    IMPORTER_ROLES,
    can_view_registry,
    can_view_sensitive,
    reader_scope,
    sensitive_community_ids,
    writer_scope,
)
from .search import and_, parse_household_query, parse_query

PAGE_SIZE = 50
COUNT_CAP = 10_000


def _label(field, choices):
    """get_<field>_display() as on the model: the choice's label, or the stored value if it is not one."""
    labels = dict(choices.choices)

    def display(row):
        value = getattr(row, field)
        return labels.get(value, value)

    return display


@dataclass(slots=True)
class ResidentRow:
    """A resident as the list page, the API list and the export read it: its own columns, its household's
    number and address, its grid's name, as plain values. Making Resident, Household and Grid instances for
    a page took longer than the database took to find it."""

    id: int
    community_id: int
    household_id: int
    grid_id: int | None
    name: str
    name_pinyin: str
    name_initials: str
    sex: str
    birth_date: date
    ethnicity: str
    id_number_masked: str
    phone_masked: str
    relation: str
    residence_status: str
    political_status: str
    education: str
    employment: str
    marital_status: str
    status: str
    moved_in_on: date | None
    moved_out_on: date | None
    died_on: date | None
    notes: str
    id_number_enc: str  # what the export reveals, for a role that may and with a reason
    phone_enc: str
    notes_enc: str
    household_number: str
    household_address: str
    grid_name: str | None
    community_name: str  # for a list of several communities

    get_sex_display = _label("sex", Sex)
    get_relation_display = _label("relation", Relation)
    get_residence_status_display = _label("residence_status", ResidenceStatus)
    get_political_status_display = _label("political_status", PoliticalStatus)
    get_education_display = _label("education", Education)
    get_employment_display = _label("employment", Employment)
    get_marital_status_display = _label("marital_status", MaritalStatus)
    get_status_display = _label("status", ResidentStatus)

    def __repr__(self):  # short, like the model's, and without the encrypted values
        return f"<ResidentRow {self.id}: {self.name}>"


_JOINED = {"household_number": "h.number", "household_address": "h.address", "grid_name": "g.name",
           "community_name": "c.name"}
_ROW_SELECT = (
    f"SELECT {', '.join(_JOINED.get(f.name, f'registry_resident.{f.name}') for f in fields(ResidentRow))} "
    "FROM registry_resident JOIN registry_household h ON h.id = registry_resident.household_id "
    "LEFT JOIN places_grid g ON g.id = registry_resident.grid_id "
    # LEFT, as the grid's: SQLite keeps the residents as the outer loop (read in id order, page by page); joined
    # plainly, it read the street's communities first and sorted all their matches (80+ of a street: 10 → 100 ms).
    "LEFT JOIN places_community c ON c.id = registry_resident.community_id"
)


@dataclass
class Page:
    items: list
    next_after: int | None
    count_label: str
    query_kind: str


def years_ago(years, today=None):
    today = today or date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def resident_queryset(actor):
    return scope_filter(Resident.objects.all(), reader_scope(actor), grid_field="grid_id")


def resident_list(actor, *, q="", community_id=None, grid_id=None, group_id=None, building_id=None,
                  sex=None, age_min=None, age_max=None, tag=None, residence_status=None, registration_due=None,
                  status=ResidentStatus.PRESENT, after_id=None, limit=PAGE_SIZE, with_count=True):
    """Residents the actor may see as ResidentRow, filtered and keyset-paginated by id; the count stops at
    10,000+. The page (and the count) is one statement written from the scope's filter, the parsed search
    and the filters: building and compiling it with the ORM took longer than the database took to run it."""
    where, query_kind = _resident_condition(
        actor, q=q, community_id=community_id, grid_id=grid_id, group_id=group_id, building_id=building_id, sex=sex,
        age_min=age_min, age_max=age_max, tag=tag, residence_status=residence_status,
        registration_due=registration_due, status=status)
    if where is None:
        return Page([], None, _count_label(0) if with_count else "", query_kind)
    rows, next_after = _rows(where, after_id, limit)
    if not with_count:
        count_label = ""
    elif after_id is None and next_after is None:
        count_label = _count_label(len(rows))  # the first page holds every match: no COUNT needed
    else:
        count_label = _count_label(_count(*where))
    return Page(rows, next_after, count_label, query_kind)


def resident_list_queryset(actor, **filters):
    """The residents resident_list lists with these filters, as a queryset (for the roster, which groups them by
    household)."""
    where, _query_kind = _resident_condition(actor, **filters)
    if where is None:
        return Resident.objects.none()
    return Resident.objects.filter(RawSQL(where[0], where[1], output_field=BooleanField()))


def resident_count(actor, *, cap=COUNT_CAP, **filters):
    """How many residents resident_list lists with these filters; with a cap, counting stops past it (cap + 1
    means more), without one it counts them all."""
    where, _query_kind = _resident_condition(actor, **filters)
    return 0 if where is None else _count(*where, cap=cap)


# The home page's reminders: residents a worker follows up, each a filter of the list (counted up to 10,000+).
REMINDERS = [
    ("registration_expired", gettext_noop("居住登记已过期"), {"registration_due": RegistrationDue.EXPIRED}),
    ("registration_soon", gettext_noop("居住登记30天内到期"), {"registration_due": RegistrationDue.SOON}),
    ("age_80", gettext_noop("80岁以上老人"), {"age_min": 80}),
    ("living_alone", gettext_noop("独居"), {"tag": TagKind.LIVING_ALONE}),
    ("empty_nest", gettext_noop("空巢"), {"tag": TagKind.EMPTY_NEST}),
]


def registry_reminders(actor):
    """{"reminders": [{key, label, count (as the list shows it), query (of the list's link)}]}, one capped
    COUNT each."""
    return {"reminders": [
        {"key": key, "label": label, "count": _count_label(resident_count(actor, **filters)),
         "query": urlencode(filters)}
        for key, label, filters in REMINDERS]}


def _resident_condition(actor, *, q="", community_id=None, grid_id=None, group_id=None, building_id=None,
                        sex=None, age_min=None, age_max=None, tag=None, residence_status=None,
                        registration_due=None, status=ResidentStatus.PRESENT):
    """(the SQL condition of the residents listed, or None when there can be none; the kind of search)."""
    scope = reader_scope(actor)
    # The search looks only in the communities the list can show, through indexes that start with them.
    within = {community_id} if community_id else scope.readable_community_ids
    parsed = parse_query(q, community_ids=within)
    in_scope = _scope_condition(scope)
    if tag in SENSITIVE_TAGS:  # looked for only where the actor was granted it; elsewhere it is not there
        within = set(within) & sensitive_community_ids(actor)
    if in_scope is None or not within:
        return None, parsed.kind
    equal = {"community_id": community_id, "grid_id": grid_id, "resident_group_id": group_id,
             "building_id": building_id, "sex": sex, "residence_status": residence_status,
             "status": None if status == ANY_STATUS else status}
    return and_(in_scope, parsed.condition, *_filter_conditions(equal, age_min, age_max, tag, within),
                _registration_due(registration_due)), parsed.kind


def _registration_due(due, today=None):
    """Floating residents whose 居住登记 has expired, or expires within REGISTRATION_DUE_DAYS (the partial
    index on (community, floating_expires_on))."""
    if not due:
        return None
    today = today or date.today()
    floating = ("registry_resident.residence_status = %s", [ResidenceStatus.FLOATING])
    if due == RegistrationDue.EXPIRED:
        return and_(floating, ("registry_resident.floating_expires_on < %s", [_day(today)]))
    return and_(floating, ("registry_resident.floating_expires_on BETWEEN %s AND %s",
                           [_day(today), _day(today + timedelta(days=REGISTRATION_DUE_DAYS))]))


def _filter_conditions(equal, age_min, age_max, tag, within):
    conditions = [(f"registry_resident.{column} = %s", [value]) for column, value in equal.items()
                  if value not in (None, "")]
    if age_min is not None:
        conditions.append(("registry_resident.birth_date <= %s", [_day(years_ago(age_min))]))
    if age_max is not None:
        conditions.append(("registry_resident.birth_date > %s", [_day(years_ago(age_max + 1))]))
    if tag:
        conditions.append(_tagged(tag, within))
    return conditions


def _tagged(tag, community_ids):
    """Residents with an active tag of this kind, looked up in the tags of the communities shown (the
    (community, kind, active) index): a street's 10,000+ count then reads its tags, not every resident
    with a probe of theirs."""
    ids = sorted(community_ids)
    return (f"registry_resident.id IN (SELECT resident_id FROM registry_residenttag WHERE community_id IN "
            f"({', '.join(['%s'] * len(ids))}) AND kind = %s AND active = %s)", [*ids, tag, True])


def _day(value):
    return connection.ops.adapt_datefield_value(value)


def _rows(where, after_id, limit):
    sql, params = and_(where, after_id and ("registry_resident.id > %s", [after_id]))
    with connection.cursor() as cursor:
        cursor.execute(f"{_ROW_SELECT} WHERE {sql} ORDER BY registry_resident.id LIMIT {int(limit) + 1}", params)
        return keyset_page([ResidentRow(*row) for row in cursor.fetchall()], limit)


@lru_cache(maxsize=1024)
def _scope_condition(scope):
    """core.scoping's filter of the residents a scope reaches, as SQL on registry_resident (None for an empty
    scope). Compiled by the ORM once per scope: on every search it cost 0.1 ms for a community and 1 ms for
    a street of 628 communities, as much as the search's own SQL."""
    query = scope_filter(Resident.objects.all(), scope, grid_field="grid_id").query
    try:
        sql, params = query.get_compiler(DEFAULT_DB_ALIAS).compile(query.where)
    except EmptyResultSet:
        return None
    return sql, tuple(params)


def _count(sql, params, *, cap=COUNT_CAP):
    limit = "" if cap is None else f" LIMIT {int(cap) + 1}"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM registry_resident WHERE {sql}{limit}) counted", params)
        return cursor.fetchone()[0]


def _count_label(count):
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


def _active_tags():
    """Each resident's active tags, in the order they were added."""
    return Prefetch("tags", queryset=ResidentTag.objects.filter(active=True).order_by("id"))


def resident_get(actor, resident_id):
    resident = (
        resident_queryset(actor)
        .select_related("household__estate", "household__building", "household__entrance", "grid",
                        "resident_group", "community")
        .prefetch_related(_active_tags())
        .filter(id=resident_id)
        .first()
    )
    if resident is None:
        raise NotFound(gettext("未找到该居民"))
    return resident


def visible_tags(actor, resident):
    """Tags of a resident the actor may see; sensitive ones only with a sensitive-access grant."""
    allowed = can_view_sensitive(actor, resident.community_id)
    return [t for t in resident.tags.all() if not t.sensitive or allowed]


def resident_tag_get(actor, resident, tag_id):
    """One active tag of a resident read with resident_get; a sensitive one without the grant is "not
    found", like a missing one, so that its existence cannot be probed."""
    tag = next((t for t in visible_tags(actor, resident) if t.id == tag_id), None)
    if tag is None:
        raise NotFound(gettext("未找到该标签"))
    return tag


def household_queryset(actor):
    return scope_filter(Household.objects.all(), reader_scope(actor), grid_field="grid_id")


# Members in register first, then those moved out or deceased; the head first in each, then as registered.
_MEMBER_ORDER = (Case(When(status=ResidentStatus.PRESENT, then=Value(0)), default=Value(1)),
                 Case(When(relation=Relation.HEAD, then=Value(0)), default=Value(1)), "id")


def household_get(actor, household_id):
    return _household_get(actor, household_id, members=Resident.objects.order_by(*_MEMBER_ORDER))


def present_members(household):
    """The members in register of a household read with household_get (its prefetched members)."""
    return [m for m in household.members.all() if m.status == ResidentStatus.PRESENT]


def lacks_head(household):
    """Whether a household read with household_get has members in register but no head among them (the head
    moved out or died)."""
    present = present_members(household)
    return bool(present) and not any(m.relation == Relation.HEAD for m in present)


def household_card_get(actor, household_id):
    """A household as its printed card (户卡) reads it: household_get with each member's active tags (which
    visible_tags then narrows to what the actor may see), in three queries whatever the household's size."""
    return _household_get(actor, household_id, members=Resident.objects.order_by(*_MEMBER_ORDER).prefetch_related(
        _active_tags()))


def _household_get(actor, household_id, *, members):
    household = (
        household_queryset(actor)
        .select_related("estate", "building", "entrance", "grid", "resident_group", "community")
        .prefetch_related(Prefetch("members", queryset=members))
        .filter(id=household_id)
        .first()
    )
    if household is None:
        raise NotFound(gettext("未找到该户"))
    return household


def building_households(actor, building):
    """The living households of a building that the actor may see, by entrance and room (rooms compared as
    numbers: 2, 101, 1101), each with its head's name in register (head_name, None for a household without one);
    two queries whatever the building's size. A building of another grid is not found by a grid worker."""
    scope = reader_scope(actor)
    if building.community_id not in scope.community_ids and building.grid_id not in scope.grid_ids:
        raise NotFound(gettext("未找到该楼栋"))
    households = list(_with_head_name(household_queryset(actor).filter(building=building, status=HouseholdStatus.LIVING)
                                      .select_related("entrance")))
    return sorted(households, key=lambda h: (_natural(h.entrance.number if h.entrance else ""), _natural(h.room), h.id))


def _natural(text):
    """A room or entrance number as it sorts in a building: digits as numbers ("2" before "10")."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text or "") if part]


def _with_head_name(households):
    """Each household with its head's name in register (head_name, None for a household without one)."""
    head = Resident.objects.filter(household=OuterRef("pk"), status=ResidentStatus.PRESENT, relation=Relation.HEAD)
    return households.annotate(head_name=Subquery(head.values("name")[:1]))


def household_list(actor, *, q="", community_id=None, grid_id=None, building_id=None, household_type=None,
                   housing=None, status=HouseholdStatus.LIVING, without_head=False, after_id=None, limit=PAGE_SIZE,
                   with_count=True):
    """户列表: the households the actor may see, searched (search.parse_household_query) and filtered (status
    ANY_STATUS: any), each with its grid and head_name; keyset-paginated by id, the count stopping at 10,000+. without_head:
    only households with members in register but no head among them (the head moved out or died)."""
    within = {community_id} if community_id else reader_scope(actor).readable_community_ids
    if not within:
        return Page([], None, _count_label(0) if with_count else "", "none")
    parsed = parse_household_query(q, community_ids=within)
    equal = {"community_id": community_id, "grid_id": grid_id, "building_id": building_id,
             "household_type": household_type, "housing": housing, "status": None if status == ANY_STATUS else status}
    households = household_queryset(actor).filter(**{f: v for f, v in equal.items() if v not in (None, "")})
    if parsed.condition is not None:
        households = households.filter(RawSQL(*parsed.condition, output_field=BooleanField()))
    if without_head:  # member_count counts the members in register
        head = Resident.objects.filter(household=OuterRef("pk"), status=ResidentStatus.PRESENT, relation=Relation.HEAD)
        households = households.filter(member_count__gt=0).exclude(Exists(head))
    page = households.filter(id__gt=after_id) if after_id else households
    items, next_after = keyset_page(_with_head_name(page.select_related("grid", "community").order_by("id")), limit)
    if not with_count:
        count_label = ""
    elif after_id is None and next_after is None:
        count_label = _count_label(len(items))
    else:
        count_label = _count_label(households.order_by().values("id")[:COUNT_CAP + 1].count())
    return Page(items, next_after, count_label, parsed.kind)


def household_find(actor, *, community_id, number):
    """A household the actor may see, by its number within one community (for merge and transfer)."""
    number = (number or "").strip()
    household = household_queryset(actor).filter(community_id=community_id, number=number).first() if number else None
    if household is None:
        message = gettext("本社区未找到户号“%(number)s”") % {"number": number}
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


# A member joining or leaving, shown in the household's history as well as in the member's.
MEMBERSHIP_VERBS = ("resident_add", "resident_transfer", "resident_move_out", "resident_death", "resident_death_revoke",
                    "resident_move_back")


def record_history(actor, target, *, limit=100):
    """Who changed this household or resident, when, and from what: read from the audit trail; a household's
    also has its members joining and leaving (those transferred out included), and who printed its card. Without a sensitive-access grant, the events of sensitive tags are left out: such
    a tag is not there at all."""
    events = AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
    if isinstance(target, Household):
        resident = Resident._meta.label_lower
        members = [str(pk) for pk in target.members.values_list("id", flat=True)]
        events = events | AuditEvent.objects.filter(target_type=resident, target_id__in=members,
                                                    verb__in=MEMBERSHIP_VERBS)
        events = events | AuditEvent.objects.filter(target_type=resident, community_id=target.community_id,
                                                    verb="resident_transfer", details__household__from=target.number)
    if not can_view_sensitive(actor, target.community_id):
        events = events.exclude(sensitive=True)
    return list(events.order_by("-id")[:limit])


def import_job_get(actor, job_id):
    """An import job, if the actor may import into its community (heads and community workers); for
    everyone else "not found", like a missing one."""
    community_ids = actor_scope(actor, roles=IMPORTER_ROLES).community_ids
    job = ImportJob.objects.filter(id=job_id, community_id__in=community_ids).select_related("community").first()
    if job is None:
        raise NotFound(gettext("未找到该导入任务"))
    return job


def export_job_list(actor, *, limit=20):
    """The actor's own latest exports, newest first; none once the actor may no longer read the registry."""
    if not can_view_registry(actor):
        return []
    return list(ExportJob.objects.filter(created_by_id=actor.id).order_by("-id")[:limit])


def export_job_get(actor, job_id):
    """An export job of the actor's own, while the actor may still read the registry; for everyone else,
    colleagues of the same community included, "not found", like a missing one."""
    job = ExportJob.objects.filter(id=job_id, created_by_id=actor.id).first() if can_view_registry(actor) else None
    if job is None:
        raise NotFound(gettext("未找到该导出任务"))
    return job
