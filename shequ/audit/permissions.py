from shequ.accounts.models import Role
from shequ.core.scoping import actor_memberships, actor_scope

AUDIT_READER_ROLES = {Role.STREET_ADMIN, Role.COMMUNITY_HEAD, Role.SUPERVISOR}


def audit_scope(actor):
    return actor_scope(actor, roles=AUDIT_READER_ROLES)


def can_read_audit(actor):
    return actor.is_authenticated and (actor.is_superuser or not audit_scope(actor).is_empty)


def sensitive_community_ids(actor):
    """Communities whose sensitive events the actor may read: a reader's membership over the community
    that was explicitly granted sensitive access (never a role alone, nor a street)."""
    return {m.community_id for m in actor_memberships(actor)
            if m.sensitive_access and m.community_id and m.role in AUDIT_READER_ROLES}
