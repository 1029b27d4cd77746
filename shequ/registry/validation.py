"""One set of rules for a person's data, whether it comes from a form, the API or a roster row."""

import re
from datetime import date
from functools import lru_cache

from django.utils.translation import gettext, gettext_lazy, pgettext

from shequ.core.identity import IdNumberError, PhoneError, normalize_text, parse_id_number, validate_mobile

from .choices import (
    ETHNIC_GROUPS,
    Education,
    Employment,
    MaritalStatus,
    PoliticalStatus,
    Relation,
    ResidenceStatus,
    Sex,
)
from .pinyin import to_pinyin

_ETHNIC_SET = frozenset(ETHNIC_GROUPS)
NAME = re.compile(r"^[\u3400-\u9fff·A-Za-z]{1,50}$")
# Lazy: a message names the field in the language it is built in (an import's, which are checked in Chinese,
# take str() of it).
FIELD_LABELS = {
    "name": gettext_lazy("姓名"), "id_number": gettext_lazy("身份证号"), "phone": gettext_lazy("手机号"),
    "sex": gettext_lazy("性别"), "birth_date": gettext_lazy("出生日期"), "ethnicity": gettext_lazy("民族"),
    "relation": gettext_lazy("与户主关系"), "residence_status": gettext_lazy("居住状况"),
    "political_status": gettext_lazy("政治面貌"), "education": gettext_lazy("文化程度"),
    "employment": gettext_lazy("就业状况"), "marital_status": gettext_lazy("婚姻状况"),
    "moved_in_on": gettext_lazy("迁入日期"), "floating_registered_on": gettext_lazy("流动人口登记日期"),
    "floating_expires_on": gettext_lazy("居住登记有效期至"), "notes": gettext_lazy("备注"),
}
CHOICE_FIELDS = {
    "sex": Sex, "relation": Relation, "residence_status": ResidenceStatus, "political_status": PoliticalStatus,
    "education": Education, "employment": Employment, "marital_status": MaritalStatus,
}
_CHOICES_BUT_SEX = tuple(field for field in CHOICE_FIELDS if field != "sex")  # sex: with the ID number (_validate_identity)
_DATE_FIELDS = ("moved_in_on", "floating_registered_on", "floating_expires_on")
_PAST_DATE_FIELDS = frozenset(("moved_in_on", "floating_registered_on"))
# Rosters write the same thing many ways.
CHOICE_ALIASES = {
    "sex": {"男性": "M", "女性": "F", "1": "M", "2": "F"},
    "relation": {"本人": "head", "户主本人": "head", "妻": "spouse", "夫": "spouse", "妻子": "spouse",
                 "丈夫": "spouse", "子": "child", "女": "child", "儿子": "child", "女儿": "child", "长子": "child",
                 "长女": "child", "次子": "child", "次女": "child", "父亲": "parent", "母亲": "parent",
                 "孙子": "grandchild", "孙女": "grandchild", "儿媳": "child_in_law", "女婿": "child_in_law",
                 "租户": "tenant"},
    "political_status": {"党员": "cpc", "团员": "cyl", "预备党员": "cpc_probationary"},
    "education": {"高中": "senior", "中专": "senior", "研究生及以上": "postgraduate", "硕士": "postgraduate",
                  "博士": "postgraduate", "文盲": "none", "大学本科": "bachelor", "大学专科": "college"},
    "employment": {"退休": "retired", "学生": "student", "无业": "unemployed", "在岗": "employed"},
    "residence_status": {"户籍": "local", "常住": "local", "流动": "floating", "户在人不在": "separated"},
}


# Every accepted spelling of each choice, built once: a stored value wins over a label, a label over an alias.
_CHOICE_LOOKUP = {
    field: CHOICE_ALIASES.get(field, {}) | {str(label): value for value, label in choices.choices}
    | {value: value for value in choices.values}
    for field, choices in CHOICE_FIELDS.items()
}


def choice_value(field, raw):
    """A choice from its stored value, its Chinese label or a common roster spelling; None if unknown."""
    if isinstance(raw, str):
        return _cached_choice(field, raw)  # a roster repeats a handful of spellings a million times
    return _choice(field, raw)


def _choice(field, raw):
    text = normalize_text(raw)
    if not text:
        return ""
    return _CHOICE_LOOKUP[field].get(text)


_cached_choice = lru_cache(maxsize=8192)(_choice)


def parse_date(raw):
    if isinstance(raw, date):
        return raw
    text = normalize_text(raw).replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    if not text:
        return None
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        year, month, day = (int(part) for part in text.split("-")[:3])
        return date(year, month, day)
    except (TypeError, ValueError):
        raise ValueError(gettext("日期格式不正确，应为 2024-05-01 或 2024年5月1日")) from None


def validate_person(raw, *, require_id=True, today=None):
    """Returns (values, errors). values are ready for the Resident model (sensitive ones still plain,
    under 'id_number' and 'phone'); errors map a field to a message in the active language. An import passes `today`
    once for all its rows (an ID number's birth date may not be after it)."""
    values, errors = {}, {}
    name = normalize_text(raw.get("name")).replace(".", "·").replace("•", "·")
    if not name:
        errors["name"] = gettext("姓名不能为空")
    elif not NAME.match(name):
        errors["name"] = gettext("姓名只能包含汉字、间隔号或字母")
    else:
        values["name"] = name
        values["name_pinyin"], values["name_initials"] = to_pinyin(name)
    _validate_identity(raw, values, errors, require_id, today)
    _validate_phone(raw, values, errors)
    ethnicity = normalize_text(raw.get("ethnicity")) or "汉族"
    if ethnicity in _ETHNIC_SET or f"{ethnicity}族" in _ETHNIC_SET:
        values["ethnicity"] = ethnicity if ethnicity in _ETHNIC_SET else f"{ethnicity}族"
    else:
        errors["ethnicity"] = gettext("“%(value)s”不是56个民族之一") % {"value": ethnicity}
    for field in _CHOICES_BUT_SEX:
        text = raw.get(field)
        if text is None or text == "":
            continue
        value = choice_value(field, text)
        if value is None:
            options = pgettext("list separator", "、").join(gettext(label) for _, label in CHOICE_FIELDS[field].choices)
            errors[field] = gettext("“%(value)s”无法识别，可选：%(options)s") % {
                "value": normalize_text(text), "options": options}
        else:
            values[field] = value
    for field in _DATE_FIELDS:
        text = raw.get(field)
        if text is None or text == "":
            continue
        try:
            values[field] = parse_date(text)
        except ValueError as error:
            errors[field] = str(error)
            continue
        # What happened cannot be after today (a registration's expiry is ahead, and is left out).
        if field in _PAST_DATE_FIELDS and values[field] > (today or date.today()):
            errors[field] = gettext("不能晚于今天")
            del values[field]
    if raw.get("notes"):
        values["notes"] = str(raw["notes"]).strip()
    return values, errors


def _validate_identity(raw, values, errors, require_id, today):
    id_raw = raw.get("id_number")
    if id_raw in (None, ""):
        if require_id:
            errors["id_number"] = gettext("身份证号不能为空")
            return
        _birth_and_sex_by_hand(raw, values, errors)
        values["id_number"] = ""
        return
    try:
        info = parse_id_number(id_raw, today=today)
    except IdNumberError as error:
        errors["id_number"] = str(error)
        return
    values.update(id_number=info.number, birth_date=info.birth_date, sex=info.sex,
                  id_converted_from_15=info.converted_from_15)
    stated_sex = choice_value("sex", raw.get("sex")) if raw.get("sex") not in (None, "") else None
    if stated_sex and stated_sex != info.sex:
        errors["sex"] = gettext("性别与身份证号不一致（身份证号第17位奇数为男、偶数为女）")


def _birth_and_sex_by_hand(raw, values, errors):
    sex = choice_value("sex", raw.get("sex")) if raw.get("sex") not in (None, "") else None
    if not sex:
        errors["sex"] = gettext("没有身份证号时必须填写性别")
    else:
        values["sex"] = sex
    try:
        birth = parse_date(raw.get("birth_date"))
    except ValueError as error:
        errors["birth_date"] = str(error)
        return
    if birth is None:
        errors["birth_date"] = gettext("没有身份证号时必须填写出生日期")
    else:
        values["birth_date"] = birth


def _validate_phone(raw, values, errors):
    phone_raw = raw.get("phone")
    if phone_raw in (None, ""):
        values["phone"] = ""
        return
    try:
        values["phone"] = validate_mobile(phone_raw)
    except PhoneError as error:
        errors["phone"] = str(error)
