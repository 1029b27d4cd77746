"""The kinds of place below a street, described once so pages, API and services treat them alike."""

from dataclasses import dataclass

from .models import Building, Community, Entrance, Estate, Grid, ResidentGroup


@dataclass(frozen=True)
class PlaceKind:
    key: str
    model: type
    label: str  # Chinese, as messages and the API say it; a page's title translates it (context "place kind")
    plural: str  # the URL segment
    fields: tuple  # what a user edits
    parent: str | None  # the field naming the place it hangs under (community is implied)
    related: tuple = ()


KINDS = {
    kind.key: kind
    for kind in [
        PlaceKind("community", Community, "社区", "communities", ("name", "code", "address", "phone"), "street",
                  ("street",)),
        PlaceKind("group", ResidentGroup, "居民小组", "groups", ("number", "name", "leader_name"), None,
                  ("community",)),
        PlaceKind("grid", Grid, "网格", "grids", ("code", "name", "description"), None, ("community",)),
        PlaceKind("estate", Estate, "小区", "estates", ("name", "address", "property_company"), None,
                  ("community",)),
        PlaceKind("building", Building, "楼栋", "buildings", ("number", "floors", "grid", "resident_group"),
                  "estate", ("community", "estate", "grid", "resident_group")),
        PlaceKind("entrance", Entrance, "单元", "entrances", ("number",), "building",
                  ("community", "building", "building__estate")),
    ]
}
