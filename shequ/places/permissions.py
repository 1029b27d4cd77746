from shequ.accounts.models import Role
from shequ.core.navigation import may_open
from shequ.core.scoping import actor_roles, actor_scope

PLACE_MANAGER_ROLES = {Role.STREET_ADMIN, Role.COMMUNITY_HEAD}
PLACE_READER_ROLES = {
    Role.STREET_ADMIN, Role.COMMUNITY_HEAD, Role.COMMUNITY_WORKER, Role.GRID_WORKER, Role.SUPERVISOR,
}


def can_view_places(actor):
    return actor.is_authenticated and bool(actor_roles(actor) & PLACE_READER_ROLES)


def reader_scope(actor):
    return actor_scope(actor, roles=PLACE_READER_ROLES)


def can_manage_community(actor, community_id):
    """Heads run their own community's places; a street administrator those of the whole street."""
    return community_id in actor_scope(actor, roles=PLACE_MANAGER_ROLES).community_ids


def can_create_community(actor, street_id):
    return street_id in actor_scope(actor, roles={Role.STREET_ADMIN}).street_ids


def can_manage_any_place(actor):
    return not actor_scope(actor, roles=PLACE_MANAGER_ROLES).is_empty


def household_linked_building_ids(actor, buildings):
    """The buildings whose 楼栋住户 page (the registry's) a places page links to. Places does not import the
    registry, which stands on places: whether the actor may open it at all is asked through core's navigation
    (the registry registers 户列表 there with its own rule), and since people are read by grid, a grid worker's
    links are only for the buildings of his grids, as core.scoping reads people's rows."""
    if not may_open(actor, "registry_households"):
        return set()
    scope = actor_scope(actor)
    return {b.id for b in buildings if b.community_id in scope.community_ids or b.grid_id in scope.grid_ids}
