from ninja import ModelSchema, Schema

from .models import Building, Community, Entrance, Estate, Grid, ResidentGroup


class CommunityOut(ModelSchema):
    household_warning: str | None

    class Meta:
        model = Community
        fields = ["id", "street", "name", "code", "address", "phone", "household_count"]


class CommunityIn(Schema):
    street_id: int
    name: str
    code: str
    address: str = ""
    phone: str = ""


class CommunityPatch(Schema):
    name: str | None = None
    code: str | None = None
    address: str | None = None
    phone: str | None = None


class GroupOut(ModelSchema):
    class Meta:
        model = ResidentGroup
        fields = ["id", "community", "number", "name", "leader_name"]


class GroupIn(Schema):
    community_id: int
    number: int
    name: str
    leader_name: str = ""


class GroupPatch(Schema):
    number: int | None = None
    name: str | None = None
    leader_name: str | None = None


class GridOut(ModelSchema):
    class Meta:
        model = Grid
        fields = ["id", "community", "code", "name", "description"]


class GridIn(Schema):
    community_id: int
    code: str
    name: str
    description: str = ""


class GridPatch(Schema):
    code: str | None = None
    name: str | None = None
    description: str | None = None


class EstateOut(ModelSchema):
    class Meta:
        model = Estate
        fields = ["id", "community", "name", "address", "property_company"]


class EstateIn(Schema):
    community_id: int
    name: str
    address: str = ""
    property_company: str = ""


class EstatePatch(Schema):
    name: str | None = None
    address: str | None = None
    property_company: str | None = None


class BuildingOut(ModelSchema):
    class Meta:
        model = Building
        fields = ["id", "community", "estate", "number", "floors", "grid", "resident_group"]


class BuildingIn(Schema):
    estate_id: int
    number: str
    floors: int | None = None
    grid_id: int | None = None
    resident_group_id: int | None = None


class BuildingPatch(Schema):
    number: str | None = None
    floors: int | None = None
    grid_id: int | None = None
    resident_group_id: int | None = None


class EntranceOut(ModelSchema):
    class Meta:
        model = Entrance
        fields = ["id", "community", "building", "number"]


class EntranceIn(Schema):
    building_id: int
    number: str


class EntrancePatch(Schema):
    number: str | None = None


SCHEMAS = {
    "community": (CommunityOut, CommunityIn, CommunityPatch),
    "group": (GroupOut, GroupIn, GroupPatch),
    "grid": (GridOut, GridIn, GridPatch),
    "estate": (EstateOut, EstateIn, EstatePatch),
    "building": (BuildingOut, BuildingIn, BuildingPatch),
    "entrance": (EntranceOut, EntranceIn, EntrancePatch),
}
