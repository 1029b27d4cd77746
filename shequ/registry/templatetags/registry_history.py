"""How an audit event reads in a household's or resident's 变更记录."""

from django import template
from django.core.exceptions import FieldDoesNotExist

from shequ.audit.selectors import VERB_LABELS

from ..choices import Relation, TagKind
from ..models import Household, Resident

register = template.Library()

REVEALED = {"id_number": "身份证号", "phone": "手机号", "notes": "备注"}


def _field_label(name):
    for model in (Resident, Household):
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            continue
    return name


def _choice(choices, value):
    try:
        return choices(value).label
    except ValueError:
        return value


@register.filter
def verb_label(verb):
    return VERB_LABELS.get(verb, verb)


@register.filter
def history_lines(event):
    """A few readable lines for one event's details."""
    details = event.details or {}
    if "changes" in details:
        lines = [f"{_field_label(field)}：{change.get('from') or '空'} → {change.get('to') or '空'}"
                 for field, change in details["changes"].items()
                 if field not in ("name_pinyin", "name_initials")]
        return lines + ([f"原因：{details['reason']}"] if details.get("reason") else [])
    if event.verb == "reveal":
        return [f"查看完整{REVEALED.get(details.get('field'), details.get('field'))}，原因：{details.get('reason', '')}"]
    if event.verb in ("tag_add", "tag_end"):
        return [_choice(TagKind, details.get("kind", ""))]
    if event.verb == "tag_reveal":
        return [f"查看“{_choice(TagKind, details.get('kind', ''))}”详情，原因：{details.get('reason', '')}"]
    if event.verb == "export" and details.get("kind") == "household_card":
        return ["打印户卡（Word）"]
    if event.verb == "resident_transfer":
        moved = details.get("household", {})
        return [f"户 {moved.get('from')} → 户 {moved.get('to')}，关系：{_choice(Relation, details.get('relation', ''))}"]
    lines = []
    for key, value in details.items():
        label = {"on": "日期", "destination": "迁往", "died_on": "死亡日期", "number": "户号", "address": "地址",
                 "household": "户号", "new_household": "新户号", "members": "成员", "into": "并入户号",
                 "name": "姓名", "id_number": "身份证号"}.get(key)
        if label and value not in (None, "", [], {}):
            lines.append(f"{label}：{'、'.join(value) if isinstance(value, list) else value}")
    return lines
