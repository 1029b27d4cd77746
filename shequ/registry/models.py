"""Households and residents. ID numbers, phones and sensitive tag details are stored only encrypted,
with keyed hashes for exact and last-digits search and a masked copy for lists."""

from django.db import models
from django.utils.translation import gettext_noop

from shequ.core.crypto import BLIND_INDEX_HEX_CHARS
from shequ.core.models import CommunityOwned

from .choices import (
    Education,
    Employment,
    Ethnicity,
    HouseholdStatus,
    HouseholdType,
    Housing,
    MaritalStatus,
    PoliticalStatus,
    Relation,
    ResidenceStatus,
    ResidentStatus,
    Sex,
    TagKind,
)


class Household(CommunityOwned):
    # Not indexed alone: household_number_unique and the (community, building, room) index start with it.
    community = models.ForeignKey("places.Community", on_delete=models.PROTECT, verbose_name="社区", db_index=False)
    number = models.CharField("户号", max_length=32)
    estate = models.ForeignKey("places.Estate", on_delete=models.PROTECT, verbose_name="小区")
    building = models.ForeignKey("places.Building", on_delete=models.PROTECT, verbose_name="楼栋")
    entrance = models.ForeignKey("places.Entrance", null=True, blank=True, on_delete=models.PROTECT,
                                 verbose_name="单元")
    room = models.CharField("门牌/室号", max_length=20, blank=True)
    address = models.CharField("地址", max_length=200, db_index=False, help_text="由小区、楼栋、单元和室号生成")
    household_type = models.CharField("户类型", max_length=16, choices=HouseholdType.choices,
                                      default=HouseholdType.RESIDENT)
    housing = models.CharField("住房性质", max_length=16, choices=Housing.choices, default=Housing.OWNED)
    phone_enc = models.CharField(max_length=120, blank=True)
    phone_hash = models.CharField(max_length=BLIND_INDEX_HEX_CHARS, blank=True, db_index=True)
    phone_masked = models.CharField("联系电话", max_length=20, blank=True)
    grid = models.ForeignKey("places.Grid", null=True, blank=True, on_delete=models.PROTECT, verbose_name="网格",
                             db_index=False)  # the (grid, status) index serves
    resident_group = models.ForeignKey("places.ResidentGroup", null=True, blank=True, on_delete=models.PROTECT,
                                       verbose_name="居民小组")
    # Set when a worker chose grid/group by hand; otherwise they follow the building.
    placement_overridden = models.BooleanField(default=False)
    status = models.CharField("状态", max_length=16, choices=HouseholdStatus.choices,
                              default=HouseholdStatus.LIVING)
    registered_on = models.DateField("登记日期", null=True, blank=True)
    status_changed_on = models.DateField("状态变更日期", null=True, blank=True)
    member_count = models.PositiveSmallIntegerField("在册人数", default=0)

    class Meta:
        verbose_name = "户"
        verbose_name_plural = "户"
        constraints = [models.UniqueConstraint(fields=["community", "number"], name="household_number_unique")]
        indexes = [
            models.Index(fields=["community", "building", "room"]),
            models.Index(fields=["grid", "status"]),
        ]

    def __str__(self):
        return f"{self.number} {self.address}"


class Resident(CommunityOwned):
    # Community, grid and building are indexed only as (place, id), below: a list of one place is then read
    # in id order, page by page, and every further index is one more tree a million imported rows go into.
    community = models.ForeignKey("places.Community", on_delete=models.PROTECT, verbose_name="社区", db_index=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members", verbose_name="户")
    # Copied from the household so lists filter and scope on one table without a join.
    grid = models.ForeignKey("places.Grid", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name="网格", db_index=False)
    resident_group = models.ForeignKey("places.ResidentGroup", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name="居民小组")
    building = models.ForeignKey("places.Building", null=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name="楼栋", db_index=False)

    name = models.CharField("姓名", max_length=50)
    name_pinyin = models.CharField("姓名全拼", max_length=120)
    name_initials = models.CharField("姓名首字母", max_length=50)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    ethnicity = models.CharField("民族", max_length=10, choices=Ethnicity.choices, default="汉族")

    id_number_enc = models.CharField(max_length=120, blank=True)
    id_number_hash = models.CharField(max_length=BLIND_INDEX_HEX_CHARS, blank=True)
    id_tail4_hash = models.CharField(max_length=BLIND_INDEX_HEX_CHARS, blank=True)
    id_tail6_hash = models.CharField(max_length=BLIND_INDEX_HEX_CHARS, blank=True)
    id_number_masked = models.CharField("身份证号", max_length=18, blank=True)
    phone_enc = models.CharField(max_length=120, blank=True)
    phone_hash = models.CharField(max_length=BLIND_INDEX_HEX_CHARS, blank=True)
    phone_tail4_hash = models.CharField(max_length=BLIND_INDEX_HEX_CHARS, blank=True)
    phone_masked = models.CharField("手机号", max_length=20, blank=True)

    relation = models.CharField("与户主关系", max_length=16, choices=Relation.choices, default=Relation.HEAD)
    residence_status = models.CharField("居住状况", max_length=16, choices=ResidenceStatus.choices,
                                        default=ResidenceStatus.LOCAL)
    # Marked for the catalogue, as the history of a correction names the field (registry_history).
    floating_registered_on = models.DateField(gettext_noop("流动人口登记日期"), null=True, blank=True)
    floating_expires_on = models.DateField(gettext_noop("居住登记有效期至"), null=True, blank=True)
    political_status = models.CharField("政治面貌", max_length=20, choices=PoliticalStatus.choices, blank=True)
    education = models.CharField("文化程度", max_length=20, choices=Education.choices, blank=True)
    employment = models.CharField("就业状况", max_length=20, choices=Employment.choices, blank=True)
    marital_status = models.CharField("婚姻状况", max_length=20, choices=MaritalStatus.choices, blank=True)
    status = models.CharField("状态", max_length=16, choices=ResidentStatus.choices, default=ResidentStatus.PRESENT)
    moved_in_on = models.DateField("迁入日期", null=True, blank=True)
    moved_out_on = models.DateField("迁出日期", null=True, blank=True)
    died_on = models.DateField("死亡日期", null=True, blank=True)
    notes = models.TextField("备注", blank=True)  # numbers in it masked; the whole text in notes_enc
    notes_enc = models.TextField(blank=True)

    class Meta:
        verbose_name = "居民"
        verbose_name_plural = "居民"
        indexes = [
            models.Index(fields=["community", "name_initials"]),
            models.Index(fields=["community", "name_pinyin"]),
            models.Index(fields=["community", "birth_date"]),
            models.Index(fields=["id_number_hash"]),
            # Last six digits and a whole mobile are looked up in the last four's index, which carries the hash
            # they are compared with: two indexes fewer to sort after a large import, and no row read to compare.
            models.Index(fields=["community", "id_tail4_hash", "id_tail6_hash"]),
            models.Index(fields=["community", "phone_tail4_hash", "phone_hash"]),
            # Floating residents only (about one in ten): the 居住登记 due filter and the home page's reminders.
            models.Index(fields=["community", "floating_expires_on"], name="registry_re_floating_due",
                         condition=models.Q(floating_expires_on__isnull=False)),
            models.Index(fields=["community", "id"]),
            models.Index(fields=["grid", "id"]),
            models.Index(fields=["building", "id"]),
        ]

    def __str__(self):
        return self.name


class NameGram(models.Model):
    """The two characters from each position of each resident's name, the last position giving the final
    character alone (张建国: 张建, 建国, 国; pinyin.name_grams), so "建国" anywhere in a name is an index lookup
    and "王" a range of it (the pieces starting with 王) instead of a scan of a million names.

    The key (community, piece, resident) is the whole row: on SQLite the table is WITHOUT ROWID
    (migration 0003), one tree to write per piece instead of a table and two indexes. Pieces are derived
    data written only beside their resident (services.write_name_grams, bulk, imports), so the resident
    column carries no database constraint or index of its own."""

    pk = models.CompositePrimaryKey("community_id", "gram", "resident_id")
    community_id = models.BigIntegerField()
    gram = models.CharField(max_length=2)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="name_grams", db_index=False,
                                 db_constraint=False)

    def __str__(self):
        return self.gram


class ResidentTag(CommunityOwned):
    """A care category (重点人群) on a resident. Sensitive kinds keep their details only encrypted."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="tags", verbose_name="居民")
    kind = models.CharField("类别", max_length=32, choices=TagKind.choices)
    sensitive = models.BooleanField(default=False)
    details = models.JSONField("详情", default=dict, blank=True)
    details_enc = models.TextField(blank=True)
    active = models.BooleanField("有效", default=True)
    started_on = models.DateField("起始日期", null=True, blank=True)
    ended_on = models.DateField("结束日期", null=True, blank=True)

    class Meta:
        verbose_name = "重点人群标签"
        verbose_name_plural = "重点人群标签"
        indexes = [models.Index(fields=["community", "kind", "active"])]
        constraints = [
            models.UniqueConstraint(fields=["resident", "kind"], condition=models.Q(active=True),
                                    name="one_active_tag_per_kind"),
        ]

    def __str__(self):
        return self.get_kind_display()


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", gettext_noop("已上传")
    MAPPED = "mapped", gettext_noop("已对应列")
    PREVIEWING = "previewing", gettext_noop("预检中")
    PREVIEWED = "previewed", gettext_noop("已预检")
    QUEUED = "queued", gettext_noop("排队中")
    RUNNING = "running", gettext_noop("导入中")
    DONE = "done", gettext_noop("已完成")
    FAILED = "failed", gettext_noop("失败")
    CANCELLED = "cancelled", gettext_noop("已取消")


class DuplicatePolicy(models.TextChoices):
    UPDATE = "update", "更新已有居民"
    REPORT = "report", "列为问题行，不导入"


class ImportJob(CommunityOwned):
    """One roster import: upload → column mapping → preview → commit, with progress and cancel."""

    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                   verbose_name="导入人")
    file_name = models.CharField("文件名", max_length=200)
    file = models.FileField(upload_to="imports/%Y/%m/")
    status = models.CharField("状态", max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    header_row = models.PositiveIntegerField("表头行", default=1)
    headers = models.JSONField("表头", default=list)
    mapping = models.JSONField("列对应", default=dict)
    duplicate_policy = models.CharField("重复身份证号", max_length=8, choices=DuplicatePolicy.choices,
                                        default=DuplicatePolicy.REPORT)
    total_rows = models.PositiveIntegerField("总行数", default=0)
    processed_rows = models.PositiveIntegerField("已处理", default=0)
    applied_rows = models.PositiveIntegerField("已导入", default=0)
    rejected_rows = models.PositiveIntegerField("问题行", default=0)
    problems = models.JSONField("问题", default=list)
    rejected_file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    cancel_requested = models.BooleanField(default=False)
    error_message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"

    def __str__(self):
        return self.file_name


class ExportKind(models.TextChoices):
    RESIDENT_LIST = "resident_list", gettext_noop("居民名单")
    ROSTER = "roster", gettext_noop("花名册")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", gettext_noop("排队中")
    RUNNING = "running", gettext_noop("导出中")
    DONE = "done", gettext_noop("已完成")
    FAILED = "failed", gettext_noop("失败")
    CANCELLED = "cancelled", gettext_noop("已取消")


class ExportJob(CommunityOwned):
    """One export too large for the request: written in the background with progress and cancel, then kept
    for its creator alone to download until it expires (one with full values only until its first download)."""

    # The one community exported, or null for several; with the street, what scopes the job's audit event.
    community = models.ForeignKey("places.Community", null=True, blank=True, on_delete=models.PROTECT,
                                  verbose_name="社区")
    street = models.ForeignKey("places.Street", null=True, blank=True, on_delete=models.PROTECT,
                               verbose_name="街道")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                   verbose_name="导出人")
    kind = models.CharField("导出内容", max_length=16, choices=ExportKind.choices)
    filters = models.JSONField("筛选条件", default=dict)
    full_values = models.BooleanField("含完整身份证号和手机号", default=False)
    reveal_reason = models.CharField("导出完整信息的原因", max_length=200, blank=True)
    status = models.CharField("状态", max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    total_rows = models.PositiveIntegerField("总行数", default=0)
    processed_rows = models.PositiveIntegerField("已处理", default=0)
    file_name = models.CharField("文件名", max_length=200, blank=True)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    error_message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField("首次下载时间", null=True, blank=True)

    class Meta:
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"

    def __str__(self):
        return self.file_name or self.get_kind_display()


# What the resident list and search read: their planner statistics are refreshed after a bulk write.
SEARCHED_MODELS = (Household, Resident, NameGram, ResidentTag)
