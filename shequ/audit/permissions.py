from shequ.accounts.models import Role
from shequ.core.scoping import actor_scope

AUDIT_READER_ROLES = {Role.STREET_ADMIN, Role.COMMUNITY_HEAD, Role.SUPERVISOR}


def audit_scope(actor):
    return actor_scope(actor, roles=AUDIT_READER_ROLES)


def can_read_audit(actor):
    return actor.is_authenticated and (actor.is_superuser or not audit_scope(actor).is_empty)
