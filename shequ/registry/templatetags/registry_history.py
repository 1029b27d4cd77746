"""How an audit event reads in a household's or resident's 变更记录, in the page's language. The event's details
stay as they were stored (choice values, Chinese labels); only what the page shows is translated."""

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext, gettext_noop

from shequ.audit.selectors import VERB_LABELS

from ..choices import Relation, TagKind
from ..models import Household, Resident

register = template.Library()

REVEALED = {"id_number": gettext_noop("身份证号"), "phone": gettext_noop("手机号"), "notes": gettext_noop("备注")}
DETAIL_LABELS = {
    "on": gettext_noop("日期"), "destination": gettext_noop("迁往"), "died_on": gettext_noop("死亡日期"),
    "number": gettext_noop("户号"), "address": gettext_noop("地址"), "household": gettext_noop("户号"),
    "new_household": gettext_noop("新户号"), "members": gettext_noop("成员"), "into": gettext_noop("并入户号"),
    "name": gettext_noop("姓名"), "id_number": gettext_noop("身份证号"), "reason": gettext_noop("原因"),
}


def _field(name, models=(Resident, Household)):
    for model in models:
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def _field_label(name, models):
    field = _field(name, models)
    return field.verbose_name if field is not None else name


def _changed(name, value, models):
    """A corrected field's old or new value as the page shows it: a choice by its translated label."""
    if value in (None, ""):
        return gettext("空")
    field = _field(name, models)
    if field is not None and field.choices:
        return gettext(dict(field.flatchoices).get(value, value))
    return value


def _choice(choices, value):
    try:
        return gettext(choices(value).label)
    except ValueError:
        return value


def _line(label, value):
    """「label：value」, the label translated."""
    return gettext("%(label)s：%(value)s") % {"label": gettext(str(label)), "value": value}


@register.filter
def verb_label(verb):
    return VERB_LABELS.get(verb, verb)


@register.filter
def history_lines(event):
    """A few readable lines for one event's details."""
    details = event.details or {}
    if "changes" in details:
        # A household's phone_masked is its 联系电话, a resident's their 手机号.
        models = (Household, Resident) if event.target_type == Household._meta.label_lower else (Resident, Household)
        lines = [_line(_field_label(name, models),
                       f"{_changed(name, change.get('from'), models)} → {_changed(name, change.get('to'), models)}")
                 for name, change in details["changes"].items() if name not in ("name_pinyin", "name_initials")]
        return lines + ([_line("原因", details["reason"])] if details.get("reason") else [])
    if event.verb == "reveal":
        field = details.get("field")
        return [gettext("查看完整%(field)s，原因：%(reason)s") % {
            "field": gettext(REVEALED[field]) if field in REVEALED else field, "reason": details.get("reason", "")}]
    if event.verb in ("tag_add", "tag_end"):
        return [_choice(TagKind, details.get("kind", ""))]
    if event.verb == "tag_reveal":
        return [gettext("查看“%(kind)s”详情，原因：%(reason)s") % {
            "kind": _choice(TagKind, details.get("kind", "")), "reason": details.get("reason", "")}]
    if event.verb == "export" and details.get("kind") == "household_card":
        return [gettext("打印户卡（Word）")]
    if event.verb == "household_head_change":
        head = details.get("head", {})
        return [_line("户主", f"{head.get('from') or gettext('空')} → {head.get('to')}")]
    if event.verb == "resident_move_back":
        return [gettext("迁回户 %(to)s，关系：%(relation)s，日期：%(on)s") % {
            "to": details.get("household"), "relation": _choice(Relation, details.get("relation", "")),
            "on": details.get("on", "")}]
    if event.verb == "resident_transfer":
        moved = details.get("household", {})
        return [gettext("户 %(from)s → 户 %(to)s，关系：%(relation)s") % {
            "from": moved.get("from"), "to": moved.get("to"), "relation": _choice(Relation, details.get("relation", ""))}]
    return [_line(DETAIL_LABELS[key], "、".join(value) if isinstance(value, list) else value)
            for key, value in details.items() if key in DETAIL_LABELS and value not in (None, "", [], {})]
