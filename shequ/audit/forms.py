from django import forms

from .selectors import VERB_LABELS


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="操作人", required=False)
    verb = forms.ChoiceField(label="操作", required=False, choices=[("", "全部"), *VERB_LABELS.items()])
    target_type = forms.CharField(label="对象类型", required=False)
    since = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    before = forms.IntegerField(required=False, widget=forms.HiddenInput)
