"""How pages write numbers: counts with a comma every three digits ("1,800"), in every language, the way the
registry's lists write theirs (Django's intcomma follows the locale, and Chinese has no separator there)."""

from django import template

register = template.Library()


@register.filter
def thousands(value):
    """1800 → "1,800"; anything that is not a whole number is left as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value
