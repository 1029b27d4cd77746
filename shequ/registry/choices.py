"""The registry's fixed vocabularies, as rosters and statistical forms write them.

The Chinese labels are data as well as text: the roster import matches them, exports and the audit write them.
They are only marked for the catalogue (gettext_noop returns them unchanged); a page translates one when it
shows it (`{% trans resident.get_sex_display %}`, gettext(label))."""

from django.db import models

from shequ.core.i18n import gettext_noop


class HouseholdType(models.TextChoices):
    RESIDENT = "resident", gettext_noop("常住")
    FLOATING = "floating", gettext_noop("流动")
    SEPARATED = "separated", gettext_noop("人户分离")
    NOMINAL = "nominal", gettext_noop("空挂户")


class Housing(models.TextChoices):
    OWNED = "owned", gettext_noop("自有")
    RENTED = "rented", gettext_noop("租住")
    DORMITORY = "dormitory", gettext_noop("单位宿舍")


class HouseholdStatus(models.TextChoices):
    LIVING = "living", gettext_noop("在住")
    MOVED_OUT = "moved_out", gettext_noop("已迁出")
    CLOSED = "closed", gettext_noop("注销")


# A list's status filter for every status (moved out and deceased residents, households gone, as well).
ANY_STATUS = "all"


class ResidentStatus(models.TextChoices):
    PRESENT = "present", gettext_noop("在册")
    MOVED_OUT = "moved_out", gettext_noop("已迁出")
    DECEASED = "deceased", gettext_noop("已故")


class ResidenceStatus(models.TextChoices):
    LOCAL = "local", gettext_noop("户籍在本社区")
    SEPARATED = "separated", gettext_noop("人户分离")
    FLOATING = "floating", gettext_noop("流动人口")


class Sex(models.TextChoices):
    MALE = "M", gettext_noop("男")
    FEMALE = "F", gettext_noop("女")


class Relation(models.TextChoices):
    HEAD = "head", gettext_noop("户主")
    SPOUSE = "spouse", gettext_noop("配偶")
    CHILD = "child", gettext_noop("子女")
    PARENT = "parent", gettext_noop("父母")
    GRANDPARENT = "grandparent", gettext_noop("祖父母/外祖父母")
    GRANDCHILD = "grandchild", gettext_noop("孙子女/外孙子女")
    SIBLING = "sibling", gettext_noop("兄弟姐妹")
    CHILD_IN_LAW = "child_in_law", gettext_noop("媳婿")
    OTHER_RELATIVE = "relative", gettext_noop("其他亲属")
    TENANT = "tenant", gettext_noop("租户/非亲属")


class PoliticalStatus(models.TextChoices):
    CPC = "cpc", gettext_noop("中共党员")
    CPC_PROBATIONARY = "cpc_probationary", gettext_noop("中共预备党员")
    CYL = "cyl", gettext_noop("共青团员")
    DEMOCRATIC_PARTY = "democratic", gettext_noop("民主党派")
    MASSES = "masses", gettext_noop("群众")


class Education(models.TextChoices):
    NONE = "none", gettext_noop("未上学")
    PRIMARY = "primary", gettext_noop("小学")
    JUNIOR = "junior", gettext_noop("初中")
    SENIOR = "senior", gettext_noop("高中/中专")
    COLLEGE = "college", gettext_noop("大专")
    BACHELOR = "bachelor", gettext_noop("本科")
    POSTGRADUATE = "postgraduate", gettext_noop("研究生")


class Employment(models.TextChoices):
    EMPLOYED = "employed", gettext_noop("在职")
    SELF_EMPLOYED = "self_employed", gettext_noop("个体经营")
    UNEMPLOYED = "unemployed", gettext_noop("失业")
    RETIRED = "retired", gettext_noop("离退休")
    STUDENT = "student", gettext_noop("在校学生")
    PRESCHOOL = "preschool", gettext_noop("学龄前")
    OTHER = "other", gettext_noop("其他")


class MaritalStatus(models.TextChoices):
    SINGLE = "single", gettext_noop("未婚")
    MARRIED = "married", gettext_noop("已婚")
    DIVORCED = "divorced", gettext_noop("离婚")
    WIDOWED = "widowed", gettext_noop("丧偶")


ETHNIC_GROUPS = [
    gettext_noop("汉族"), gettext_noop("蒙古族"), gettext_noop("回族"), gettext_noop("藏族"),
    gettext_noop("维吾尔族"), gettext_noop("苗族"), gettext_noop("彝族"), gettext_noop("壮族"),
    gettext_noop("布依族"), gettext_noop("朝鲜族"), gettext_noop("满族"), gettext_noop("侗族"),
    gettext_noop("瑶族"), gettext_noop("白族"), gettext_noop("土家族"), gettext_noop("哈尼族"),
    gettext_noop("哈萨克族"), gettext_noop("傣族"), gettext_noop("黎族"), gettext_noop("傈僳族"),
    gettext_noop("佤族"), gettext_noop("畲族"), gettext_noop("高山族"), gettext_noop("拉祜族"),
    gettext_noop("水族"), gettext_noop("东乡族"), gettext_noop("纳西族"), gettext_noop("景颇族"),
    gettext_noop("柯尔克孜族"), gettext_noop("土族"), gettext_noop("达斡尔族"), gettext_noop("仫佬族"),
    gettext_noop("羌族"), gettext_noop("布朗族"), gettext_noop("撒拉族"), gettext_noop("毛南族"),
    gettext_noop("仡佬族"), gettext_noop("锡伯族"), gettext_noop("阿昌族"), gettext_noop("普米族"),
    gettext_noop("塔吉克族"), gettext_noop("怒族"), gettext_noop("乌孜别克族"), gettext_noop("俄罗斯族"),
    gettext_noop("鄂温克族"), gettext_noop("德昂族"), gettext_noop("保安族"), gettext_noop("裕固族"),
    gettext_noop("京族"), gettext_noop("塔塔尔族"), gettext_noop("独龙族"), gettext_noop("鄂伦春族"),
    gettext_noop("赫哲族"), gettext_noop("门巴族"), gettext_noop("珞巴族"), gettext_noop("基诺族"),
]
Ethnicity = models.TextChoices("Ethnicity", [(name, name) for name in ETHNIC_GROUPS])


class RegistrationDue(models.TextChoices):
    """Where a floating resident's 居住登记 stands, for the list's filter and the home page's reminders."""
    EXPIRED = "expired", gettext_noop("居住登记已过期")
    SOON = "soon", gettext_noop("居住登记30天内到期")


REGISTRATION_DUE_DAYS = 30


class TagKind(models.TextChoices):
    LIVING_ALONE = "living_alone", gettext_noop("独居")
    EMPTY_NEST = "empty_nest", gettext_noop("空巢")
    DISABLED = "disabled", gettext_noop("残疾")
    DIBAO = "dibao", gettext_noop("低保")
    LOW_INCOME = "low_income", gettext_noop("低收入")
    TEKUN = "tekun", gettext_noop("特困")
    VETERAN = "veteran", gettext_noop("优抚对象（退役军人）")
    MILITARY_FAMILY = "military_family", gettext_noop("优抚对象（军属）")
    MINOR_CARE = "minor_care", gettext_noop("困境未成年人")
    HEALTH = "health", gettext_noop("健康状况（含严重精神障碍）")
    RESETTLEMENT = "resettlement", gettext_noop("安置帮教")
    DRUG_REHAB = "drug_rehab", gettext_noop("社区戒毒")


# Sensitive personal information under PIPL art. 28: encrypted, shown only to roles granted it,
# every view audited.
SENSITIVE_TAGS = frozenset({TagKind.HEALTH, TagKind.RESETTLEMENT, TagKind.DRUG_REHAB})

# The fields each tag kind carries, with their labels (all optional text).
# Details chosen from a list (as certificates write them), and details that are dates; the rest are free text.
TAG_FIELD_OPTIONS = {
    "category": {TagKind.DISABLED: [gettext_noop(o) for o in ("视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾",
                                                               "精神残疾", "多重残疾")]},
    "grade": {TagKind.DISABLED: [gettext_noop(o) for o in ("一级", "二级", "三级", "四级")]},
}
TAG_DATE_FIELDS = frozenset({"start", "end", "released_on"})
TAG_FIELDS = {
    TagKind.DISABLED: {"certificate": "残疾证号", "category": "残疾类别", "grade": "残疾等级"},
    TagKind.DIBAO: {"certificate": "低保证号", "start": "起始日期", "end": "截止日期"},
    TagKind.LOW_INCOME: {"certificate": "证件号", "start": "起始日期", "end": "截止日期"},
    TagKind.TEKUN: {"certificate": "特困证号", "start": "起始日期", "end": "截止日期"},
    TagKind.VETERAN: {"category": "优抚类别", "certificate": "证件号"},
    TagKind.MILITARY_FAMILY: {"category": "优抚类别", "certificate": "证件号"},
    TagKind.MINOR_CARE: {"situation": "困境情形", "guardian": "监护人"},
    TagKind.HEALTH: {"condition": "健康状况", "severe_mental": "是否严重精神障碍", "doctor": "签约医生"},
    TagKind.RESETTLEMENT: {"released_on": "释放日期", "helper": "帮教责任人"},
    TagKind.DRUG_REHAB: {"start": "起始日期", "end": "截止日期", "helper": "帮扶责任人"},
    TagKind.LIVING_ALONE: {"contact": "紧急联系人"},
    TagKind.EMPTY_NEST: {"contact": "紧急联系人"},
}
