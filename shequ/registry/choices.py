"""The registry's fixed vocabularies, as rosters and statistical forms write them."""

from django.db import models


class HouseholdType(models.TextChoices):
    RESIDENT = "resident", "常住"
    FLOATING = "floating", "流动"
    SEPARATED = "separated", "人户分离"
    NOMINAL = "nominal", "空挂户"


class Housing(models.TextChoices):
    OWNED = "owned", "自有"
    RENTED = "rented", "租住"
    DORMITORY = "dormitory", "单位宿舍"


class HouseholdStatus(models.TextChoices):
    LIVING = "living", "在住"
    MOVED_OUT = "moved_out", "已迁出"
    CLOSED = "closed", "注销"


class ResidentStatus(models.TextChoices):
    PRESENT = "present", "在册"
    MOVED_OUT = "moved_out", "已迁出"
    DECEASED = "deceased", "已故"


class ResidenceStatus(models.TextChoices):
    LOCAL = "local", "户籍在本社区"
    SEPARATED = "separated", "人户分离"
    FLOATING = "floating", "流动人口"


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    CHILD = "child", "子女"
    PARENT = "parent", "父母"
    GRANDPARENT = "grandparent", "祖父母/外祖父母"
    GRANDCHILD = "grandchild", "孙子女/外孙子女"
    SIBLING = "sibling", "兄弟姐妹"
    CHILD_IN_LAW = "child_in_law", "媳婿"
    OTHER_RELATIVE = "relative", "其他亲属"
    TENANT = "tenant", "租户/非亲属"


class PoliticalStatus(models.TextChoices):
    CPC = "cpc", "中共党员"
    CPC_PROBATIONARY = "cpc_probationary", "中共预备党员"
    CYL = "cyl", "共青团员"
    DEMOCRATIC_PARTY = "democratic", "民主党派"
    MASSES = "masses", "群众"


class Education(models.TextChoices):
    NONE = "none", "未上学"
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中/中专"
    COLLEGE = "college", "大专"
    BACHELOR = "bachelor", "本科"
    POSTGRADUATE = "postgraduate", "研究生"


class Employment(models.TextChoices):
    EMPLOYED = "employed", "在职"
    SELF_EMPLOYED = "self_employed", "个体经营"
    UNEMPLOYED = "unemployed", "失业"
    RETIRED = "retired", "离退休"
    STUDENT = "student", "在校学生"
    PRESCHOOL = "preschool", "学龄前"
    OTHER = "other", "其他"


class MaritalStatus(models.TextChoices):
    SINGLE = "single", "未婚"
    MARRIED = "married", "已婚"
    DIVORCED = "divorced", "离婚"
    WIDOWED = "widowed", "丧偶"


ETHNIC_GROUPS = [
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族",
    "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族",
    "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族",
    "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族",
    "德昂族", "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
]
Ethnicity = models.TextChoices("Ethnicity", [(name, name) for name in ETHNIC_GROUPS])


class TagKind(models.TextChoices):
    LIVING_ALONE = "living_alone", "独居"
    EMPTY_NEST = "empty_nest", "空巢"
    DISABLED = "disabled", "残疾"
    DIBAO = "dibao", "低保"
    LOW_INCOME = "low_income", "低收入"
    TEKUN = "tekun", "特困"
    VETERAN = "veteran", "优抚对象（退役军人）"
    MILITARY_FAMILY = "military_family", "优抚对象（军属）"
    MINOR_CARE = "minor_care", "困境未成年人"
    HEALTH = "health", "健康状况（含严重精神障碍）"
    RESETTLEMENT = "resettlement", "安置帮教"
    DRUG_REHAB = "drug_rehab", "社区戒毒"


# Sensitive personal information under PIPL art. 28: encrypted, shown only to roles granted it,
# every view audited.
SENSITIVE_TAGS = frozenset({TagKind.HEALTH, TagKind.RESETTLEMENT, TagKind.DRUG_REHAB})

# The fields each tag kind carries, with their labels (all optional text).
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
