"""Demo accounts, one per role, so every home page can be tried."""

from shequ.places.models import Grid

from .models import Membership, Role, User

DEMO_PASSWORD = "Shequ@2026"


def seed(street, communities):
    """Returns [(username, full name, role label, scope)] for printing."""
    first, *others = communities
    plan = [("jd_admin", "王建华", Role.STREET_ADMIN, {"street": street})]
    plan += _community_team("ahl", first, with_everyone=True)
    for prefix, community in zip(("yhy", "lyj"), others, strict=True):
        plan += _community_team(prefix, community, with_everyone=False)
    created = []
    for username, full_name, role, scope in plan:
        user, is_new = User.objects.get_or_create(username=username, defaults={"full_name": full_name})
        if is_new:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if scope.get("grid") is not None:
            scope["community"] = scope["grid"].community
        membership, _ = Membership.objects.get_or_create(user=user, role=role, is_active=True, **scope)
        # The demo heads may open sensitive care categories (health, resettlement, rehab) of their community.
        if role == Role.COMMUNITY_HEAD and not membership.sensitive_access:
            membership.sensitive_access = True
            membership.save(update_fields=["sensitive_access"])
        created.append((username, full_name, role.label, str(scope.get("grid") or scope.get("community") or street)))
    return created


def _community_team(prefix, community, *, with_everyone):
    first_grid = Grid.objects.filter(community=community).order_by("code").first()
    names = {"ahl": ("李秀英", "张伟", "刘洋", "陈静", "赵敏", "孙磊"),
             "yhy": ("周建国", "吴芳", "郑强", "", "", ""),
             "lyj": ("黄丽", "何军", "高峰", "", "", "")}[prefix]
    team = [
        (f"{prefix}_head", names[0], Role.COMMUNITY_HEAD, {"community": community}),
        (f"{prefix}_worker", names[1], Role.COMMUNITY_WORKER, {"community": community}),
        (f"{prefix}_grid", names[2], Role.GRID_WORKER, {"grid": first_grid}),
    ]
    if with_everyone:
        team += [
            (f"{prefix}_supervisor", names[3], Role.SUPERVISOR, {"community": community}),
            (f"{prefix}_resident", names[4], Role.RESIDENT, {"community": community}),
            (f"{prefix}_volunteer", names[5], Role.VOLUNTEER, {"community": community}),
        ]
    return team
