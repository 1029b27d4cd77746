"""Life events of households and residents. Nothing is hard-deleted: moves, deaths and closures are
states with dates, and every change is in the audit trail with what it was before.

The refusals are built with gettext where they are raised, so pages and the API show them in the request's
language; what the audit stores (details, reasons) stays Chinese."""

import re
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from shequ.audit.services import audit_record
from shequ.core.errors import ApplicationError, Forbidden
from shequ.places.models import Community

from .choices import SENSITIVE_TAGS, HouseholdStatus, HouseholdType, Housing, Relation, ResidentStatus
from .models import Household, NameGram, Resident, ResidentTag
from .permissions import can_edit_household, can_register_in, can_reveal, can_view_sensitive
from .pinyin import name_grams
from .protection import (
    HOUSEHOLD_PHONE_CONTEXT,
    id_number_hash,
    open_tag_details,
    protect_id_number,
    protect_notes,
    protect_phone,
    protect_tag_details,
    reveal_id_number,
    reveal_notes,
    reveal_phone,
)
from .validation import FIELD_LABELS, validate_person

SENSITIVE_FIELDS = {"id_number", "phone"}


def _invalid(errors):
    first_field, first_message = next(iter(errors.items()))
    label = FIELD_LABELS.get(first_field, first_field)
    return ApplicationError(gettext("%(label)s：%(value)s") % {"label": label, "value": first_message},
                            code="validation_error",
                            details={field: [message] for field, message in errors.items()})


def household_address(estate, building, entrance, room):
    parts = [estate.name, building.label, entrance.label if entrance else "", f"{room}室" if room else ""]
    return "".join(parts)


def _place_household(household):
    """Grid and group follow the building unless a worker chose them by hand."""
    if not household.placement_overridden:
        household.grid_id = household.building.grid_id
        household.resident_group_id = household.building.resident_group_id


def _check_place(community_id, estate, building, entrance):
    if building.estate_id != estate.id or building.community_id != community_id:
        raise ApplicationError(gettext("楼栋不属于所选小区"), details={"building": [gettext("不属于所选小区")]})
    if entrance is not None and entrance.building_id != building.id:
        raise ApplicationError(gettext("单元不属于所选楼栋"), details={"entrance": [gettext("不属于所选楼栋")]})


def _adjust_household_count(community_id, delta):
    Community.objects.filter(id=community_id).update(household_count=F("household_count") + delta)


AUTOMATIC_NUMBER = re.compile(r"H\d{8}")


def household_numbers(community_id, count, *, reserved=()):
    """The next `count` automatic household numbers of a community: H and 8 digits, on from the highest it has
    (or among `reserved`, numbers about to be written with them), so that each community counts from H00000001."""
    top = (Household.objects.filter(community_id=community_id, number__regex=r"^H[0-9]{8}$").order_by("-number")
           .values_list("number", flat=True).first())
    highest = max([int(n[1:]) for n in (top, *reserved) if n and AUTOMATIC_NUMBER.fullmatch(n)], default=0)
    return [f"H{highest + i:08d}" for i in range(1, count + 1)]


@transaction.atomic
def household_register(*, actor, estate, building, entrance=None, room="", number="", household_type="resident",
                       housing="owned", phone="", grid=None, resident_group=None, registered_on=None,
                       members=()):
    """Register a household and its members (the first member is the head unless stated)."""
    community_id = estate.community_id
    _check_place(community_id, estate, building, entrance)
    grid_id = grid.id if grid else building.grid_id
    if not can_register_in(actor, community_id, grid_id):
        raise Forbidden(gettext("您无权在该社区/网格登记住户"))
    number = (number or "").strip() or household_numbers(community_id, 1)[0]
    if Household.objects.filter(community_id=community_id, number=number).exists():
        raise _duplicate_number(number)
    household = Household(
        community_id=community_id, number=number, estate=estate, building=building, entrance=entrance,
        room=room, address=household_address(estate, building, entrance, room), household_type=household_type,
        housing=housing, grid=grid, resident_group=resident_group,
        placement_overridden=bool(grid or resident_group), registered_on=registered_on or date.today(),
        **_household_phone(phone),
    )
    _place_household(household)
    household.save()
    _adjust_household_count(community_id, 1)
    audit_record(actor, "household_register", household,
                 details={"number": number, "address": household.address})
    for index, member in enumerate(members):
        member = dict(member)
        if index == 0:
            member.setdefault("relation", Relation.HEAD)
        try:
            resident_add(actor=actor, household=household, data=member)
        except ApplicationError as error:
            raise _member_error(index, error) from error
    return household


def _duplicate_number(number):
    return ApplicationError(gettext("户号“%(number)s”已存在") % {"number": number}, code="duplicate",
                            details={"number": [gettext("已存在")]})


def _member_error(index, error):
    """A member's error names the member: 成员2 in the message, members.1.<field> in the details (the paths
    the API's own validation uses), so a form can put it on that member's row."""
    return ApplicationError(gettext("成员%(number)s：%(problem)s") % {"number": index + 1, "problem": error.message},
                            code=error.code, status=error.status,
                            details={f"members.{index}.{field}": problems for field, problems in error.details.items()})


def _household_phone(phone):
    from shequ.core.identity import PhoneError, normalize_phone

    if not phone:
        return protect_phone("", context=HOUSEHOLD_PHONE_CONTEXT, with_tail=False)
    try:
        digits = normalize_phone(phone)
    except PhoneError as error:
        raise ApplicationError(gettext("%(label)s：%(value)s") % {"label": gettext("联系电话"), "value": error},
                               details={"phone": [str(error)]}) from error
    return protect_phone(digits, context=HOUSEHOLD_PHONE_CONTEXT, with_tail=False)


def _check_id_unique(values, *, household, exclude_id=None):
    """An ID number is registered once: in register or deceased anywhere, or moved out of this community (who
    comes back by 迁回 on the same record). Someone who moved out of another community is registered anew."""
    if not values.get("id_number"):
        return
    existing = Resident.objects.filter(id_number_hash=id_number_hash(values["id_number"])).exclude(id=exclude_id)
    other = existing.exclude(status=ResidentStatus.MOVED_OUT).select_related("community", "household").first()
    if other is None:
        gone = existing.filter(community_id=household.community_id).order_by("-moved_out_on").first()
        if gone is not None:
            problem = gettext("%(name)s 已于 %(date)s 从本社区迁出，请在其原记录上办理“迁回”，不要重新登记") % {
                "name": gone.name, "date": gone.moved_out_on or "—"}
            raise ApplicationError(problem, code="duplicate", details={"id_number": [problem]})
        return
    # Within the community the worker is told who and where; of another community, only which community.
    if other.household_id == household.id:
        where = gettext("本户成员%(name)s") % {"name": other.name}
    elif other.community_id == household.community_id:
        where = gettext("本社区 %(name)s，%(address)s") % {"name": other.name, "address": other.household.address}
    else:
        where = other.community.name
    raise ApplicationError(gettext("身份证号已登记（%(where)s）") % {"where": where}, code="duplicate",
                           details={"id_number": [gettext("该身份证号已登记在册（%(where)s）") % {"where": where}]})


def _model_values(values):
    plain = {k: v for k, v in values.items() if k not in SENSITIVE_FIELDS and k != "id_converted_from_15"}
    notes = protect_notes(values["notes"]) if "notes" in values else {}
    return plain | protect_id_number(values.get("id_number", "")) | protect_phone(values.get("phone", "")) | notes


def write_name_grams(resident):
    # The community leads the pieces' key, so this reads one community's pieces, not the whole table.
    NameGram.objects.filter(community_id=resident.community_id, resident=resident).delete()
    NameGram.objects.bulk_create(
        NameGram(gram=gram, community_id=resident.community_id, resident=resident)
        for gram in name_grams(resident.name)
    )


@transaction.atomic
def resident_add(*, actor, household, data, moved_in_on=None):
    """Add a person to a household: a newborn, a newcomer moving in, or a member typed in later."""
    if not can_edit_household(actor, household):
        raise Forbidden(gettext("您无权修改该户"))
    values, errors = validate_person(data, require_id=bool(data.get("id_number")) or not data.get("birth_date"))
    if errors:
        raise _invalid(errors)
    _check_id_unique(values, household=household)
    _check_one_head(household, values.get("relation"))
    resident = Resident(
        community_id=household.community_id, household=household, grid_id=household.grid_id,
        resident_group_id=household.resident_group_id, building_id=household.building_id,
        **_model_values(values),
    )
    if moved_in_on:
        resident.moved_in_on = moved_in_on
    resident.save()
    write_name_grams(resident)
    Household.objects.filter(id=household.id).update(member_count=F("member_count") + 1)
    audit_record(actor, "resident_add", resident, details={
        "household": household.number, "name": resident.name, "id_number": resident.id_number_masked,
        "converted_from_15": values.get("id_converted_from_15", False),
    })
    return resident


def _check_one_head(household, relation, *, resident_id=None):
    """A household has one head in register: another is refused (变更户主 changes it, restating relations)."""
    if relation != Relation.HEAD:
        return
    head = (household.members.filter(status=ResidentStatus.PRESENT, relation=Relation.HEAD)
            .exclude(id=resident_id).values_list("name", flat=True).first())
    if head is not None:
        problem = gettext("本户已有户主（%(name)s），请选择与户主的关系；更换户主请用“变更户主”") % {"name": head}
        raise ApplicationError(gettext("户 %(number)s：%(problem)s") % {"number": household.number, "problem": problem},
                               details={"relation": [problem]})


def _masked_change(field, old, new):
    return {"from": old, "to": new}


@transaction.atomic
def resident_correct(*, actor, resident, data, reason=""):
    """Correct a resident's recorded data; the audit keeps each field's old value (masked if sensitive)."""
    if not can_edit_household(actor, resident.household):
        raise Forbidden(gettext("您无权修改该居民信息"))
    snapshot = _editable_snapshot(resident)
    if data.get("notes") == resident.notes:  # the card's masked notes sent back untouched: the sealed ones stay
        data = {k: v for k, v in data.items() if k != "notes"}
    if data.get("id_number"):
        # A new ID number decides sex and birth date; the old ones must not contradict it.
        del snapshot["sex"], snapshot["birth_date"]
    merged = snapshot | {k: v for k, v in data.items() if v is not None}
    values, errors = validate_person(merged, require_id=bool(merged.get("id_number")))
    if errors:
        raise _invalid(errors)
    _check_id_unique(values, household=resident.household, exclude_id=resident.id)
    if resident.status == ResidentStatus.PRESENT and values.get("relation") != resident.relation:
        _check_one_head(resident.household, values.get("relation"), resident_id=resident.id)
    new = _model_values(values)
    if not merged.get("notes"):  # emptied on the form (validation leaves out empty notes)
        new |= {"notes": "", "notes_enc": ""}
    changes = {}
    for field, value in new.items():
        if field.endswith(("_enc", "_hash")):
            continue
        old = getattr(resident, field)
        if old != value and not (old in (None, "") and value in (None, "")):
            changes[field] = _masked_change(field, _plain(old), _plain(value))
    if not changes:
        return resident
    for field, value in new.items():
        setattr(resident, field, value)
    resident.save(update_fields=[*new, "updated_at"])
    if "name" in changes:
        write_name_grams(resident)
    audit_record(actor, "resident_correct", resident, details={"changes": changes, "reason": reason})
    return resident


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def _editable_snapshot(resident):
    snapshot = {field: getattr(resident, field) for field in (
        "name", "sex", "birth_date", "ethnicity", "relation", "residence_status", "political_status", "education",
        "employment", "marital_status", "moved_in_on", "floating_registered_on", "floating_expires_on", "notes")}
    snapshot["id_number"] = reveal_id_number(resident)
    snapshot["phone"] = reveal_phone(resident)
    snapshot["notes"] = reveal_notes(resident)
    return snapshot


def _leave_household(resident):
    Household.objects.filter(id=resident.household_id).update(member_count=F("member_count") - 1)


def _status_refusal(resident, message):
    """`message` (already translated) naming the resident's status in the same language."""
    return ApplicationError(message % {"status": gettext(resident.get_status_display())})


@transaction.atomic
def _past_date(day, *, after, field, message):
    """The date of something that happened: not after today, nor before `after` (a birth, a move in)."""
    if day > date.today() or (after and day < after):
        raise ApplicationError(message, details={field: [
            gettext("不能晚于今天") if day > date.today() else gettext("不能早于%(day)s") % {"day": after}]})
    return day


def resident_move_out(*, actor, resident, on=None, destination=""):
    if not can_edit_household(actor, resident.household):
        raise Forbidden(gettext("您无权修改该居民信息"))
    if resident.status != ResidentStatus.PRESENT:
        raise _status_refusal(resident, gettext("该居民当前状态为“%(status)s”，不能迁出"))
    on = _past_date(on or date.today(), after=resident.moved_in_on or resident.birth_date, field="on",
                    message=gettext("迁出日期不正确"))
    resident.status = ResidentStatus.MOVED_OUT
    resident.moved_out_on = on
    resident.save(update_fields=["status", "moved_out_on", "updated_at"])
    _leave_household(resident)
    audit_record(actor, "resident_move_out", resident, details={
        "on": resident.moved_out_on.isoformat(), "destination": destination, "household": resident.household.number})
    return resident


@transaction.atomic
def resident_record_death(*, actor, resident, died_on):
    if not can_edit_household(actor, resident.household):
        raise Forbidden(gettext("您无权修改该居民信息"))
    if resident.status != ResidentStatus.PRESENT:
        raise _status_refusal(resident, gettext("该居民当前状态为“%(status)s”，不能登记死亡"))
    if died_on > date.today() or died_on < resident.birth_date:
        raise ApplicationError(gettext("死亡日期不正确"), details={"died_on": [gettext("不能早于出生日期或晚于今天")]})
    resident.status = ResidentStatus.DECEASED
    resident.died_on = died_on
    resident.save(update_fields=["status", "died_on", "updated_at"])
    _leave_household(resident)
    audit_record(actor, "resident_death", resident, details={"died_on": died_on.isoformat()})
    return resident


@transaction.atomic
def resident_move_back(*, actor, resident, household=None, relation=None, on=None):
    """A resident who moved out comes back (迁回): into their former household unless another is given, which
    must be living, in the same community. The record and its history go on; no second record is made."""
    if resident.status != ResidentStatus.MOVED_OUT:
        raise _status_refusal(resident, gettext("该居民当前状态为“%(status)s”，不能办理迁回"))
    household = household or resident.household
    if household.community_id != resident.community_id:
        raise ApplicationError(gettext("只能迁回本社区的户；跨社区迁入请在本社区登记"))
    on = on or date.today()
    if resident.moved_out_on and on < resident.moved_out_on:
        raise ApplicationError(gettext("迁回日期不能早于迁出日期"), details={"on": [gettext("不能早于迁出日期")]})
    _past_date(on, after=None, field="on", message=gettext("迁回日期不正确"))
    relation = relation or resident.relation
    _rejoin(actor, resident, household, relation)
    resident.moved_in_on, resident.moved_out_on = on, None
    resident.save(update_fields=["status", "household", "relation", "grid", "resident_group", "building",
                                 "moved_in_on", "moved_out_on", "updated_at"])
    audit_record(actor, "resident_move_back", resident, details={
        "household": household.number, "relation": relation, "on": on.isoformat()})
    return resident


@transaction.atomic
def resident_death_revoke(*, actor, resident, reason):
    """A death recorded by mistake is taken back, with the reason; the resident is in their household again."""
    if resident.status != ResidentStatus.DECEASED:
        raise ApplicationError(gettext("该居民未登记死亡"))
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(gettext("请说明撤销死亡登记的原因"), details={"reason": [gettext("请填写原因")]})
    died_on = resident.died_on
    _rejoin(actor, resident, resident.household, resident.relation)
    resident.died_on = None
    resident.save(update_fields=["status", "relation", "died_on", "updated_at"])
    audit_record(actor, "resident_death_revoke", resident, details={
        "died_on": died_on.isoformat() if died_on else "", "reason": reason})
    return resident


def _rejoin(actor, resident, household, relation):
    """Checks and puts a resident not in the register back into `household`, present (the caller saves)."""
    if not (can_edit_household(actor, resident.household) and can_edit_household(actor, household)):
        raise Forbidden(gettext("您无权修改该居民信息"))
    if household.status != HouseholdStatus.LIVING:
        raise ApplicationError(gettext("户 %(number)s 已不在住，请选择在住户或登记新户") % {"number": household.number},
                               details={"number": [gettext("该户已不在住")]})
    if relation not in Relation.values:
        raise ApplicationError(gettext("与户主关系“%(relation)s”无法识别") % {"relation": relation},
                               details={"relation": [gettext("无法识别")]})
    _check_one_head(household, relation, resident_id=resident.id)
    number = reveal_id_number(resident)
    if number:
        _check_id_unique({"id_number": number}, household=household, exclude_id=resident.id)
    resident.status, resident.household, resident.relation = ResidentStatus.PRESENT, household, relation
    resident.grid_id, resident.resident_group_id = household.grid_id, household.resident_group_id
    resident.building_id = household.building_id
    Household.objects.filter(id=household.id).update(member_count=F("member_count") + 1)


@transaction.atomic
def resident_transfer(*, actor, resident, to_household, relation=Relation.OTHER_RELATIVE):
    """Move a present resident from one household to another (both must be the actor's to edit)."""
    source = resident.household
    if not (can_edit_household(actor, source) and can_edit_household(actor, to_household)):
        raise Forbidden(gettext("您无权在这两户之间调整成员"))
    if resident.status != ResidentStatus.PRESENT:
        raise ApplicationError(gettext("只能调整在册居民"))
    if to_household.id == source.id:
        raise ApplicationError(gettext("目标户与原户相同"))
    if to_household.community_id != resident.community_id:
        raise ApplicationError(gettext("跨社区迁移请先办理迁出，再由迁入社区登记"))
    if to_household.status != HouseholdStatus.LIVING:
        raise ApplicationError(gettext("户 %(number)s 已不在住，不能转入") % {"number": to_household.number})
    _check_one_head(to_household, relation)
    _leave_household(resident)
    resident.household = to_household
    resident.relation = relation
    resident.grid_id, resident.resident_group_id = to_household.grid_id, to_household.resident_group_id
    resident.building_id = to_household.building_id
    resident.save(update_fields=["household", "relation", "grid", "resident_group", "building", "updated_at"])
    Household.objects.filter(id=to_household.id).update(member_count=F("member_count") + 1)
    audit_record(actor, "resident_transfer", resident, details={
        "household": {"from": source.number, "to": to_household.number}, "relation": relation})
    return resident


@transaction.atomic
def household_split(*, actor, household, residents, estate=None, building=None, entrance=None, room="",
                    head=None):
    """Split some members off into a new household (e.g. a married child setting up their own)."""
    if not can_edit_household(actor, household):
        raise Forbidden(gettext("您无权修改该户"))
    members = [r for r in residents if r.household_id == household.id and r.status == ResidentStatus.PRESENT]
    if not members or len(members) != len(residents):
        raise ApplicationError(gettext("请选择本户的在册成员进行分户"))
    new_household = household_register(
        actor=actor, estate=estate or household.estate, building=building or household.building,
        entrance=entrance if building else (entrance or household.entrance), room=room or household.room,
        household_type=household.household_type, housing=household.housing,
    )
    head = head or members[0]
    for member in members:
        resident_transfer(actor=actor, resident=member, to_household=new_household,
                          relation=Relation.HEAD if member.id == head.id else member.relation)
    audit_record(actor, "household_split", household, details={
        "new_household": new_household.number, "members": [m.name for m in members]})
    return new_household


@transaction.atomic
def household_merge(*, actor, source, target):
    """Move every present member of source into target and close source."""
    if not (can_edit_household(actor, source) and can_edit_household(actor, target)):
        raise Forbidden(gettext("您无权合并这两户"))
    if source.id == target.id:
        raise ApplicationError(gettext("不能与自身合户"))
    if source.status != HouseholdStatus.LIVING or target.status != HouseholdStatus.LIVING:
        raise ApplicationError(gettext("只能合并两个在住户"))
    for member in list(source.members.filter(status=ResidentStatus.PRESENT)):
        relation = Relation.OTHER_RELATIVE if member.relation == Relation.HEAD else member.relation
        resident_transfer(actor=actor, resident=member, to_household=target, relation=relation)
    _close_household(source, HouseholdStatus.CLOSED)
    audit_record(actor, "household_merge", source, details={"into": target.number})
    return target


_PLACE_FIELDS = ("building", "entrance", "room")
_CORRECTED_FIELDS = ["number", "household_type", "housing", "phone_enc", "phone_hash", "phone_masked", "estate",
                     "building", "entrance", "room", "address", "grid", "resident_group", "placement_overridden",
                     "updated_at"]


@transaction.atomic
def household_correct(*, actor, household, data, reason=""):
    """Correct a living household's recorded data: number, type, housing, contact phone ("" clears it), address
    within its community (building, entrance, room) and grid and group (None: the building's). Members follow
    the household's building, grid and group; the audit keeps each field's old value, the phone masked."""
    if not can_edit_household(actor, household):
        raise Forbidden(gettext("您无权修改该户"))
    if household.status != HouseholdStatus.LIVING:
        raise ApplicationError(gettext("该户已不在住，不能更正"))
    before, phone_before = _household_snapshot(household), household.phone_hash
    _correct_number(household, data)
    for field, choices in (("household_type", HouseholdType), ("housing", Housing)):
        if data.get(field):
            if data[field] not in choices.values:
                label = gettext(str(Household._meta.get_field(field).verbose_name))
                problem = gettext("“%(value)s”无法识别") % {"value": data[field]}
                raise ApplicationError(gettext("%(label)s：%(value)s") % {"label": label, "value": problem},
                                       details={field: [gettext("无法识别")]})
            setattr(household, field, data[field])
    if data.get("phone") is not None:
        for field, value in _household_phone(data["phone"]).items():
            setattr(household, field, value)
    _correct_place(household, data)
    if not can_register_in(actor, household.community_id, household.grid_id):
        raise Forbidden(gettext("您无权把该户调整到所选网格"))
    after = _household_snapshot(household)
    changes = {field: {"from": old, "to": after[field]} for field, old in before.items()
               if after[field] != old or (field == "phone_masked" and household.phone_hash != phone_before)}
    if not changes:
        return household
    household.save(update_fields=_CORRECTED_FIELDS)
    if {"address", "grid", "resident_group"} & changes.keys():
        household.members.update(grid_id=household.grid_id, resident_group_id=household.resident_group_id,
                                 building_id=household.building_id)
    audit_record(actor, "household_correct", household, details={"changes": changes, "reason": reason})
    return household


def _household_snapshot(household):
    """What a correction may change, as the history shows it (names, not ids; the phone masked)."""
    return {
        "number": household.number, "household_type": household.household_type, "housing": household.housing,
        "phone_masked": household.phone_masked, "address": household.address,
        "grid": household.grid.name if household.grid_id else "",
        "resident_group": household.resident_group.name if household.resident_group_id else "",
    }


def _correct_number(household, data):
    number = (data.get("number") or "").strip()
    if not number or number == household.number:
        return
    if Household.objects.filter(community_id=household.community_id, number=number).exists():
        raise _duplicate_number(number)
    household.number = number


def _correct_place(household, data):
    if data.get("building") is not None:
        building, entrance = data["building"], data.get("entrance")
        _check_place(household.community_id, building.estate, building, entrance)
        household.estate, household.building, household.entrance = building.estate, building, entrance
    if data.get("room") is not None:
        household.room = data["room"].strip()
    if any(field in data for field in _PLACE_FIELDS):
        household.address = household_address(household.estate, household.building, household.entrance,
                                               household.room)
    if "grid" in data or "resident_group" in data:
        chosen = {field: data[field] if field in data else (
            getattr(household, field) if household.placement_overridden else None) for field in ("grid", "resident_group")}
        _check_placement(household.community_id, chosen["grid"], chosen["resident_group"])
        building = household.building
        household.grid = chosen["grid"] or building.grid
        household.resident_group = chosen["resident_group"] or building.resident_group
        household.placement_overridden = (household.grid_id, household.resident_group_id) != (
            building.grid_id, building.resident_group_id)
    else:
        _place_household(household)


def _check_placement(community_id, grid, resident_group):
    if grid is not None and grid.community_id != community_id:
        raise ApplicationError(gettext("%(field)s不属于本社区") % {"field": gettext("网格")},
                               details={"grid": [gettext("不属于本社区")]})
    if resident_group is not None and resident_group.community_id != community_id:
        raise ApplicationError(gettext("居民小组不属于本社区"),
                               details={"resident_group": [gettext("不属于本社区")]})


@transaction.atomic
def household_change_head(*, actor, household, head, relations=None):
    """Make a member in the register the head. `relations` (resident id → relation) re-states the other
    members' relation to the new head; the former head, if still in the register, must be given one."""
    if not can_edit_household(actor, household):
        raise Forbidden(gettext("您无权修改该户"))
    if household.status != HouseholdStatus.LIVING:
        raise ApplicationError(gettext("该户已不在住，不能变更户主"))
    present = {m.id: m for m in household.members.filter(status=ResidentStatus.PRESENT)}
    if head.id not in present:
        raise ApplicationError(gettext("新户主须是本户的在册成员"), details={"head": [gettext("不是本户在册成员")]})
    relations = {int(key): value for key, value in (relations or {}).items()}
    new_relations = {member_id: relations.get(member_id, member.relation) for member_id, member in present.items()}
    new_relations[head.id] = Relation.HEAD
    for member_id, relation in new_relations.items():
        if member_id != head.id and (relation == Relation.HEAD or relation not in Relation.values):
            raise ApplicationError(gettext("请为%(name)s选择与新户主的关系") % {"name": present[member_id].name},
                                   details={f"relation_{member_id}": [gettext("请选择与新户主的关系")]})
    former = [m.name for m in present.values() if m.relation == Relation.HEAD]
    for member_id, relation in new_relations.items():
        member = present[member_id]
        if member.relation != relation:
            change = {"relation": {"from": member.relation, "to": relation}}
            member.relation = relation
            member.save(update_fields=["relation", "updated_at"])
            audit_record(actor, "resident_correct", member, details={"changes": change, "reason": "变更户主"})
    audit_record(actor, "household_head_change", household, details={
        "head": {"from": "、".join(former), "to": head.name}})
    return household


def _close_household(household, status):
    household.status = status
    household.status_changed_on = date.today()
    household.save(update_fields=["status", "status_changed_on", "updated_at"])
    _adjust_household_count(household.community_id, -1)


@transaction.atomic
def household_move_out(*, actor, household, on=None, destination=""):
    """The whole household leaves: members moved out, household kept as 已迁出."""
    if not can_edit_household(actor, household):
        raise Forbidden(gettext("您无权修改该户"))
    if household.status != HouseholdStatus.LIVING:
        raise ApplicationError(gettext("该户已不在住"))
    for member in list(household.members.filter(status=ResidentStatus.PRESENT)):
        resident_move_out(actor=actor, resident=member, on=on, destination=destination)
    _close_household(household, HouseholdStatus.MOVED_OUT)
    audit_record(actor, "household_move_out", household, details={"destination": destination})
    return household


def _reveal_reason(reason):
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ApplicationError(gettext("请填写查看原因"), details={"reason": [gettext("必填，至少2个字")]})
    return reason


_REVEALS = {"id_number": reveal_id_number, "phone": reveal_phone, "notes": reveal_notes}


@transaction.atomic
def resident_reveal(*, actor, resident, field, reason):
    """Show one full sensitive value: the ID number, the phone, or the notes with the numbers their masked copy
    hides. Requires a reason; the reveal itself is audited."""
    reveal = _REVEALS.get(field)
    if reveal is None:
        raise ApplicationError(gettext("只能查看身份证号、手机号或备注"), details={"field": [gettext("无效")]})
    reason = _reveal_reason(reason)
    if not can_reveal(actor, resident):
        raise Forbidden(gettext("您无权查看该居民的完整信息"))
    value = reveal(resident)
    audit_record(actor, "reveal", resident, details={"field": field, "reason": reason})
    return value


@transaction.atomic
def resident_tag_reveal(*, actor, tag, reason):
    """Open the sealed details of a tag ({field: text}): all of a sensitive tag's, which are shown nowhere else
    (needs the sensitive-access grant), or another tag's with the numbers its card masks. Needs a role that
    reveals and a reason; the reveal is audited on the resident."""
    resident = tag.resident
    if tag.sensitive and not can_view_sensitive(actor, resident.community_id):
        raise Forbidden(gettext("您没有敏感人群信息的权限"))
    if not can_reveal(actor, resident):
        raise Forbidden(gettext("您无权查看完整信息"))
    if not tag.details_enc:
        raise ApplicationError(gettext("该标签没有隐藏的详情，已直接显示"))
    reason = _reveal_reason(reason)
    details = open_tag_details(tag.details_enc)
    audit_record(actor, "tag_reveal", resident, details={"kind": tag.kind, "tag": tag.id, "reason": reason},
                 sensitive=tag.sensitive)
    return details


@transaction.atomic
def resident_tag_add(*, actor, resident, kind, details=None, started_on=None):
    if not can_edit_household(actor, resident.household):
        raise Forbidden(gettext("您无权修改该居民信息"))
    sensitive = kind in SENSITIVE_TAGS
    if sensitive and not can_view_sensitive(actor, resident.community_id):
        raise Forbidden(gettext("您没有敏感人群信息的权限"))
    if ResidentTag.objects.filter(resident=resident, kind=kind, active=True).exists():
        raise ApplicationError(gettext("该居民已有此类标签"), code="duplicate")
    shown, sealed = protect_tag_details(details, sensitive=sensitive)
    tag = ResidentTag.objects.create(
        community_id=resident.community_id, resident=resident, kind=kind, sensitive=sensitive,
        details=shown, details_enc=sealed, started_on=started_on,
    )
    audit_record(actor, "tag_add", resident, details={"kind": kind}, sensitive=sensitive)
    return tag


@transaction.atomic
def resident_tag_end(*, actor, tag, ended_on=None):
    if not can_edit_household(actor, tag.resident.household):
        raise Forbidden(gettext("您无权修改该居民信息"))
    tag.active = False
    tag.ended_on = ended_on or date.today()
    tag.save(update_fields=["active", "ended_on", "updated_at"])
    audit_record(actor, "tag_end", tag.resident, details={"kind": tag.kind}, sensitive=tag.sensitive)
    return tag
