"""Realistic, deterministic registry data for the demo seed and the benchmarks (one generator for both).

`households(seed=…)` yields households as plain dicts, each with its members as plain dicts:

    {"household_type": "resident", "housing": "owned", "registered_on": date, "phone": "139…",
     "members": [{"name": "王建国", "sex": "M", "birth_date": date, "ethnicity": "汉族",
                  "id_number": "110105…", "phone": "139…", "relation": "head", …,
                  "tags": [{"kind": "disabled", "details": {…}, "started_on": date}]}, …]}

Pure Python and no Django: the same seed gives the same stream on every machine, whatever the date.
Places (building, entrance, room) are the caller's to add; `room_numbers` gives the rooms of an entrance.

What it aims at (measured over 100,000 residents by the registry's tests of this module):
- surnames with their real frequencies (王 李 张 刘 陈 … about 7 % each for the first three), given names of
  one or two characters in the fashion of the decade of birth, a few minority names (维吾尔族 and 哈萨克族
  names as 本名·父名 with the middle dot, 蒙古族 and 藏族 names without a surname);
- families: a head and a spouse of similar age, 0–3 children 20–35 years younger than their mother,
  sometimes a parent 25–35 years older than the head living with them, elderly couples, old people living
  alone, young single renters; about 2.6 people a household;
- about 18 % aged 60 or over and 3 % aged 80 or over on REFERENCE_DATE (from the birth date; age is never
  stored), 2 % disabled with a certificate and grade, 1.5 % 低保, 0.5 % 优抚, 0.3 % sensitive kinds;
- valid ID numbers (identity.make_id_number, Beijing region codes for most, the home province for many of
  the floating population), never two alike within one stream; mobile numbers for most people over 15.
"""

from __future__ import annotations

import bisect
import itertools
import random
from datetime import date, timedelta

from shequ.core.identity import make_id_number

# Ages, and so the proportions above, are reckoned on this day, not on today, so that a seed always
# gives the same people.
REFERENCE_DATE = date(2026, 1, 1)

# (surname, share of the population in ‰), after the Ministry of Public Security's 2020 name report.
SURNAMES = [
    ("王", 71.2), ("李", 70.0), ("张", 67.4), ("刘", 51.0), ("陈", 46.1), ("杨", 32.2), ("黄", 24.5),
    ("赵", 21.9), ("吴", 20.5), ("周", 19.6), ("徐", 14.9), ("孙", 14.6), ("马", 14.0), ("朱", 13.0),
    ("胡", 12.9), ("郭", 11.9), ("何", 11.4), ("林", 11.3), ("高", 11.0), ("罗", 10.1), ("郑", 9.7),
    ("梁", 8.8), ("谢", 8.0), ("宋", 7.8), ("唐", 7.7), ("许", 7.4), ("韩", 7.2), ("邓", 7.1), ("冯", 7.1),
    ("曹", 6.8), ("彭", 6.6), ("曾", 6.4), ("肖", 6.3), ("田", 6.1), ("董", 6.0), ("潘", 5.3), ("袁", 5.3),
    ("蔡", 5.1), ("蒋", 5.1), ("余", 4.9), ("于", 4.8), ("杜", 4.7), ("叶", 4.6), ("程", 4.5), ("魏", 4.4),
    ("苏", 4.3), ("吕", 4.3), ("丁", 4.2), ("任", 4.1), ("卢", 4.0), ("姚", 3.9), ("沈", 3.8), ("钟", 3.7),
    ("姜", 3.7), ("崔", 3.6), ("谭", 3.5), ("陆", 3.4), ("范", 3.3), ("汪", 3.3), ("廖", 3.2), ("石", 3.2),
    ("金", 3.1), ("韦", 3.0), ("贾", 3.0), ("夏", 2.9), ("付", 2.9), ("方", 2.8), ("邹", 2.7), ("熊", 2.7),
    ("白", 2.7), ("孟", 2.6), ("秦", 2.6), ("邱", 2.6), ("侯", 2.5), ("江", 2.5), ("尹", 2.4), ("薛", 2.4),
    ("闫", 2.3), ("段", 2.3), ("雷", 2.2), ("龙", 2.1), ("黎", 2.1), ("史", 2.1), ("陶", 2.1), ("贺", 2.0),
    ("毛", 2.0), ("郝", 1.9), ("顾", 1.9), ("龚", 1.8), ("邵", 1.8), ("万", 1.8), ("覃", 1.7), ("武", 1.7),
    ("钱", 1.7), ("戴", 1.6), ("严", 1.6), ("莫", 1.6), ("孔", 1.5), ("向", 1.5), ("常", 1.5), ("汤", 1.4),
    ("康", 1.4), ("易", 1.4), ("乔", 1.3), ("赖", 1.3), ("文", 1.3), ("牛", 1.2), ("翟", 0.6), ("关", 0.5),
    ("单", 0.3), ("解", 0.2), ("仇", 0.2), ("查", 0.2), ("缪", 0.2), ("欧阳", 0.5), ("上官", 0.05),
    ("司马", 0.05), ("诸葛", 0.04), ("皇甫", 0.03),
]

# Given names in the fashion of each birth cohort: (first year, male names, female names). Two thirds of
# people get one of these; the rest a name composed from the character pools below.
FASHION = [
    (1900,
     "建国 国强 国华 志强 德明 文华 振华 玉山 长林 宝山 金生 福生 永祥 建军 庆国 树林 广才 占山 德胜 凤山 军 华 明 林 强",
     "秀英 桂英 秀兰 玉兰 桂兰 淑珍 凤英 玉珍 秀珍 淑兰 桂珍 玉梅 素珍 凤兰 淑英 玉英 桂芳 秀云 文秀 翠兰 英 兰 珍 梅 芳"),
    (1960,
     "建军 卫东 志刚 志勇 海涛 建平 红军 立新 晓东 宏伟 国庆 建伟 志明 海波 永刚 春雷 伟 强 军 勇 磊 涛 斌 刚 辉 峰",
     "丽华 红梅 丽萍 海燕 晓红 春燕 秀梅 雪梅 建华 丽娟 玉霞 桂香 丽 静 敏 燕 艳 红 霞 娟 平 芳"),
    (1980,
     "晓峰 志远 俊杰 建伟 文博 海洋 鹏飞 晓明 亚东 天宇 振宇 明轩 伟 磊 勇 超 鹏 杰 浩 鑫 帅 亮 强 军",
     "婷婷 晓燕 晓丽 丹丹 思思 佳佳 雪莹 晓雪 海燕 丽娜 婷 静 丹 雪 琳 颖 倩 晶 洁 娜 欣 佳 敏"),
    (1995,
     "浩然 宇轩 子豪 俊熙 博文 一鸣 浩宇 子轩 梓豪 皓轩 天佑 宇航 家豪 俊杰 思远 浩 宇 晨 轩 博 鑫",
     "欣怡 梓涵 诗涵 雨欣 可馨 思琪 佳怡 雨涵 紫涵 欣妍 梦瑶 子涵 佳琪 雨婷 婧 悦 琪 璐 瑶 萌"),
    (2010,
     "子轩 一诺 浩宇 梓睿 宇泽 沐宸 奕辰 梓轩 铭泽 浩轩 睿泽 俊熙 一鸣 子墨 宇辰 皓宇 锦程 梓宸 睿 泽",
     "一诺 梓涵 若汐 欣怡 依诺 梓萱 语桐 可欣 诗涵 沐瑶 雨桐 芷若 紫萱 梓琪 思彤 安然 语嫣 欣 彤 萱"),
]
MALE_CHARS = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林博诚振壮思豪乐松庆磊民友裕哲江超浩亮政谦翰朗宏鸣朋斌梁栋维启克伦翔旭鹏泽晨辰建家树德泰盛雄琛钧冠策腾楠榕风航弘"
FEMALE_CHARS = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵悦冰爽琬茗羽希宁欣滢馥筠柔竹凝晓欢霄枫芸菲亚宜可舒丽妮娇灵琪晴容睿雯萱雨曼紫逸菡翠"

# Minority names as they are written on ID cards. Uyghur and Kazakh names are 本名·父名.
UYGHUR_MALE = ["艾力", "买买提", "艾买提", "阿不都", "吐尔逊", "依明", "热合曼", "努尔", "亚森", "阿迪力", "艾合买提", "伊力哈木", "阿布拉", "麦麦提", "吾斯曼"]
UYGHUR_FEMALE = ["阿依古丽", "古丽娜尔", "热依拉", "迪丽努尔", "帕提古丽", "阿依努尔", "米日古丽", "祖丽皮亚", "努尔古丽", "热娜", "古再丽", "阿孜古丽"]
KAZAKH_MALE = ["努尔兰", "叶尔兰", "哈力木", "阿斯哈尔", "别克", "达吾列提", "叶尔波拉", "木拉提"]
KAZAKH_FEMALE = ["阿依古丽", "古丽巴哈尔", "加娜尔", "阿依达娜", "阿娜尔", "古丽米拉"]
MONGOLIAN_MALE = ["巴特尔", "布仁巴雅尔", "苏和", "额尔敦", "朝鲁", "孟和", "巴图", "宝音", "那顺", "阿拉坦"]
MONGOLIAN_FEMALE = ["乌兰图雅", "斯琴高娃", "其其格", "萨仁", "乌云其木格", "娜仁", "塔娜", "托娅", "高娃", "琪琪格"]
TIBETAN_MALE = ["扎西顿珠", "次仁多吉", "丹增", "洛桑", "格桑", "尼玛", "平措", "索朗", "多吉", "旺堆"]
TIBETAN_FEMALE = ["卓玛", "次仁卓玛", "央金", "拉姆", "德吉", "白玛", "格桑梅朵", "尼珍", "曲珍", "措姆"]
KOREAN_SURNAMES = [("金", 22), ("李", 15), ("朴", 10), ("崔", 6), ("郑", 5), ("姜", 3), ("赵", 3), ("尹", 2)]
MANCHU_SURNAMES = [("关", 10), ("佟", 6), ("那", 5), ("富", 3), ("赵", 8), ("王", 8), ("金", 6), ("爱新觉罗", 0.3)]

# (ethnicity, share of households in ‰, how its names are written)
ETHNICITIES = [
    ("汉族", 955.0, "han"), ("满族", 20.0, "manchu"), ("回族", 15.0, "han"), ("蒙古族", 4.0, "mongolian"),
    ("维吾尔族", 2.5, "uyghur"), ("朝鲜族", 1.5, "korean"), ("土家族", 1.0, "han"), ("壮族", 0.5, "han"),
    ("藏族", 0.3, "tibetan"), ("哈萨克族", 0.2, "kazakh"),
]

# Beijing's districts (110103 崇文 and 110104 宣武 only on numbers issued before 2010), weighted.
BEIJING_REGIONS = [("110101", 8), ("110102", 10), ("110105", 30), ("110106", 14), ("110107", 5), ("110108", 22),
                   ("110109", 2), ("110111", 4), ("110112", 5), ("110113", 3), ("110114", 6), ("110115", 5)]
OLD_BEIJING_REGIONS = [("110103", 3), ("110104", 4)]
# Home places of the floating population (a prefecture-level code in the province).
OTHER_REGIONS = [("130102", 8), ("130602", 4), ("370102", 4), ("410102", 6), ("411302", 3), ("420102", 3),
                 ("340102", 4), ("230102", 4), ("220102", 3), ("210102", 3), ("140105", 4), ("510104", 3),
                 ("320102", 3), ("150102", 2), ("610102", 2), ("430102", 2), ("360102", 2)]
HOME_REGIONS = {"uyghur": [("650102", 5), ("653101", 3)], "kazakh": [("654002", 1)],
                "mongolian": [("150102", 3), ("152502", 2)], "tibetan": [("540102", 1)],
                "korean": [("222401", 2), ("210102", 1)]}

MOBILE_PREFIXES = [("139", 8), ("138", 8), ("137", 5), ("136", 5), ("135", 5), ("134", 3), ("159", 5), ("158", 5),
                   ("157", 2), ("150", 4), ("151", 4), ("152", 3), ("187", 4), ("188", 4), ("183", 3), ("182", 3),
                   ("186", 5), ("185", 4), ("156", 3), ("155", 2), ("130", 4), ("131", 4), ("132", 3), ("176", 2),
                   ("189", 4), ("180", 3), ("181", 3), ("133", 3), ("153", 2), ("177", 2), ("173", 2), ("199", 2),
                   ("198", 1), ("166", 1), ("195", 1), ("191", 1), ("178", 1)]

# (kind of household, share in ‰): about 2.6 people a household, as in a Beijing census tract.
HOUSEHOLD_KINDS = [("alone_elderly", 80), ("elderly_couple", 120), ("single", 135), ("young_couple", 95),
                   ("nuclear", 410), ("three_generations", 110), ("single_parent", 50)]

DISABILITY_CATEGORIES = ["视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"]
DISABILITY_WEIGHTS = [14, 22, 2, 45, 7, 7, 3]
DISABILITY_GRADES = ["一级", "二级", "三级", "四级"]
VETERAN_CATEGORIES = ["退役士兵", "伤残军人", "带病回乡退伍军人", "参战参试退役人员"]
MILITARY_FAMILY_CATEGORIES = ["现役军人家属", "烈士遗属", "因公牺牲军人遗属"]
HEALTH_CONDITIONS = ["精神分裂症", "双相情感障碍", "偏执性精神病", "癫痫所致精神障碍"]
HELPERS = ["社区民警", "社区专职社工", "网格员", "司法所工作人员"]
DOCTORS = ["社区卫生服务站家庭医生", "精防医生"]


class _Choice:
    """Weighted choice by bisecting cumulative weights: several times faster than random.choices."""

    def __init__(self, pairs):
        self.values = [value for value, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def __call__(self, rng):
        return self.values[bisect.bisect(self.cumulative, rng.random() * self.total)]


_surname = _Choice(SURNAMES)
_korean_surname = _Choice(KOREAN_SURNAMES)
_manchu_surname = _Choice(MANCHU_SURNAMES)
_ethnicity = _Choice([((name, style), weight) for name, weight, style in ETHNICITIES])
_beijing_region = _Choice(BEIJING_REGIONS)
_old_beijing_region = _Choice(BEIJING_REGIONS + OLD_BEIJING_REGIONS)
_other_region = _Choice(OTHER_REGIONS)
_home_region = {style: _Choice(pairs) for style, pairs in HOME_REGIONS.items()}
_mobile_prefix = _Choice(MOBILE_PREFIXES)
_household_kind = _Choice(HOUSEHOLD_KINDS)
_disability = _Choice(list(zip(DISABILITY_CATEGORIES, DISABILITY_WEIGHTS, strict=True)))
_FASHION_YEARS = [year for year, _, _ in FASHION]
_FASHION_NAMES = [(male.split(), female.split()) for _, male, female in FASHION]


def room_numbers(floors, per_floor=2):
    """Rooms of one entrance as Chinese buildings number them: 101, 102, …, 601, 602."""
    return [f"{floor}{door:02d}" for floor in range(1, floors + 1) for door in range(1, per_floor + 1)]


def age_on(birth, today=REFERENCE_DATE):
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def households(count=None, *, seed=0, today=REFERENCE_DATE):
    """Yields `count` households (for ever if None), the same ones for the same seed."""
    people = _People(random.Random(seed), today)
    produced = itertools.count() if count is None else range(count)
    for _ in produced:
        yield people.household()


def residents(count, *, seed=0, today=REFERENCE_DATE):
    """Households holding exactly `count` residents in all (the last one cut short if need be)."""
    left = count
    for household in households(seed=seed, today=today):
        if left <= 0:
            return
        if len(household["members"]) > left:
            household["members"] = household["members"][:left]
        left -= len(household["members"])
        yield household


class _People:
    def __init__(self, rng, today):
        self.rng = rng
        self.today = today
        self.today_ordinal = today.toordinal()
        # People of one sex born on one day in one region are numbered 0..499 (the ID's order code).
        self.sequence = {}

    # -- households --------------------------------------------------------------------------------

    def household(self):
        rng = self.rng
        kind = _household_kind(rng)
        ethnicity, style = _ethnicity(rng)
        floating = kind in ("single", "young_couple", "nuclear") and rng.random() < 0.22
        origin = self._origin(style, floating)
        members = getattr(self, f"_{kind}")(ethnicity, style, origin)
        head = members[0]
        for member in members:
            self._residence(member, head, floating)
        self._household_tags(kind, members)
        registered_on = max(head["moved_in_on"], date(1990, 1, 1))
        return {
            "household_type": "floating" if floating else ("separated" if rng.random() < 0.03 else "resident"),
            "housing": "rented" if floating or (kind == "single" and rng.random() < 0.5) else
                       ("dormitory" if rng.random() < 0.01 else "owned"),
            "registered_on": registered_on,
            "phone": next((m["phone"] for m in members if m["phone"]), ""),
            "members": members,
        }

    def _alone_elderly(self, ethnicity, style, origin):
        rng = self.rng
        age = self._elderly_age(rng.random() < 0.22)
        person = self.person(age, male=rng.random() < 0.32, ethnicity=ethnicity, style=style, origin=origin,
                             relation="head")
        person["marital_status"] = _pick(rng, [("widowed", 72), ("divorced", 12), ("single", 6), ("married", 10)])
        return [person]

    def _elderly_couple(self, ethnicity, style, origin):
        age = self._elderly_age(self.rng.random() < 0.1, young=True)
        return self._couple(age, ethnicity, style, origin)

    def _single(self, ethnicity, style, origin):
        rng = self.rng
        person = self.person(rng.randint(20, 45), male=rng.random() < 0.55, ethnicity=ethnicity, style=style,
                             origin=origin, relation="head")
        person["marital_status"] = "single" if rng.random() < 0.85 else "divorced"
        return [person]

    def _couple(self, age, ethnicity, style, origin, *, male_head=None):
        rng = self.rng
        male_head = rng.random() < 0.82 if male_head is None else male_head
        husband_age = age if male_head else age + rng.randint(-1, 4)
        wife_age = age if not male_head else max(20, age - rng.randint(-2, 5))
        husband = self.person(husband_age, male=True, ethnicity=ethnicity, style=style, origin=origin,
                              relation="head" if male_head else "spouse")
        wife_ethnicity = ethnicity if rng.random() < 0.85 else "汉族"
        wife = self.person(wife_age, male=False, ethnicity=wife_ethnicity,
                           style=style if wife_ethnicity == ethnicity else "han", origin=origin,
                           relation="spouse" if male_head else "head")
        husband["marital_status"] = wife["marital_status"] = "married"
        return [husband, wife] if male_head else [wife, husband]

    def _young_couple(self, ethnicity, style, origin):
        return self._couple(self.rng.randint(24, 55), ethnicity, style, origin)

    def _nuclear(self, ethnicity, style, origin):
        rng = self.rng
        members = self._couple(rng.randint(26, 60), ethnicity, style, origin)
        self._add_children(members, _pick(rng, [(1, 64), (2, 31), (3, 5)]))
        return members

    def _three_generations(self, ethnicity, style, origin):
        rng = self.rng
        members = self._couple(rng.randint(30, 56), ethnicity, style, origin)
        self._add_children(members, _pick(rng, [(0, 10), (1, 55), (2, 30), (3, 5)]))
        head = members[0]
        head_age = age_on(head["birth_date"], self.today)
        both = rng.random() < 0.25
        for male in ([True, False] if both else [rng.random() < 0.35]):
            age = head_age + rng.randint(25, 35) + (2 if male else 0)
            if age > 100:
                continue
            parent = self.person(age, male=male, ethnicity=head["ethnicity"], style=_style_of(head), origin=origin,
                                 relation="parent", surname=_surname_of(head) if male else None)
            parent["marital_status"] = "married" if both else "widowed"
            members.append(parent)
        return members

    def _single_parent(self, ethnicity, style, origin):
        rng = self.rng
        head = self.person(rng.randint(30, 55), male=rng.random() < 0.2, ethnicity=ethnicity, style=style,
                           origin=origin, relation="head")
        head["marital_status"] = "divorced" if rng.random() < 0.8 else "widowed"
        members = [head]
        self._add_children(members, _pick(self.rng, [(1, 75), (2, 25)]))
        return members

    def _add_children(self, members, count):
        rng = self.rng
        mother = next((m for m in members if m["sex"] == "F"), members[0])
        father = next((m for m in members if m["sex"] == "M"), None)
        mother_age = age_on(mother["birth_date"], self.today)
        surname_from = father or mother
        for _ in range(count):
            age = mother_age - rng.randint(20, 35)
            if age < 0:
                age = rng.randint(0, max(0, mother_age - 20)) if mother_age >= 20 else 0
            child = self.person(age, male=rng.random() < 0.52, ethnicity=surname_from["ethnicity"],
                                style=_style_of(surname_from), origin=None, relation="child",
                                surname=_surname_of(surname_from),
                                father_name=_given_of(father) if father else None,
                                birth_floor=max(mother["birth_date"], father["birth_date"] if father else date.min))
            child["marital_status"] = "married" if age >= 28 and rng.random() < 0.3 else "single"
            members.append(child)

    def _elderly_age(self, very_old, *, young=False):
        rng = self.rng
        if very_old:
            return min(100, 80 + int(rng.expovariate(1 / 4.5)))
        return rng.randint(60, 79) if not young else rng.randint(60, 76)

    # -- people ------------------------------------------------------------------------------------

    def person(self, age, *, male, ethnicity, style, origin, relation, surname=None, father_name=None,
               birth_floor=None):
        rng = self.rng
        birth = date.fromordinal(self.today_ordinal - age * 365 - rng.randint(0, 364) - age // 4)
        if birth_floor is not None and birth <= birth_floor:
            birth = birth_floor + timedelta(days=rng.randint(200, 700))
        if birth >= self.today:
            birth = self.today - timedelta(days=rng.randint(1, 300))
        age = age_on(birth, self.today)
        name = self._name(birth.year, male, style, surname, father_name)
        region = origin or self._region(style, birth.year)
        return {
            "name": name,
            "sex": "M" if male else "F",
            "birth_date": birth,
            "ethnicity": ethnicity,
            "id_number": self._id_number(region, birth, male),
            "phone": self._mobile() if age >= 16 and rng.random() < (0.96 if age < 75 else 0.6) else "",
            "relation": relation,
            "political_status": self._political(age),
            "education": self._education(age, birth.year),
            "employment": self._employment(age, male),
            "marital_status": "",
            "tags": self._person_tags(age, male),
        }

    def _name(self, year, male, style, surname, father_name):
        rng = self.rng
        if style in ("uyghur", "kazakh"):
            pool = {("uyghur", True): UYGHUR_MALE, ("uyghur", False): UYGHUR_FEMALE,
                    ("kazakh", True): KAZAKH_MALE, ("kazakh", False): KAZAKH_FEMALE}[style, male]
            father = father_name or rng.choice(UYGHUR_MALE if style == "uyghur" else KAZAKH_MALE)
            given = rng.choice(pool)
            while given == father:
                given = rng.choice(pool)
            return f"{given}·{father}"
        if style == "mongolian" and rng.random() < 0.5:
            return rng.choice(MONGOLIAN_MALE if male else MONGOLIAN_FEMALE)
        if style == "tibetan":
            return rng.choice(TIBETAN_MALE if male else TIBETAN_FEMALE)
        if surname is None:
            surname = (_korean_surname(rng) if style == "korean" else
                       _manchu_surname(rng) if style == "manchu" and rng.random() < 0.4 else _surname(rng))
        return surname + self._given(year, male)

    def _given(self, year, male):
        rng = self.rng
        cohort = bisect.bisect(_FASHION_YEARS, year) - 1
        if rng.random() < 0.6:
            return rng.choice(_FASHION_NAMES[max(cohort, 0)][0 if male else 1])
        chars = MALE_CHARS if male else FEMALE_CHARS
        single = rng.random() < (0.35 if year < 1990 else 0.15)
        return rng.choice(chars) if single else rng.choice(chars) + rng.choice(chars)

    def _region(self, style, year):
        rng = self.rng
        if style in _home_region and rng.random() < 0.6:
            return _home_region[style](rng)
        if rng.random() < 0.08:
            return _other_region(rng)
        return _old_beijing_region(rng) if year < 2010 else _beijing_region(rng)

    def _origin(self, style, floating):
        """The region code the whole household shares when it came from elsewhere, else None."""
        if not floating:
            return None
        rng = self.rng
        return _home_region[style](rng) if style in _home_region and rng.random() < 0.7 else _other_region(rng)

    def _id_number(self, region, birth, male):
        key = (region, birth, male)
        seq = self.sequence.get(key, 0)
        while seq >= 500:  # never, short of a whole city born on one day in one district
            region = _beijing_region(self.rng)
            key = (region, birth, male)
            seq = self.sequence.get(key, 0)
        self.sequence[key] = seq + 1
        return make_id_number(region, birth, seq, male)

    def _mobile(self):
        return f"{_mobile_prefix(self.rng)}{self.rng.randrange(100_000_000):08d}"

    def _political(self, age):
        rng = self.rng
        if age < 14:
            return ""
        roll = rng.random()
        if age < 28:
            return "cyl" if roll < 0.45 else ("cpc" if roll < 0.52 else "masses")
        share = 0.14 if age >= 60 else 0.09
        if roll < share:
            return "cpc"
        return "democratic" if roll < share + 0.005 else "masses"

    def _education(self, age, year):
        rng = self.rng
        if age < 7:
            return "none" if age >= 3 else ""
        if age < 13:
            return "primary"
        if age < 16:
            return "junior"
        if age < 19:
            return "senior"
        if year < 1955:
            table = [("none", 10), ("primary", 25), ("junior", 30), ("senior", 20), ("college", 8), ("bachelor", 7)]
        elif year < 1975:
            table = [("primary", 8), ("junior", 30), ("senior", 32), ("college", 15), ("bachelor", 13),
                     ("postgraduate", 2)]
        else:
            table = [("junior", 10), ("senior", 18), ("college", 22), ("bachelor", 38), ("postgraduate", 12)]
        return _pick(rng, table)

    def _employment(self, age, male):
        rng = self.rng
        if age < 6:
            return "preschool"
        if age < 19 or (age < 23 and rng.random() < 0.6):
            return "student"
        if age >= (60 if male else 55):
            return "retired"
        return _pick(rng, [("employed", 82), ("self_employed", 8), ("unemployed", 5), ("other", 5)])

    def _residence(self, member, head, floating):
        rng = self.rng
        birth = member["birth_date"]
        if floating:
            member["residence_status"] = "floating"
            registered = self.today - timedelta(days=rng.randint(30, 1150))  # a few lapsed, most current
            member["floating_registered_on"] = max(registered, birth)
            member["floating_expires_on"] = member["floating_registered_on"] + timedelta(days=365 * 3)
            member["moved_in_on"] = member["floating_registered_on"]
            return
        member["residence_status"] = "separated" if rng.random() < 0.04 else "local"
        member["floating_registered_on"] = member["floating_expires_on"] = None
        if member is head:
            moved = self.today - timedelta(days=rng.randint(200, 365 * 30))
        else:
            moved = head["moved_in_on"] + timedelta(days=rng.randint(0, 60) if rng.random() < 0.7 else
                                                    rng.randint(0, 3000))
        member["moved_in_on"] = min(max(moved, birth), self.today)

    # -- care categories ---------------------------------------------------------------------------

    def _person_tags(self, age, male):
        rng = self.rng
        tags = []
        roll = rng.random()
        if roll < (0.011 if age < 40 else 0.022 if age < 60 else 0.046):
            tags.append(self._tag("disabled", certificate=self._certificate(), category=_disability(rng),
                                  grade=_pick(rng, [(g, w) for g, w in zip(DISABILITY_GRADES, (12, 23, 30, 35),
                                                                            strict=True)])))
        roll = rng.random()
        if male and 40 <= age <= 98 and roll < 0.0135:
            tags.append(self._tag("veteran", category=_pick(rng, [(c, w) for c, w in
                                                                    zip(VETERAN_CATEGORIES, (80, 8, 6, 6), strict=True)]),
                                  certificate=f"京优{rng.randrange(10**7):07d}"))
        elif roll > 0.9985:
            tags.append(self._tag("military_family", category=rng.choice(MILITARY_FAMILY_CATEGORIES),
                                  certificate=f"京优属{rng.randrange(10**6):06d}"))
        if 18 <= age <= 75:
            roll = rng.random()
            if roll < 0.0019:
                tags.append(self._tag("health", condition=rng.choice(HEALTH_CONDITIONS), severe_mental="是",
                                      doctor=rng.choice(DOCTORS)))
            elif roll < 0.0032 and age < 65:
                tags.append(self._tag("resettlement", released_on=self._past(4 * 365).isoformat(),
                                      helper=rng.choice(HELPERS)))
            elif roll < 0.0039 and age < 60:
                start = self._past(3 * 365)
                tags.append(self._tag("drug_rehab", start=start.isoformat(),
                                      end=(start + timedelta(days=3 * 365)).isoformat(), helper=rng.choice(HELPERS)))
        return tags

    def _household_tags(self, kind, members):
        rng = self.rng
        if rng.random() < (0.05 if kind in ("alone_elderly", "single_parent") else 0.012):
            start = self._past(400)  # reviewed every year: most periods run on, a few lapsed and not yet renewed
            number = f"京低保{rng.randrange(10**6):06d}"
            for member in members:
                member["tags"].append(self._tag("dibao", certificate=number, start=start.isoformat(),
                                                end=(start + timedelta(days=365)).isoformat()))
        if kind == "alone_elderly" and age_on(members[0]["birth_date"], self.today) >= 60:
            contact = self._mobile()
            members[0]["tags"].append(self._tag("living_alone", contact=f"子女 {contact}"))
        elif kind == "elderly_couple" and rng.random() < 0.7:
            contact = self._mobile()
            for member in members:
                member["tags"].append(self._tag("empty_nest", contact=f"子女 {contact}"))

    def _tag(self, kind, **details):
        return {"kind": kind, "details": details, "started_on": self._past(8 * 365)}

    def _certificate(self):
        # 残疾人证 numbers embed the holder's ID number; the generator gives a stand-in of ten digits, which the
        # stored tag masks like any number in its details (protection.protect_tag_details).
        return f"{self.rng.randrange(10**8):08d}{self.rng.randint(1, 7)}{self.rng.randint(1, 4)}"

    def _past(self, days):
        return self.today - timedelta(days=self.rng.randint(1, days))


def _pick(rng, table):
    total = sum(weight for _, weight in table)
    roll = rng.random() * total
    for value, weight in table:
        roll -= weight
        if roll < 0:
            return value
    return table[-1][0]


def _style_of(person):
    name = person["name"]
    if "·" in name:
        return "uyghur" if person["ethnicity"] == "维吾尔族" else "kazakh"
    return {"蒙古族": "mongolian", "藏族": "tibetan", "朝鲜族": "korean", "满族": "manchu"}.get(person["ethnicity"], "han")


def _surname_of(person):
    name = person["name"]
    if "·" in name or (person["ethnicity"] in ("蒙古族", "藏族") and not _has_han_surname(name)):
        return None
    for surname, _ in SURNAMES + MANCHU_SURNAMES + KOREAN_SURNAMES:
        if len(surname) > 1 and name.startswith(surname):
            return surname
    return name[0]


def _has_han_surname(name):
    return name[0] in _SINGLE_SURNAMES and name not in _MINORITY_NAMES


def _given_of(person):
    name = person["name"]
    return name.split("·")[0] if "·" in name else None


_SINGLE_SURNAMES = frozenset(s for s, _ in SURNAMES + MANCHU_SURNAMES + KOREAN_SURNAMES if len(s) == 1)
_MINORITY_NAMES = frozenset(MONGOLIAN_MALE + MONGOLIAN_FEMALE + TIBETAN_MALE + TIBETAN_FEMALE)
