from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from shequ.audit.services import audit_record
from shequ.core.errors import ApplicationError, Forbidden, validation_error_details

from .kinds import KINDS
from .permissions import can_create_community, can_manage_community


def _check_may_write(actor, place):
    if place._meta.model_name == "community":
        allowed = can_manage_community(actor, place.id) if place.pk else can_create_community(actor, place.street_id)
    else:
        allowed = can_manage_community(actor, place.community_id)
    if not allowed:
        raise Forbidden(gettext("您无权管理该地区"))


def _inherit_community(place, kind):
    """A building belongs to its estate's community, an entrance to its building's: never typed twice."""
    parent_field = KINDS[kind].parent
    if kind != "community" and parent_field:
        parent = getattr(place, parent_field, None)
        if parent is not None:
            place.community_id = parent.community_id


def _check_same_community(place):
    for field in ("grid", "resident_group", "estate", "building"):
        related = getattr(place, field, None) if hasattr(place, f"{field}_id") else None
        if related is not None and related.community_id != place.community_id:
            label = gettext(str(place._meta.get_field(field).verbose_name))
            raise ApplicationError(gettext("%(field)s不属于本社区") % {"field": label},
                                   details={field: [gettext("不属于本社区")]})


def _validate(place):
    try:
        place.full_clean()
    except ValidationError as error:
        details = validation_error_details(error)
        first = next(iter(details.values()))[0]
        raise ApplicationError(gettext("数据有误：%(error)s") % {"error": first}, code="validation_error",
                               details=details) from error


def _changes(place, data):
    changes = {}
    for field, value in data.items():
        old = getattr(place, field)
        if old != value:
            changes[field] = {"from": str(old) if old is not None else None,
                              "to": str(value) if value is not None else None}
    return changes


@transaction.atomic
def place_create(*, actor, kind, data):
    place = KINDS[kind].model(**data)
    _inherit_community(place, kind)
    _check_may_write(actor, place)
    _check_same_community(place)
    _validate(place)
    place.save()
    audit_record(actor, "create", place, details={k: str(v) for k, v in data.items()})
    return place


@transaction.atomic
def place_update(*, actor, kind, place, data):
    _check_may_write(actor, place)
    changes = _changes(place, data)
    for field, value in data.items():
        setattr(place, field, value)
    _check_same_community(place)
    _validate(place)
    if changes:
        place.save(update_fields=[*changes, "updated_at"])
        audit_record(actor, "update", place, details={"changes": changes})
    return place
