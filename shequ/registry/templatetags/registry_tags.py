"""How a care tag reads on a resident's card (its details with their labels, whether its period has ended), and a
label with its value as the page's language writes it."""

from datetime import date

from django import template
from django.utils.translation import gettext

from ..forms import tag_detail_text

register = template.Library()


@register.filter
def tag_details(tag):
    """「残疾类别：智力残疾 · 残疾等级：三级」 as the tag shows them (numbers masked, a sensitive tag's none)."""
    return tag_detail_text(tag.kind, tag.details)


@register.filter
def tag_expired(tag):
    """Whether the tag's period (低保, 特困 … 截止日期) ended before today; a date written otherwise is not judged."""
    try:
        return date.fromisoformat(tag.details.get("end", "")) < date.today()
    except ValueError:
        return False


@register.simple_tag
def labelled(label, value):
    """「网格：第1网格」 in Chinese, "Grid: 第1网格" in English (the colon is the language's)."""
    return gettext("%(label)s：%(value)s") % {"label": gettext(label), "value": value}
