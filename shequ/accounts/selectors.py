from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from shequ.core.errors import NotFound
from shequ.core.scoping import actor_memberships, actor_scope

from .models import ROLE_PRIORITY, ApiToken, FailedLogin, Membership, User
from .permissions import TOKEN_MANAGER_ROLES, can_manage_tokens

SESSION_MEMBERSHIP_KEY = "shequ_membership_id"


def default_membership(memberships):
    ranked = sorted(memberships, key=lambda m: ROLE_PRIORITY.index(m.role))
    return ranked[0] if ranked else None


def active_membership(request):
    """The membership the user is acting in now: chosen in the session, else the widest one."""
    if not hasattr(request, "_shequ_active_membership"):
        memberships = actor_memberships(request.user)
        chosen_id = request.session.get(SESSION_MEMBERSHIP_KEY)
        chosen = next((m for m in memberships if m.id == chosen_id), None)
        request._shequ_active_membership = chosen or default_membership(memberships)
    return request._shequ_active_membership


def membership_list_for(actor):
    return sorted(actor_memberships(actor), key=lambda m: ROLE_PRIORITY.index(m.role))


def login_is_throttled(username, ip):
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    limit = settings.LOGIN_FAILURE_LIMIT
    recent = FailedLogin.objects.filter(at__gte=since)
    by_user = recent.filter(username=username.lower())[:limit].count() >= limit
    # A single address trying many names is throttled at a higher bar (shared office NAT).
    by_ip = bool(ip) and recent.filter(ip=ip)[: limit * 4].count() >= limit * 4
    return by_user or by_ip


def manageable_users(actor):
    """Users whose memberships lie inside the scope where the actor manages tokens. A token acts with
    every membership of its user, so a user also active elsewhere (or a superuser) is not manageable:
    a token for him would reach beyond the actor's own scope."""
    if actor.is_superuser:
        return User.objects.filter(is_active=True).order_by("username")
    scope = actor_scope(actor, roles=TOKEN_MANAGER_ROLES)
    inside = Q(community_id__in=scope.community_ids) | Q(street_id__in=scope.street_ids)
    in_scope = Q(memberships__community_id__in=scope.community_ids) | Q(memberships__street_id__in=scope.street_ids)
    elsewhere = Membership.objects.filter(is_active=True).exclude(inside).values("user_id")
    return (
        User.objects.filter(in_scope, is_active=True, is_superuser=False)
        .exclude(id__in=elsewhere)
        .distinct()
        .order_by("username")
    )


def token_owner_choices(actor):
    """The accounts the token form offers as a token's owner: the manageable users (residents and volunteers
    included, as the rules allow), each with its active memberships (`active_memberships`) to name its roles,
    in one more query however many there are."""
    active = Membership.objects.filter(is_active=True).order_by("id")
    return manageable_users(actor).prefetch_related(Prefetch("memberships", queryset=active,
                                                             to_attr="active_memberships"))


def api_token_list(actor):
    if not can_manage_tokens(actor):
        return ApiToken.objects.none()
    visible = Q(created_by=actor) | Q(user__in=manageable_users(actor).values("id"))
    return ApiToken.objects.filter(visible).select_related("user", "created_by").order_by("-id")


def api_token_get(actor, token_id):
    token = api_token_list(actor).filter(id=token_id).first()
    if token is None:
        raise NotFound()
    return token


def manageable_user_get(actor, user_id):
    user = manageable_users(actor).filter(id=user_id).first()
    if user is None:
        raise NotFound("未找到该用户")
    return user
