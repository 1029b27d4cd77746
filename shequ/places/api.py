"""/api/v1/places/<kind>: list, read, create and patch each kind of place, typed per kind."""

from ninja import Router, Status

from shequ.core.errors import Forbidden

from . import selectors, services
from .kinds import KINDS
from .permissions import can_view_places
from .schemas import SCHEMAS

router = Router(tags=["地区与楼栋"])
PAGE_LIMIT = 500

# Foreign keys arrive as <name>_id; each is resolved inside the actor's scope before the service runs.
REFERENCES = {"street_id": None, "community_id": "community", "estate_id": "estate", "building_id": "building",
              "grid_id": "grid", "resident_group_id": "group"}


def _resolve(request, payload):
    data = {}
    for field, value in payload.items():
        if field in REFERENCES and field != "street_id":
            value = selectors.place_get(request.user, REFERENCES[field], value) if value is not None else None
            field = field.removesuffix("_id")
        elif field == "street_id":
            value = selectors.street_choices(request.user).filter(id=value).first()
            if value is None:
                raise Forbidden("您无权在该街道下新建社区")
            field = "street"
        data[field] = value
    return data


def _check_reader(request):
    if not can_view_places(request.user):
        raise Forbidden("您没有查看地区信息的权限")


def _register(kind):
    spec = KINDS[kind]
    out_schema, in_schema, patch_schema = SCHEMAS[kind]
    path = f"/{spec.plural}"

    @router.get(path, response=list[out_schema], operation_id=f"{kind}_list", summary=f"{spec.label}列表")
    def list_places(request, community_id: int | None = None, parent_id: int | None = None, after_id: int = 0):
        _check_reader(request)
        places = selectors.place_list(request.user, kind, community_id=community_id, parent_id=parent_id)
        return list(places.filter(id__gt=after_id).order_by("id")[:PAGE_LIMIT])

    @router.get(path + "/{place_id}", response=out_schema, operation_id=f"{kind}_get", summary=f"{spec.label}详情")
    def get_place(request, place_id: int):
        _check_reader(request)
        return selectors.place_get(request.user, kind, place_id)

    @router.post(path, response={201: out_schema}, operation_id=f"{kind}_create", summary=f"新建{spec.label}")
    def create_place(request, payload: in_schema):
        _check_reader(request)
        place = services.place_create(actor=request.user, kind=kind, data=_resolve(request, payload.dict()))
        return Status(201, place)

    @router.patch(path + "/{place_id}", response=out_schema, operation_id=f"{kind}_update",
                  summary=f"修改{spec.label}")
    def update_place(request, place_id: int, payload: patch_schema):
        _check_reader(request)
        place = selectors.place_get(request.user, kind, place_id)
        data = _resolve(request, payload.dict(exclude_unset=True))
        return services.place_update(actor=request.user, kind=kind, place=place, data=data)


for _kind in KINDS:
    _register(_kind)
