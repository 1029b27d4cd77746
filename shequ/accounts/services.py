import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shequ.audit.services import audit_record
from shequ.core.errors import ApplicationError, Forbidden

from .models import ApiToken, FailedLogin, Membership, User
from .permissions import can_manage_tokens

TOKEN_PREFIX = "sq_"


def _hash_token(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def user_create(*, actor, username, password, full_name=""):
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(gettext("用户名“%(username)s”已被使用") % {"username": username}, code="duplicate",
                               details={"username": [gettext("已被使用")]})
    user = User.objects.create_user(username=username, password=password, full_name=full_name)
    audit_record(actor, "create", user, details={"username": username, "full_name": full_name})
    return user


@transaction.atomic
def membership_grant(*, actor, user, role, street=None, community=None, grid=None):
    if grid is not None:
        community = grid.community
    membership = Membership(user=user, role=role, street=street, community=community, grid=grid)
    membership.full_clean()
    membership.save()
    audit_record(
        actor, "membership_grant", user,
        community_id=membership.community_id, street_id=membership.street_id,
        details={"role": role, "scope": membership.scope_label},
    )
    return membership


@transaction.atomic
def membership_revoke(*, actor, membership):
    membership.is_active = False
    membership.ended_at = timezone.now()
    membership.save(update_fields=["is_active", "ended_at"])
    audit_record(
        actor, "membership_revoke", membership.user,
        community_id=membership.community_id, street_id=membership.street_id,
        details={"role": membership.role, "scope": membership.scope_label},
    )


@transaction.atomic
def api_token_create(*, actor, user, name):
    """Returns the token row and the raw token, which is shown once and never stored."""
    if not can_manage_tokens(actor):
        raise Forbidden(gettext("只有社区书记/主任或街道管理员可以创建 API 令牌"))
    name = (name or "").strip()
    if not name:
        raise ApplicationError(gettext("请填写令牌名称"), details={"name": [gettext("必填")]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[: len(TOKEN_PREFIX) + 6], key_hash=_hash_token(raw), created_by=actor
    )
    audit_record(actor, "token_create", user, details={"token": token.prefix, "name": name}, **_audit_scope(user))
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor, token):
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(actor, "token_revoke", token.user, details={"token": token.prefix, "name": token.name},
                 **_audit_scope(token.user))
    return token


def api_token_authenticate(raw):
    """The user behind a live token, or None. Marks the token used (at most once a minute)."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash_token(raw), revoked_at=None).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def login_failure_record(*, username, ip):
    FailedLogin.objects.create(username=username.lower(), ip=ip)


def _audit_scope(user):
    """Where events about a user belong: the community (or street) of his widest active membership, so
    the heads and supervisors there see them."""
    from .selectors import default_membership

    membership = default_membership(list(user.memberships.filter(is_active=True)))
    return {"community_id": getattr(membership, "community_id", None),
            "street_id": getattr(membership, "street_id", None)}


@transaction.atomic
def login_success_record(*, user, ip):
    FailedLogin.objects.filter(username=user.username.lower()).delete()
    audit_record(user, "login", user, details={"ip": ip}, **_audit_scope(user))
