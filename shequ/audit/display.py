"""How an audit event reads on the audit page, in the page's language: the kind of object it is about (户, 居民…),
where it came from (网页, 命令行…) and its details as lines of 「名称：值」. The event keeps what was stored (Chinese
labels, choice values, already masked numbers); only what the page shows is turned into words. Nothing here
queries the database: the kinds and field names come from the app registry."""

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import BooleanField
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext, pgettext_lazy

from shequ.core.i18n import gettext_noop

from .selectors import VERB_LABELS

SOURCE_LABELS = {
    "web": pgettext_lazy("audit source", "网页"),
    "api": pgettext_lazy("audit source", "接口"),
    "cli": pgettext_lazy("audit source", "命令行"),
    "task": pgettext_lazy("audit source", "后台任务"),
}

# Kinds of object the trail names whose verbose names no form or page marks for the catalogue yet.
KIND_NAMES = (gettext_noop("户"), gettext_noop("用户"), gettext_noop("导入任务"), gettext_noop("导出任务"))

# Detail keys that no field of the event's object names, or names less well (户号 rather than 户).
KEY_LABELS = {
    "reason": gettext_noop("原因"), "ip": gettext_noop("IP 地址"), "name": gettext_noop("名称"),
    "role": gettext_noop("角色"), "scope": gettext_noop("范围"), "token": gettext_noop("令牌"),
    "on": gettext_noop("日期"), "destination": gettext_noop("迁往"), "household": gettext_noop("户号"),
    "new_household": gettext_noop("新户号"), "members": gettext_noop("成员"), "into": gettext_noop("并入户号"),
    "head": gettext_noop("户主"), "id_number": gettext_noop("身份证号"), "phone": gettext_noop("手机号"),
    "field": gettext_noop("查看内容"), "kind": gettext_noop("类别"), "tag": gettext_noop("标签"),
    "rows": gettext_noop("行数"), "revealed_rows": gettext_noop("完整信息行数"), "communities": gettext_noop("社区编号"),
    "full_values": gettext_noop("含完整身份证号和手机号"), "filters": gettext_noop("筛选条件"),
    "job": gettext_noop("任务编号"), "file": gettext_noop("文件"), "error": gettext_noop("错误"),
    "columns": gettext_noop("列数"), "recognised": gettext_noop("识别的列数"), "total": gettext_noop("总行数"),
    "created": gettext_noop("新增"), "updated": gettext_noop("更新"), "rejected": gettext_noop("问题行"),
    "households_created": gettext_noop("新增户数"), "created_ids": gettext_noop("新增居民编号"),
    "places_created": gettext_noop("新增地点"), "updated_changes": gettext_noop("更新明细"),
    "resident": gettext_noop("居民编号"), "row": gettext_noop("行号"), "households": gettext_noop("户数"),
    "residents": gettext_noop("居民人数"), "tags": gettext_noop("标签数"), "household_ids": gettext_noop("户编号"),
    "resident_ids": gettext_noop("居民编号"), "counts": gettext_noop("重新加密"), "reindex": gettext_noop("重建索引"),
    "converted_from_15": gettext_noop("由15位身份证号升位"), "q": gettext_noop("搜索"),
    "age_min": gettext_noop("年龄从"), "age_max": gettext_noop("年龄到"),
    "household_number": gettext_noop("户号"), "header_row": gettext_noop("表头行"), "changes": gettext_noop("变更"),
}
# The order details read in, whatever order the database keeps a JSON object's keys in (PostgreSQL's jsonb its
# own): what and whom first, then counts, then the rest as stored; changes come first and the reason last.
DETAIL_ORDER = (
    "kind", "field", "name", "username", "full_name", "number", "address", "household", "new_household", "into",
    "members", "head", "relation", "id_number", "phone", "on", "died_on", "destination", "role", "scope", "token",
    "file", "job", "header_row", "columns", "recognised", "mapping", "duplicate_policy", "status", "total", "created",
    "updated", "rejected", "households_created", "households", "residents", "tags", "household_ids", "resident_ids",
    "created_ids", "places_created", "updated_changes", "rows", "revealed_rows", "full_values", "filters",
    "communities", "counts", "reindex", "error", "ip",
)
# Values that are codes of a vocabulary kept elsewhere: where to find their labels when the event's own object
# has no such field (a tag's kind on a resident, a role on a user).
VALUE_CHOICES = {
    "kind": ("registry.ResidentTag.kind", "registry.ExportJob.kind"),
    "tag": ("registry.ResidentTag.kind",),
    "role": ("accounts.Membership.role",),
}
VALUE_LABELS = {
    "kind": {"household_card": gettext_noop("户卡")},
    "field": {"id_number": gettext_noop("身份证号"), "phone": gettext_noop("手机号"), "notes": gettext_noop("备注")},
}
# Where a key names a field of no model of its own (export filters, import changes), the registry's people.
FALLBACK_MODELS = ("registry.Resident", "registry.Household")
HIDDEN_WHEN_FALSE = {"converted_from_15"}
FIELD_NAME_VALUES = {"mapping"}  # {column: field name}: the fields named as the registry's people name them
MAX_ITEMS = 10  # of a list, on the page; the rest counted
MAX_LINE = 300  # characters of one line
SHOWN_LINES = 3  # of an event's details, on its row; the rest behind 更多


@dataclass
class AuditRow:
    """One event as a row of the audit page."""

    event: object
    verb: str
    source: str
    kind: str  # 户, 居民… ("" for an event about no object)
    name: str  # H00000001 和平家园1号楼1单元101室, 张三, 编号 5…
    url: str | None  # the object's page, if the reader may open it
    code: str  # registry.household#3: the stored reference, for a title and scripts, never as text
    lines: list  # the first lines of its details
    more: list  # the rest, folded


def event_rows(events, links):
    """The page's rows; `links` from selectors.audit_target_links."""
    rows = []
    for event in events:
        lines = detail_lines(event)
        rows.append(AuditRow(
            event=event, verb=verb_label(event.verb), source=source_label(event.source),
            kind=kind_name(event.target_type), name=object_name(event),
            url=links.get((event.target_type, event.target_id)),
            code=f"{event.target_type}#{event.target_id}" if event.target_type else "",
            lines=lines[:SHOWN_LINES], more=lines[SHOWN_LINES:],
        ))
    return rows


def target_model(target_type):
    """The model an event's target_type ("registry.household") names, or None."""
    if not target_type or target_type.count(".") != 1:
        return None
    try:
        return apps.get_model(target_type)
    except LookupError:
        return None


def kind_name(target_type):
    """户, 居民, 用户… in the page's language; the stored label when no model has it; "" without an object."""
    model = target_model(target_type)
    return gettext(str(model._meta.verbose_name)) if model is not None else target_type


def verb_label(verb):
    return VERB_LABELS.get(verb, verb)


def source_label(source):
    return SOURCE_LABELS.get(source, source)


def object_name(event):
    """A readable name of the event's object: its stored label, else a name in its details, else its number."""
    details = event.details if isinstance(event.details, dict) else {}
    for name in (event.target_label, details.get("name"), details.get("file"), details.get("number")):
        if isinstance(name, str) and name.strip():
            return name.strip()
    if event.target_id:
        return gettext("编号 %(id)s") % {"id": event.target_id}
    if event.verb == "export" and details.get("kind"):
        return _value("kind", details["kind"], None)  # a list exported in the request: 居民名单, 花名册
    return ""


def detail_lines(event):
    """The event's details as readable lines: each changed field as 「字段：旧值 → 新值」, the reason as 「原因：…」,
    every other key as 「名称：值」. Never a Python repr."""
    details = event.details
    if not details:
        return []
    model = target_model(event.target_type)
    if not isinstance(details, dict):
        return [_cut(_text("", details, model))]
    lines = []
    changes = details.get("changes")
    if isinstance(changes, dict):
        lines += [_cut(_line(_label(name, model), _change(name, change, model))) for name, change in changes.items()]
    for key, value in _ordered(details):
        if (key == "changes" and isinstance(changes, dict)) or key == "reason" or _empty(value):
            continue
        if key in HIDDEN_WHEN_FALSE and value is False:
            continue
        lines.append(_cut(_line(_label(key, model), _text(key, value, model))))
    if not _empty(details.get("reason")):
        lines.append(_cut(_line(gettext(KEY_LABELS["reason"]), _text("reason", details["reason"], model))))
    return lines


def _ordered(mapping):
    last = len(DETAIL_ORDER)
    return sorted(mapping.items(), key=lambda item: DETAIL_ORDER.index(item[0]) if item[0] in DETAIL_ORDER else last)


def _line(label, value):
    return gettext("%(label)s：%(value)s") % {"label": label, "value": value}


def _cut(line):
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


def _empty(value):
    return value is None or value == "" or value == [] or value == {}


def _named(field):
    """The field if it was given a name (a verbose_name of its own, not one Django made from its attribute)."""
    verbose = getattr(field, "verbose_name", None)
    return field if verbose and str(verbose) != field.name.replace("_", " ") else None


def _get_field(model, name):
    try:
        return _named(model._meta.get_field(name))
    except FieldDoesNotExist:
        return None


def _own_field(key, model):
    """The field `key` of the event's object."""
    return _get_field(model, key) if model is not None else None


def _fallback_field(key):
    """The field `key` (or `key` without "_id") of the registry's people, for keys of no object's own (an
    export's filters, an import's changes)."""
    for label in FALLBACK_MODELS:
        model = target_model(label)
        for name in (key, key.removesuffix("_id")) if model is not None else ():
            field = _get_field(model, name)
            if field is not None:
                return field
    return None


def _model_field(path):
    """"registry.ResidentTag.kind" → that field, or None."""
    model_label, _, name = path.rpartition(".")
    model = target_model(model_label)
    return _get_field(model, name) if model is not None else None


def _label(key, model):
    """A detail key's name: the field of the event's object, the name the audit gives it, a field of the
    registry's people, or the key itself."""
    field = _own_field(key, model)
    if field is not None:
        return capfirst(gettext(str(field.verbose_name)))
    if key in KEY_LABELS:
        return capfirst(gettext(KEY_LABELS[key]))
    field = _fallback_field(key)
    if field is None:
        return key
    label = capfirst(gettext(str(field.verbose_name)))
    return gettext("%(field)s编号") % {"field": label} if key.endswith("_id") and key != field.name else label


def _field_name_label(name):
    """A field of the registry's people named by its label (an import's column mapping)."""
    field = _fallback_field(name)
    if field is not None and name == field.name:
        return gettext(str(field.verbose_name))
    return gettext(KEY_LABELS[name]) if name in KEY_LABELS else name


def _choice_label(key, value, model):
    """The label of a coded value (a choice of the object's field, of the vocabulary the key names, or of the
    registry's people), or None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    if value in VALUE_LABELS.get(key, {}):
        return gettext(VALUE_LABELS[key][value])
    fields = (_own_field(key, model), *(_model_field(path) for path in VALUE_CHOICES.get(key, ())),
              _fallback_field(key))
    for field in fields:
        if field is not None and field.choices:
            label = dict(field.flatchoices).get(value)
            if label is not None:
                return gettext(str(label))
    return None


def _change(name, change, model):
    """「旧值 → 新值」 of one changed field; a choice by its label, nothing as 空."""
    if not isinstance(change, dict):
        return _text(name, change, model)
    return f"{_changed_value(name, change.get('from'), model)} → {_changed_value(name, change.get('to'), model)}"


def _changed_value(name, value, model):
    if _empty(value):
        return gettext("空")
    field = _own_field(name, model) or _fallback_field(name)
    if isinstance(field, BooleanField) and value in (True, False, "True", "False"):
        return gettext("是") if value in (True, "True") else gettext("否")
    return _value(name, value, model)


def _value(key, value, model):
    label = _choice_label(key, value, model)
    return label if label is not None else str(value)


def _text(key, value, model):
    """One detail's value as text: lists joined, ranges of ids as 1–600, nested names and values spelled out."""
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, dict):
        if set(value) <= {"from", "to"} and value:
            return _change(key, value, model)
        if key in FIELD_NAME_VALUES:
            parts = [f"{k} → {_field_name_label(v) if isinstance(v, str) else _text(k, v, model)}"
                     for k, v in value.items() if not _empty(v)]
        else:
            parts = [_line(_label(k, model), _text(k, v, model)) for k, v in _ordered(value) if not _empty(v)]
        return pgettext("audit details, between named values", "，").join(parts) if parts else gettext("空")
    if isinstance(value, list | tuple):
        if value and all(_is_range(item) for item in value):
            items = [f"{low}–{high}" if low != high else str(low) for low, high in value]
        else:
            items = [_text(key, item, model) for item in value]
        shown = pgettext("audit details, between the items of a list", "、").join(items[:MAX_ITEMS])
        if len(items) > MAX_ITEMS:
            shown += gettext("等 %(count)s 项") % {"count": len(items)}
        return shown
    return _value(key, value, model)


def _is_range(item):
    return (isinstance(item, list | tuple) and len(item) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in item))
