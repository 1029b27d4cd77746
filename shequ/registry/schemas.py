from dataclasses import fields
from datetime import date, datetime

from ninja import Schema
from pydantic import create_model

from .selectors import ResidentRow


class PersonIn(Schema):
    name: str
    id_number: str | None = None
    phone: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    ethnicity: str | None = None
    relation: str | None = None
    residence_status: str | None = None
    political_status: str | None = None
    education: str | None = None
    employment: str | None = None
    marital_status: str | None = None
    moved_in_on: date | None = None
    floating_registered_on: date | None = None
    floating_expires_on: date | None = None
    notes: str | None = None


class PersonPatch(PersonIn):
    name: str | None = None
    reason: str = ""


# What the API shows of a resident: the list's row (selectors.ResidentRow) without the encrypted values,
# which stay inside, and the household's number and address and the grid's name, which the list page reads.
# One field list for both, so that the API list can never ask the row for a column it does not read.
_NOT_SHOWN = {"id_number_enc", "phone_enc", "notes_enc", "household_number", "household_address", "grid_name",
              "community_name"}
ResidentOut = create_model(
    "ResidentOut", __base__=Schema,
    __doc__="ID number and phone are masked, and numbers in the notes; reveal them with POST …/reveal and a reason.",
    **{f.name: (f.type, ...) for f in fields(ResidentRow) if f.name not in _NOT_SHOWN},
)


class ResidentPageOut(Schema):
    items: list[ResidentOut]
    next_after: int | None
    count: str
    query_kind: str


class TagOut(Schema):
    """details of a sensitive tag are always empty here, and numbers in another tag's details are masked
    (138****5678); reveal either with POST …/tags/{id}/reveal."""

    id: int
    kind: str
    sensitive: bool
    details: dict
    active: bool
    started_on: date | None
    ended_on: date | None


class ResidentDetailOut(ResidentOut):
    tags: list[TagOut]


class HouseholdIn(Schema):
    estate_id: int
    building_id: int
    entrance_id: int | None = None
    room: str = ""
    number: str = ""
    household_type: str = "resident"
    housing: str = "owned"
    phone: str = ""
    grid_id: int | None = None
    resident_group_id: int | None = None
    members: list[PersonIn] = []


class HouseholdOut(Schema):
    id: int
    community_id: int
    number: str
    address: str
    estate_id: int
    building_id: int
    entrance_id: int | None
    room: str
    household_type: str
    housing: str
    phone_masked: str
    grid_id: int | None
    resident_group_id: int | None
    status: str
    member_count: int
    registered_on: date | None


class HouseholdDetailOut(HouseholdOut):
    members: list[ResidentOut]


class HouseholdHeadOut(HouseholdOut):
    head_name: str | None  # the head in register; null for a household without one


class HouseholdPageOut(Schema):
    items: list[HouseholdHeadOut]
    next_after: int | None
    count: str
    query_kind: str


class RevealIn(Schema):
    field: str
    reason: str


class RevealOut(Schema):
    field: str
    value: str


class TagRevealIn(Schema):
    reason: str


class TagRevealOut(Schema):
    id: int
    kind: str
    details: dict[str, str]


class MoveOutIn(Schema):
    on: date | None = None
    destination: str = ""


class DeathIn(Schema):
    died_on: date


class MoveBackIn(Schema):
    """household_id: the household to return to (the former one if left out)."""
    household_id: int | None = None
    relation: str | None = None
    on: date | None = None


class DeathRevokeIn(Schema):
    reason: str


class TransferIn(Schema):
    household_id: int
    relation: str = "relative"


class SplitIn(Schema):
    resident_ids: list[int]
    head_id: int | None = None
    building_id: int | None = None
    entrance_id: int | None = None
    room: str = ""


class HouseholdPatch(Schema):
    """Only the fields sent change. phone "" clears it; grid_id or resident_group_id null: the building's."""
    number: str | None = None
    household_type: str | None = None
    housing: str | None = None
    phone: str | None = None
    building_id: int | None = None
    entrance_id: int | None = None
    room: str | None = None
    grid_id: int | None = None
    resident_group_id: int | None = None
    reason: str = ""


class HeadIn(Schema):
    """relations: the other members' relation to the new head, by resident id (the former head's is required)."""
    head_id: int
    relations: dict[int, str] = {}


class MergeIn(Schema):
    into_household_id: int


class TagIn(Schema):
    kind: str
    details: dict = {}
    started_on: date | None = None


class HistoryOut(Schema):
    id: int
    at: datetime
    actor_label: str
    verb: str
    source: str
    details: dict


class OverviewColumnOut(Schema):
    key: str
    label: str


class OverviewUnitOut(Schema):
    """A community, a grid, the residents of a community without a grid (kind ungridded), or the totals
    (kind total). tags: active care tags of present residents per kind; null where a sensitive kind is not
    visible to the caller (its total is then null too)."""

    kind: str
    id: int | None
    name: str
    community_id: int | None
    households: int
    residents: int
    male: int
    female: int
    age_bands: dict[str, int]
    residence_status: dict[str, int]
    tags: dict[str, int | None]


class OverviewOut(Schema):
    scope_label: str
    unit_kind: str
    community_id: int | None
    as_of: date
    age_bands: list[OverviewColumnOut]
    residence_statuses: list[OverviewColumnOut]
    tag_kinds: list[OverviewColumnOut]
    units: list[OverviewUnitOut]
    total: OverviewUnitOut

    @staticmethod
    def resolve_community_id(overview):
        return overview.community.id if overview.community else None
