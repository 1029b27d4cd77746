from django import forms

from shequ.places.models import Grid, ResidentGroup

from .choices import ResidenceStatus, Sex, TagKind


class ResidentSearchForm(forms.Form):
    q = forms.CharField(label="搜索", required=False,
                        widget=forms.TextInput(attrs={"placeholder": "姓名、拼音首字母、手机/身份证后4位、3号楼2单元",
                                                      "autocomplete": "off", "type": "search"}))
    grid = forms.ModelChoiceField(label="网格", queryset=Grid.objects.none(), required=False, empty_label="全部网格")
    group = forms.ModelChoiceField(label="居民小组", queryset=ResidentGroup.objects.none(), required=False,
                                   empty_label="全部小组")
    sex = forms.ChoiceField(label="性别", required=False, choices=[("", "不限"), *Sex.choices])
    age_min = forms.IntegerField(label="年龄从", required=False, min_value=0, max_value=150)
    age_max = forms.IntegerField(label="到", required=False, min_value=0, max_value=150)
    tag = forms.ChoiceField(label="重点人群", required=False, choices=[("", "不限"), *TagKind.choices])
    residence_status = forms.ChoiceField(label="居住状况", required=False,
                                         choices=[("", "不限"), *ResidenceStatus.choices])
    after = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, community_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = Grid.objects.filter(community_id__in=community_ids)
        self.fields["group"].queryset = ResidentGroup.objects.filter(community_id__in=community_ids)

    def filters(self):
        data = self.cleaned_data
        return {
            "q": data.get("q") or "", "grid_id": data["grid"].id if data.get("grid") else None,
            "group_id": data["group"].id if data.get("group") else None, "sex": data.get("sex") or None,
            "age_min": data.get("age_min"), "age_max": data.get("age_max"), "tag": data.get("tag") or None,
            "residence_status": data.get("residence_status") or None, "after_id": data.get("after"),
        }


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("id_number", "身份证号"), ("phone", "手机号")], widget=forms.HiddenInput)
    reason = forms.CharField(label="查看原因", max_length=200, min_length=2,
                             widget=forms.TextInput(attrs={"placeholder": "如：办理高龄津贴核对身份"}))
