from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.core.i18n import translate_labels

from .kinds import KINDS
from .models import Grid, ResidentGroup

# The first option of a select of places, instead of Django's "---------": an optional one (a building's grid
# or resident group) may be left unset, a required one must be chosen.
UNSPECIFIED = _("不指定")
CHOOSE = _("请选择")


def place_form_class(kind):
    spec = KINDS[kind]
    return forms.modelform_factory(spec.model, fields=spec.fields)


def place_form(kind, community_id, *args, **kwargs):
    """The kind's form with every choice limited to the community the place belongs to, its labels (the
    models' Chinese verbose names) in the request's language."""
    form = translate_labels(place_form_class(kind)(*args, **kwargs))
    if "grid" in form.fields:
        form.fields["grid"].queryset = Grid.objects.filter(community_id=community_id)
    if "resident_group" in form.fields:
        form.fields["resident_group"].queryset = ResidentGroup.objects.filter(community_id=community_id)
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField) and field.empty_label is not None:
            field.empty_label = CHOOSE if field.required else UNSPECIFIED
    return form
