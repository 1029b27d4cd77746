from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import VERB_LABELS


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("操作人"), required=False)
    verb = forms.ChoiceField(label=_("操作"), required=False, choices=[("", _("全部")), *VERB_LABELS.items()])
    target_type = forms.CharField(label=_("对象类型"), required=False)
    since = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    before = forms.IntegerField(required=False, widget=forms.HiddenInput)
