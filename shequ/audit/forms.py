from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from .display import kind_name, target_model
from .selectors import VERB_LABELS


class KindField(forms.ChoiceField):
    """A kind of object, chosen from those in the trail. Also takes the kind by its name, as someone may type it
    into the address (户, 居民, Household), and any model's label ("registry.household"), as older links have it."""

    names = {}  # {name, casefolded: target type}, set by the form

    def to_python(self, value):
        value = super().to_python(value).strip()
        return self.names.get(value.casefold(), value)


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("操作人"), required=False)
    verb = forms.ChoiceField(label=_("操作"), required=False, choices=[("", _("全部")), *VERB_LABELS.items()])
    target_type = KindField(label=_("对象类型"), required=False)
    since = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    before = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, kinds=(), **kwargs):
        """`kinds`: the target types in the trail (selectors.audit_target_types), offered by name."""
        super().__init__(*args, **kwargs)
        field = self.fields["target_type"]
        requested = self.data.get("target_type", "") if self.is_bound else ""
        names = _kind_names(kinds)
        chosen = names.get(requested.strip().casefold(), requested.strip())
        if target_model(chosen) is not None and chosen not in kinds:
            kinds = [*kinds, chosen]  # asked for by a link, though the trail holds none yet
        options = sorted(((kind, kind_name(kind)) for kind in kinds), key=lambda option: str(option[1]))
        field.choices = [("", _("全部")), *options]
        field.names = names


def _kind_names(kinds):
    """{name, casefolded: target type} of every model, Chinese and in the page's language; the kinds in the trail
    win where two models share a name."""
    names = {}
    models = sorted(apps.get_models(), key=lambda model: model._meta.label_lower in kinds)
    for model in models:
        label = model._meta.label_lower
        for name in (str(model._meta.verbose_name), kind_name(label), label):
            names[name.casefold()] = label
    return names
