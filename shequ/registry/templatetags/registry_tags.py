"""How a care tag reads on a resident's card: its details with their labels, and whether its period has ended."""

from datetime import date

from django import template

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
