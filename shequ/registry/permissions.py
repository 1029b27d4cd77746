from shequ.accounts.models import Role
from shequ.core.scoping import actor_memberships, actor_roles, actor_scope

READER_ROLES = {Role.STREET_ADMIN, Role.COMMUNITY_HEAD, Role.COMMUNITY_WORKER, Role.GRID_WORKER}
WRITER_ROLES = {Role.COMMUNITY_HEAD, Role.COMMUNITY_WORKER, Role.GRID_WORKER}
IMPORTER_ROLES = {Role.COMMUNITY_HEAD, Role.COMMUNITY_WORKER}
# Full ID numbers and phones can be revealed (with a reason, audited) by those who work with the people.
REVEALER_ROLES = {Role.COMMUNITY_HEAD, Role.COMMUNITY_WORKER, Role.GRID_WORKER}


def can_view_registry(actor):
    return actor.is_authenticated and bool(actor_roles(actor) & READER_ROLES)


def reader_scope(actor):
    return actor_scope(actor, roles=READER_ROLES)


def _covers(scope, community_id, grid_id):
    return community_id in scope.community_ids or (grid_id is not None and grid_id in scope.grid_ids)


def writer_scope(actor):
    return actor_scope(actor, roles=WRITER_ROLES)


def can_register_anywhere(actor):
    """Whether the actor may register a household in at least one community or grid."""
    return actor.is_authenticated and not writer_scope(actor).is_empty


def can_edit_household(actor, household):
    return _covers(actor_scope(actor, roles=WRITER_ROLES), household.community_id, household.grid_id)


def can_register_in(actor, community_id, grid_id=None):
    return _covers(actor_scope(actor, roles=WRITER_ROLES), community_id, grid_id)


def can_import_into(actor, community_id):
    return community_id in actor_scope(actor, roles=IMPORTER_ROLES).community_ids


def can_reveal(actor, resident):
    return _covers(actor_scope(actor, roles=REVEALER_ROLES), resident.community_id, resident.grid_id)


def sensitive_community_ids(actor):
    """Communities whose sensitive tags the actor may see: a membership over the community, of a role that
    works with the people, explicitly granted access."""
    return {m.community_id for m in actor_memberships(actor)
            if m.sensitive_access and m.community_id and m.role in REVEALER_ROLES}


def can_view_sensitive(actor, community_id):
    return community_id in sensitive_community_ids(actor)


def can_import_anywhere(actor):
    """Whether the actor may import rosters into at least one community (shows the import button)."""
    return actor.is_authenticated and bool(actor_scope(actor, roles=IMPORTER_ROLES).community_ids)
