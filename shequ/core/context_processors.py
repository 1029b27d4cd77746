from shequ.accounts.selectors import active_membership
from shequ.core.navigation import visible_items


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_items": visible_items(user, getattr(request, "resolver_match", None)),
        "active_membership": active_membership(request),
    }
