from .models import Role

TOKEN_MANAGER_ROLES = {Role.STREET_ADMIN, Role.COMMUNITY_HEAD}


def can_manage_tokens(actor):
    from shequ.core.scoping import actor_roles

    return actor.is_authenticated and (actor.is_superuser or bool(actor_roles(actor) & TOKEN_MANAGER_ROLES))
