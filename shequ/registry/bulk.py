"""Registering many households of one community at once: the demo seed and the benchmarks.

`bulk_register(community, households, actor=None)` takes an iterable of household dicts (fake.py makes
them; anything else with data in the same shape may call it) and writes them with bulk_create, a batch
of households at a time, instead of one household_register / resident_add per person:

    {"building": Building, "entrance": Entrance | None, "room": "302", "estate": Estate (optional, else
     the building's), "number": "" (optional, else H + 8 digits as household_register gives),
     "household_type", "housing", "phone", "registered_on", "grid"/"resident_group" (optional overrides),
     "members": [{"name", "id_number", "phone", "relation", "ethnicity", …, "tags": [{"kind", "details",
                  "started_on"}]}]}

The rules are the services': every member goes through validation.validate_person (a bad row raises
ApplicationError naming it, and nothing is written), ID numbers and phones are stored only through
protection.protect_id_number / protect_phone, sensitive tag details only sealed, name pieces written to
NameGram, grid and group follow the building, Community.household_count is kept. One transaction for
the call and ONE audit event (`household_bulk_register`) with the counts and id ranges, as the roster
import records one `import_commit`. It does not look for ID numbers already registered: the data is
trusted to be new (fake.py never repeats a number within a stream).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from shequ.audit.services import audit_record
from shequ.core.errors import ApplicationError
from shequ.core.identity import PhoneError, normalize_phone
from shequ.places.models import Community

from .choices import SENSITIVE_TAGS, HouseholdStatus, Relation, TagKind
from .models import Household, NameGram, Resident, ResidentTag
from .pinyin import name_grams
from .protection import (
    HOUSEHOLD_PHONE_CONTEXT,
    protect_id_number,
    protect_notes,
    protect_phone,
    protect_tag_details,
)
from .services import household_address, household_numbers
from .validation import FIELD_LABELS, validate_person

BATCH_HOUSEHOLDS = 2000
_TAG_KINDS = frozenset(TagKind.values)
_RESIDENT_FIELDS = frozenset(
    f.attname for f in Resident._meta.concrete_fields
    if f.attname not in {"id", "community_id", "household_id", "grid_id", "resident_group_id", "building_id"}
)


@transaction.atomic
def bulk_register(community, households, actor=None, *, batch_size=BATCH_HOUSEHOLDS):
    """Registers the households and their members in `community`; returns the counts written."""
    totals = {"households": 0, "residents": 0, "tags": 0}
    ranges = {"households": [], "residents": []}
    batch = []
    for household in households:
        batch.append(household)
        if len(batch) >= batch_size:
            _write_batch(community, batch, totals, ranges)
            batch = []
    if batch:
        _write_batch(community, batch, totals, ranges)
    if totals["households"]:
        Community.objects.filter(id=community.id).update(household_count=F("household_count") + totals["households"])
        community.household_count += totals["households"]
    audit_record(actor, "household_bulk_register", community, community_id=community.id, details={
        **totals, "household_ids": ranges["households"][:1000], "resident_ids": ranges["residents"][:1000]})
    return totals


def _write_batch(community, batch, totals, ranges):
    automatic = iter(household_numbers(community.id, sum(1 for h in batch if not h.get("number")),
                                       reserved=[h["number"] for h in batch if h.get("number")]))
    households, members = [], []
    for index, data in enumerate(batch):
        household = _household(community, data, automatic)
        households.append(household)
        people = [_person_values(member, index, position) for position, member in enumerate(data["members"])]
        household.member_count = len(people)
        members.append(people)
    Household.objects.bulk_create(households)

    residents, tags = [], []
    for household, people in zip(households, members, strict=True):
        for values, tag_list in people:
            resident = Resident(community_id=community.id, household_id=household.id, grid_id=household.grid_id,
                                resident_group_id=household.resident_group_id, building_id=household.building_id,
                                **values)
            residents.append(resident)
            tags.append(tag_list)
    Resident.objects.bulk_create(residents)

    grams, tag_rows = [], []
    for resident, tag_list in zip(residents, tags, strict=True):
        grams.extend(NameGram(gram=gram, community_id=community.id, resident_id=resident.id)
                     for gram in name_grams(resident.name))
        tag_rows.extend(_tag(community, resident, tag) for tag in tag_list)
    NameGram.objects.bulk_create(grams)
    ResidentTag.objects.bulk_create(tag_rows)

    totals["households"] += len(households)
    totals["residents"] += len(residents)
    totals["tags"] += len(tag_rows)
    _note(ranges["households"], [h.id for h in households])
    _note(ranges["residents"], [r.id for r in residents])


def _household(community, data, automatic):
    building = data["building"]
    estate = data.get("estate") or building.estate
    entrance = data.get("entrance")
    room = str(data.get("room") or "")
    if building.community_id != community.id or estate.id != building.estate_id or (
            entrance is not None and entrance.building_id != building.id):
        raise ApplicationError(gettext("楼栋或单元不属于该社区"), details={"building": [gettext("不属于该社区")]})
    grid, group = data.get("grid"), data.get("resident_group")
    overridden = bool(grid or group)
    phone = data.get("phone") or ""
    if phone:
        try:
            phone = normalize_phone(phone)
        except PhoneError as error:
            raise ApplicationError(gettext("%(label)s：%(value)s") % {"label": gettext("联系电话"), "value": error},
                                   details={"phone": [str(error)]}) from error
    return Household(
        community_id=community.id, number=data.get("number") or next(automatic), estate=estate, building=building,
        entrance=entrance, room=room, address=household_address(estate, building, entrance, room)[:200],
        household_type=data.get("household_type") or "resident", housing=data.get("housing") or "owned",
        grid_id=grid.id if grid else building.grid_id,
        resident_group_id=group.id if group else building.resident_group_id,
        placement_overridden=overridden, status=HouseholdStatus.LIVING,
        registered_on=data.get("registered_on") or date.today(),
        **protect_phone(phone, context=HOUSEHOLD_PHONE_CONTEXT, with_tail=False),
    )


def _person_values(member, household_index, position):
    values, errors = validate_person(member, require_id=bool(member.get("id_number")) or not member.get("birth_date"))
    if errors:
        field, message = next(iter(errors.items()))
        label = FIELD_LABELS.get(field, field)
        raise ApplicationError(
            gettext("第%(household)s户第%(person)s人（%(name)s）%(label)s：%(message)s") % {
                "household": household_index + 1, "person": position + 1, "name": member.get("name", ""),
                "label": label, "message": message},
            code="validation_error", details={field: [message]})
    values.setdefault("relation", Relation.HEAD if position == 0 else Relation.OTHER_RELATIVE)
    plain = {k: v for k, v in values.items() if k in _RESIDENT_FIELDS}
    record = plain | protect_id_number(values.get("id_number", "")) | protect_phone(values.get("phone", ""))
    if values.get("notes"):
        record |= protect_notes(values["notes"])
    for tag in member.get("tags") or ():
        if tag["kind"] not in _TAG_KINDS:
            raise ApplicationError(gettext("未知的重点人群类别：%(kind)s") % {"kind": tag["kind"]},
                                   details={"tags": [gettext("未知类别")]})
    return record, list(member.get("tags") or ())


def _tag(community, resident, tag):
    kind = tag["kind"]
    sensitive = kind in SENSITIVE_TAGS
    shown, sealed = protect_tag_details(tag.get("details"), sensitive=sensitive)
    return ResidentTag(community_id=community.id, resident_id=resident.id, kind=kind, sensitive=sensitive,
                       details=shown, details_enc=sealed, started_on=tag.get("started_on"))


def _note(ranges, ids):
    for value in ids:
        if ranges and ranges[-1][1] == value - 1:
            ranges[-1][1] = value
        else:
            ranges.append([value, value])
