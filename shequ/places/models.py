from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shequ.core.models import CommunityOwned, TimeStampedModel

# Lazy: a validator's message reads in the language of the request that validates.
digits = RegexValidator(r"^\d+$", _("只能包含数字"))


class District(TimeStampedModel):
    name = models.CharField("区名称", max_length=50)
    code = models.CharField("区划代码", max_length=6, unique=True, validators=[digits])

    class Meta:
        verbose_name = "区"
        verbose_name_plural = "区"
        ordering = ["code"]

    def __str__(self):
        return self.name


class Street(TimeStampedModel):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="streets", verbose_name="区")
    name = models.CharField("街道名称", max_length=50)
    code = models.CharField("街道代码", max_length=9, unique=True, validators=[digits])

    class Meta:
        verbose_name = "街道"
        verbose_name_plural = "街道"
        ordering = ["code"]

    def __str__(self):
        return self.name


class Community(TimeStampedModel):
    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities", verbose_name="街道")
    name = models.CharField("社区名称", max_length=50)
    code = models.CharField(
        "社区代码",
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^\d{12}$", _("社区代码应为12位数字（统计用区划代码）"))],
    )
    address = models.CharField("居委会地址", max_length=200, blank=True)
    phone = models.CharField("办公电话", max_length=30, blank=True)
    # Kept current by the registry as households are registered and closed; read without a COUNT.
    household_count = models.PositiveIntegerField("户数", default=0)

    class Meta:
        verbose_name = "社区"
        verbose_name_plural = "社区"
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def community_id(self):
        return self.id

    @property
    def household_warning(self):
        """Law art. 6: a committee is set up for 100 to 700 households. We warn, never refuse."""
        low, high = settings.COMMUNITY_HOUSEHOLDS_MIN, settings.COMMUNITY_HOUSEHOLDS_MAX
        if low <= self.household_count <= high:
            return None
        return gettext("户数 %(count)s 超出《城市居民委员会组织法》第六条规定的 %(low)s—%(high)s 户范围，"
                       "请考虑调整社区规模") % {"count": f"{self.household_count:,}", "low": low, "high": high}


class ResidentGroup(CommunityOwned):
    name = models.CharField("居民小组名称", max_length=50)
    number = models.PositiveSmallIntegerField("组号")
    leader_name = models.CharField("组长", max_length=50, blank=True)

    class Meta:
        verbose_name = "居民小组"
        verbose_name_plural = "居民小组"
        ordering = ["community", "number"]
        constraints = [models.UniqueConstraint(fields=["community", "number"], name="group_number_unique")]

    def __str__(self):
        return self.name


class Grid(CommunityOwned):
    name = models.CharField("网格名称", max_length=50)
    code = models.CharField("网格编号", max_length=20)
    description = models.CharField("范围说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "网格"
        verbose_name_plural = "网格"
        ordering = ["community", "code"]
        constraints = [models.UniqueConstraint(fields=["community", "code"], name="grid_code_unique")]

    def __str__(self):
        return self.name


class Estate(CommunityOwned):
    name = models.CharField("小区名称", max_length=50)
    address = models.CharField("地址", max_length=200, blank=True)
    property_company = models.CharField("物业公司", max_length=100, blank=True)

    class Meta:
        verbose_name = "小区"
        verbose_name_plural = "小区"
        ordering = ["community", "name"]

    def __str__(self):
        return self.name


class Building(CommunityOwned):
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="buildings", verbose_name="小区")
    number = models.CharField("楼号", max_length=20, help_text="如 3 或 3号楼")
    floors = models.PositiveSmallIntegerField("层数", null=True, blank=True)
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="buildings", verbose_name="所属网格"
    )
    resident_group = models.ForeignKey(
        ResidentGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="buildings",
        verbose_name="所属居民小组",
    )

    class Meta:
        verbose_name = "楼栋"
        verbose_name_plural = "楼栋"
        ordering = ["estate", "number"]
        constraints = [models.UniqueConstraint(fields=["estate", "number"], name="building_number_unique")]

    def __str__(self):
        return f"{self.estate.name}{self.label}" if self.estate_id else self.label

    @property
    def label(self):
        return self.number if self.number.endswith("号楼") else f"{self.number}号楼"


class Entrance(CommunityOwned):
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="entrances", verbose_name="楼栋"
    )
    number = models.CharField("单元号", max_length=10)

    class Meta:
        verbose_name = "单元"
        verbose_name_plural = "单元"
        ordering = ["building", "number"]
        constraints = [models.UniqueConstraint(fields=["building", "number"], name="entrance_number_unique")]

    def __str__(self):
        return self.label

    @property
    def label(self):
        return self.number if self.number.endswith("单元") else f"{self.number}单元"
