from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_noop


class Role(models.TextChoices):
    """The labels stay Chinese (the API gives them as they are); pages translate them when they show them."""

    STREET_ADMIN = "street_admin", gettext_noop("街道管理员")
    COMMUNITY_HEAD = "community_head", gettext_noop("社区书记/主任")
    COMMUNITY_WORKER = "community_worker", gettext_noop("社区工作者")
    GRID_WORKER = "grid_worker", gettext_noop("网格员")
    SUPERVISOR = "supervisor", gettext_noop("居务监督委员会成员")
    RESIDENT = "resident", gettext_noop("居民")
    VOLUNTEER = "volunteer", gettext_noop("志愿者")


# The role a user with several memberships lands on first: the widest responsibility.
ROLE_PRIORITY = [
    Role.STREET_ADMIN,
    Role.COMMUNITY_HEAD,
    Role.COMMUNITY_WORKER,
    Role.GRID_WORKER,
    Role.SUPERVISOR,
    Role.VOLUNTEER,
    Role.RESIDENT,
]
STREET_ROLES = [Role.STREET_ADMIN]
GRID_ROLES = [Role.GRID_WORKER]
COMMUNITY_ROLES = [role for role in Role if role not in STREET_ROLES + GRID_ROLES]


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.full_name or self.username


class Membership(models.Model):
    """A role held over one scope: a street, a community, or a grid (whose community is kept too)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name="用户")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    street = models.ForeignKey("places.Street", null=True, blank=True, on_delete=models.PROTECT, verbose_name="街道")
    community = models.ForeignKey(
        "places.Community", null=True, blank=True, on_delete=models.PROTECT, verbose_name="社区"
    )
    grid = models.ForeignKey("places.Grid", null=True, blank=True, on_delete=models.PROTECT, verbose_name="网格")
    is_active = models.BooleanField("有效", default=True)
    # Sensitive personal information (health, resettlement, rehab) is opened per membership, never by role alone.
    sensitive_access = models.BooleanField("可查看敏感信息", default=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "角色任职"
        verbose_name_plural = "角色任职"
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    Q(role__in=[r.value for r in STREET_ROLES], street__isnull=False, community__isnull=True, grid__isnull=True)
                    | Q(role__in=[r.value for r in GRID_ROLES], street__isnull=True, community__isnull=False, grid__isnull=False)
                    | Q(
                        role__in=[r.value for r in COMMUNITY_ROLES],
                        street__isnull=True,
                        community__isnull=False,
                        grid__isnull=True,
                    )
                ),
            ),
        ]
        indexes = [models.Index(fields=["community", "role"])]

    def __str__(self):
        return f"{self.get_role_display()} · {self.scope_label}"

    @property
    def scope_label(self):
        return str(self.grid or self.community or self.street)


class ApiToken(models.Model):
    """A bearer token for integrations. Only a hash is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name="所属用户")
    name = models.CharField("名称", max_length=100)
    prefix = models.CharField("前缀", max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="撤销人"
    )

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class FailedLogin(models.Model):
    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["username", "at"]), models.Index(fields=["ip", "at"])]

    def __str__(self):
        return f"{self.username} @ {self.ip}"
