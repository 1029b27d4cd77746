import json
import re
from datetime import date

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from shequ.core.i18n import gettext_noop, translated_choices
from shequ.core.identity import IdNumberError, normalize_text, parse_id_number
from shequ.places.models import Building, Community, Entrance, Estate, Grid, ResidentGroup

from .choices import (
    ANY_STATUS,
    ETHNIC_GROUPS,
    SENSITIVE_TAGS,
    TAG_DATE_FIELDS,
    TAG_FIELD_OPTIONS,
    TAG_FIELDS,
    Education,
    Employment,
    HouseholdStatus,
    HouseholdType,
    Housing,
    MaritalStatus,
    PoliticalStatus,
    RegistrationDue,
    Relation,
    ResidenceStatus,
    ResidentStatus,
    Sex,
    TagKind,
)
from .validation import validate_person

ANY = _("不限")  # the empty option of a filter


def filter_problems(form):
    """A list form's errors in one line, each with its field: 「年龄从：…」."""
    return pgettext("list separator", "；").join(
        gettext("%(label)s：%(value)s") % {"label": form.fields[name].label, "value": " ".join(errors)}
        if name in form.fields else " ".join(errors) for name, errors in form.errors.items())


def _statuses(statuses):
    """A list's status filter: the first status (the default, as ""), the others, and 全部 ("all")."""
    first, *others = statuses.choices
    return translated_choices([("", first[1]), *others, (ANY_STATUS, gettext_noop("全部"))])


def _search_box(placeholder):
    """A list's one search box, which says what it finds."""
    return forms.CharField(label=_("搜索"), required=False, widget=forms.TextInput(
        attrs={"placeholder": placeholder, "autocomplete": "off", "type": "search"}))


class _PlaceFilters(forms.Form):
    """The places a list filters by, among those the actor reads (a grid worker: the grid's); with several
    communities, a community filter too, and each grid, group and building named with its community."""

    community = forms.ModelChoiceField(label=_("社区"), queryset=Community.objects.none(), required=False,
                                       empty_label=_("全部社区"))
    grid = forms.ModelChoiceField(label=_("网格"), queryset=Grid.objects.none(), required=False,
                                  empty_label=_("全部网格"))

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        communities = scope.readable_community_ids
        whole = Q(community_id__in=scope.community_ids)
        places = {"grid": Grid.objects.filter(whole | Q(id__in=scope.grid_ids)),
                  "group": ResidentGroup.objects.filter(community_id__in=communities),
                  "building": Building.objects.filter(whole | Q(grid_id__in=scope.grid_ids))
                  .select_related("estate").order_by("community_id", "estate__name", "number")}
        self.many_communities = len(communities) > 1
        if self.many_communities:
            self.fields["community"].queryset = Community.objects.filter(id__in=communities).order_by("id")
        else:
            del self.fields["community"]
        for name, places_of_scope in places.items():
            if name in self.fields:
                field = self.fields[name]
                field.queryset = places_of_scope.select_related("community") if self.many_communities else places_of_scope
                if self.many_communities:
                    field.label_from_instance = lambda place: f"{place.community.name} {place}"

    def place_filters(self):
        data = self.cleaned_data
        return {f"{name}_id": data[name].id if data.get(name) else None
                for name in ("community", "grid", "group", "building") if name in self.fields}


class ResidentSearchForm(_PlaceFilters):
    q = _search_box(_("姓名、拼音、尾号、小区、3号楼2单元"))
    group = forms.ModelChoiceField(label=_("居民小组"), queryset=ResidentGroup.objects.none(), required=False,
                                   empty_label=_("全部小组"))
    sex = forms.ChoiceField(label=_("性别"), required=False, choices=translated_choices(Sex.choices, ANY))
    age_min = forms.IntegerField(label=_("年龄从"), required=False, min_value=0, max_value=150)
    age_max = forms.IntegerField(label=_("到"), required=False, min_value=0, max_value=150)
    tag = forms.ChoiceField(label=_("重点人群"), required=False, choices=translated_choices(TagKind.choices, ANY))
    residence_status = forms.ChoiceField(label=_("居住状况"), required=False,
                                         choices=translated_choices(ResidenceStatus.choices, ANY))
    registration_due = forms.ChoiceField(label=_("居住登记"), required=False,
                                         choices=translated_choices(RegistrationDue.choices, ANY))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_statuses(ResidentStatus))
    after = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, sensitive_tags=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not sensitive_tags:
            # Not offered to those without the grant; still a valid choice, for which the list is empty,
            # so that a link with one narrows an export to nothing instead of being dropped as invalid.
            self.fields["tag"].widget.choices = [(k, label) for k, label in self.fields["tag"].choices
                                                 if k not in SENSITIVE_TAGS]

    def clean(self):
        data = super().clean()
        if data.get("age_min") is not None and data.get("age_max") is not None and data["age_min"] > data["age_max"]:
            self.add_error("age_min", gettext("不能大于“到”的年龄"))
        return data

    def filters(self):
        data = self.cleaned_data
        return self.place_filters() | {
            "q": data.get("q") or "", "sex": data.get("sex") or None,
            "age_min": data.get("age_min"), "age_max": data.get("age_max"), "tag": data.get("tag") or None,
            "residence_status": data.get("residence_status") or None,
            "registration_due": data.get("registration_due") or None,
            "status": data.get("status") or ResidentStatus.PRESENT, "after_id": data.get("after"),
        }


class HouseholdSearchForm(_PlaceFilters):
    """户列表's search and filters. Status: in residence unless another is chosen ("all": any)."""

    q = _search_box(_("户号、姓名、拼音、尾号、3号楼2单元"))
    building = forms.ModelChoiceField(label=_("楼栋"), queryset=Building.objects.none(), required=False,
                                      empty_label=_("全部楼栋"))
    household_type = forms.ChoiceField(label=_("户类型"), required=False,
                                       choices=translated_choices(HouseholdType.choices, ANY))
    housing = forms.ChoiceField(label=_("住房性质"), required=False, choices=translated_choices(Housing.choices, ANY))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_statuses(HouseholdStatus))
    without_head = forms.BooleanField(label=_("仅无在册户主的户"), required=False)
    after = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def filters(self):
        data = self.cleaned_data
        return self.place_filters() | {
            "q": data.get("q") or "", "household_type": data.get("household_type") or None, "housing": data.get("housing") or None,
            "status": data.get("status") or HouseholdStatus.LIVING, "without_head": data.get("without_head", False),
            "after_id": data.get("after"),
        }


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[("id_number", "身份证号"), ("phone", "手机号"), ("notes", "备注")],
                              widget=forms.HiddenInput)
    reason = forms.CharField(label=_("查看原因"), max_length=200, min_length=2,
                             error_messages={"required": _("请填写查看原因"), "min_length": _("查看原因至少2个字")},
                             widget=forms.TextInput(attrs={"placeholder": _("如：办理高龄津贴核对身份")}))


class TagRevealForm(forms.Form):
    reason = RevealForm.base_fields["reason"]


# ---------------------------------------------------------------------------------------------------------
# Registration and life events. The rules for a person's data live in validation.validate_person; these
# forms only parse what the browser sends and call it (or show what the services' ApplicationError says).
# ---------------------------------------------------------------------------------------------------------

CHOOSE = _("请选择")
ENTRANCE = pgettext_lazy("field", "单元")  # one entrance (the page's column "单元" lists several)


def _optional(choices, empty="—"):
    return translated_choices(choices, empty)


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def describe_id_number(raw):
    """(ok, text): (True, "1990年5月1日 男", or "May 1, 1990 Male" in English) for a valid ID number, (False,
    the reason) for an invalid one, (None, "") when nothing is typed."""
    if not normalize_text(raw):
        return None, ""
    try:
        info = parse_id_number(raw)
    except IdNumberError as error:
        return False, gettext(str(error))  # core.identity builds its reasons in the active language already
    text = f"{date_format(info.birth_date)} {gettext(Sex(info.sex).label)}"
    return True, text + (gettext("（15位旧号，将转为18位）") if info.converted_from_15 else "")


class PersonForm(forms.Form):
    """One person as a worker types them in; validate_person decides what is acceptable."""

    name = forms.CharField(label=_("姓名"), max_length=50, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    id_number = forms.CharField(label=_("身份证号"), max_length=30, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "class": "mono",
                                                              "spellcheck": "false"}))
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}))
    relation = forms.ChoiceField(label=_("与户主关系"), choices=_optional(Relation.choices, CHOOSE),
                                 error_messages={"required": _("请选择与户主关系")})
    ethnicity = forms.ChoiceField(label=_("民族"), choices=translated_choices((n, n) for n in ETHNIC_GROUPS),
                                  initial="汉族")
    political_status = forms.ChoiceField(label=_("政治面貌"), required=False,
                                         choices=_optional(PoliticalStatus.choices))
    education = forms.ChoiceField(label=_("文化程度"), required=False, choices=_optional(Education.choices))
    employment = forms.ChoiceField(label=_("就业状况"), required=False, choices=_optional(Employment.choices))
    marital_status = forms.ChoiceField(label=_("婚姻状况"), required=False, choices=_optional(MaritalStatus.choices))
    # Only for someone without an ID number (a newborn); otherwise both come from the ID number.
    sex = forms.ChoiceField(label=_("性别"), required=False, choices=_optional(Sex.choices, _("由身份证号确定")))
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=_date_input())

    no_id_fields = ("sex", "birth_date")
    required_marks = ("name", "id_number", "relation")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id_number"].widget.attrs.update({
            "hx-get": reverse_lazy("registry:id_hint"), "hx-trigger": "input changed delay:300ms, change",
            "hx-target": "next .id-hint", "hx-sync": "this:replace",
        })

    def main_fields(self):
        return [self[name] for name in self.fields if name not in self.no_id_fields and name != "DELETE"]

    def no_id_bound_fields(self):
        return [self[name] for name in self.no_id_fields if name in self.fields]

    def id_hint(self):
        return describe_id_number(self["id_number"].value())

    def person_data(self):
        return {k: v for k, v in self.cleaned_data.items() if k != "DELETE" and v not in (None, "")}

    def clean(self):
        data = super().clean()
        # The same call the services make: no ID number is allowed only with a birth date (a newborn).
        _, errors = validate_person(self.person_data(), require_id=not data.get("birth_date"))
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)
        return data


class MemberFormSet(forms.BaseFormSet):
    def member_forms(self):
        """The kept members' forms, in the order typed (the first is the head unless stated)."""
        return [form for form in self.forms if form.has_changed() and not self._should_delete_form(form)]

    def members(self):
        return [form.person_data() for form in self.member_forms()]

    def take_member_errors(self, error):
        """Put a service's errors about members (details "members.<i>.<field>", i counting members()) on
        their rows, each naming its row as the page numbers it; return the other details."""
        shown = [form for form in self.forms if not self._should_delete_form(form)]
        members = self.member_forms()
        rest = {}
        for key, problems in error.details.items():
            match = re.fullmatch(r"members\.(\d+)\.(\w+)", key)
            if not match or int(match[1]) >= len(members):
                rest[key] = problems
                continue
            form, field = members[int(match[1])], match[2]
            number = shown.index(form) + 1
            form.add_error(field if field in form.fields else None,
                           [gettext("成员%(number)s：%(problem)s") % {"number": number, "problem": p} for p in problems])
        return rest


MemberFormSetFactory = forms.formset_factory(PersonForm, formset=MemberFormSet, extra=0, min_num=1,
                                             validate_min=True, can_delete=True)


def member_formset(data=None):
    return MemberFormSetFactory(data, prefix="members", initial=None if data else [{"relation": Relation.HEAD}])


class HouseholdForm(forms.Form):
    estate = forms.ModelChoiceField(label=_("小区"), queryset=Estate.objects.none(), empty_label=_("请选择小区"))
    building = forms.ModelChoiceField(label=_("楼栋"), queryset=Building.objects.none(),
                                      empty_label=_("请先选择小区"))
    entrance = forms.ModelChoiceField(label=ENTRANCE, queryset=Entrance.objects.none(), required=False,
                                      empty_label="—")
    room = forms.CharField(label=_("门牌/室号"), max_length=20, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("如 302")}))
    household_type = forms.ChoiceField(label=_("户类型"), choices=translated_choices(HouseholdType.choices),
                                       initial=HouseholdType.RESIDENT)
    housing = forms.ChoiceField(label=_("住房性质"), choices=translated_choices(Housing.choices),
                                initial=Housing.OWNED)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "placeholder": _("手机或座机")}))

    def __init__(self, *args, estates, buildings_of, entrances_of, **kwargs):
        """estates: a queryset; buildings_of(estate_id) / entrances_of(building_id): the choices below it."""
        super().__init__(*args, **kwargs)
        listed = list(estates)
        if len(listed) == 1 and not self.is_bound:
            self.initial["estate"] = listed[0].id
        if len({e.community_id for e in listed}) > 1:
            self.fields["estate"].label_from_instance = lambda e: f"{e.community.name} · {e.name}"
        self.fields["estate"].queryset = estates
        estate_id = _selected_id(self, "estate")
        building_id = _selected_id(self, "building")
        self.fields["building"].queryset = buildings_of(estate_id) if estate_id else Building.objects.none()
        self.fields["building"].label_from_instance = lambda b: b.label
        if estate_id:
            self.fields["building"].empty_label = gettext("请选择楼栋")
        self.fields["entrance"].queryset = entrances_of(building_id) if building_id else Entrance.objects.none()
        self.fields["entrance"].label_from_instance = lambda e: e.label
        narrow(self, "estate", "building", reset="entrance")
        narrow(self, "building", "entrance")


def _selected_id(form, name):
    raw = form[name].value()
    raw = getattr(raw, "pk", raw)
    return int(raw) if str(raw or "").isdigit() else None


def narrow(form, parent, child, reset=None):
    """Choosing `parent` reloads the options of `child` (htmx; the form still posts without it) and empties
    `reset`, the level below the child."""
    values = {"source": form.add_prefix(parent), "child": child,
              "reset": f"#{form[reset].id_for_label}" if reset else ""}
    form.fields[parent].widget.attrs.update({
        "hx-get": reverse_lazy("registry:place_options"), "hx-trigger": "change",
        "hx-target": f"#{form[child].id_for_label}", "hx-swap": "innerHTML", "hx-vals": json.dumps(values),
    })


class AddMemberForm(PersonForm):
    moved_in_on = forms.DateField(label=_("迁入日期"), required=False, widget=_date_input())


class MoveOutForm(forms.Form):
    on = forms.DateField(label=_("迁出日期"), initial=date.today, widget=_date_input(),
                         error_messages={"required": _("请填写迁出日期")})
    destination = forms.CharField(label=_("迁往"), max_length=200, required=False,
                                  widget=forms.TextInput(attrs={"placeholder": _("如：海淀区某社区 / 外省市")}))


class DeathForm(forms.Form):
    died_on = forms.DateField(label=_("死亡日期"), widget=_date_input(),
                              error_messages={"required": _("请填写死亡日期")})


class HouseholdNumberForm(forms.Form):
    number = forms.CharField(label=_("目标户号"), max_length=32, error_messages={"required": _("请填写目标户号")},
                             widget=forms.TextInput(attrs={"placeholder": _("如 H00000012"), "autocomplete": "off"}))


class TransferForm(HouseholdNumberForm):
    relation = forms.ChoiceField(label=_("在新户中的关系"), choices=translated_choices(Relation.choices),
                                 initial=Relation.OTHER_RELATIVE)


class MoveBackForm(forms.Form):
    number = forms.CharField(label=_("迁回户号"), max_length=32, required=False,
                             widget=forms.TextInput(attrs={"autocomplete": "off"}),
                             help_text=_("不填则迁回原户"))
    relation = forms.ChoiceField(label=_("与户主关系"), choices=translated_choices(Relation.choices))
    on = forms.DateField(label=_("迁回日期"), initial=date.today, widget=_date_input(),
                         error_messages={"required": _("请填写迁回日期")})

    def __init__(self, *args, resident, **kwargs):
        super().__init__(*args, initial={"relation": resident.relation}, **kwargs)
        self.fields["number"].widget.attrs["placeholder"] = resident.household.number


class DeathRevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=200, error_messages={"required": _("请填写原因")},
                             widget=forms.TextInput(attrs={"placeholder": _("如：误登记，本人仍健在")}))


def _building_and_entrance(form, buildings, entrances_of):
    """A building among `buildings` (named with its estate) and an entrance of the one chosen, reloaded as the
    building changes."""
    form.fields["building"].queryset = buildings
    form.fields["building"].label_from_instance = lambda b: f"{b.estate.name} {b.label}"
    building_id = _selected_id(form, "building")
    form.fields["entrance"].queryset = entrances_of(building_id) if building_id else Entrance.objects.none()
    form.fields["entrance"].label_from_instance = lambda e: e.label
    narrow(form, "building", "entrance")


class SplitForm(forms.Form):
    members = forms.MultipleChoiceField(label=_("分出的成员"), widget=forms.CheckboxSelectMultiple,
                                        error_messages={"required": _("请至少选择一名成员")})
    head = forms.ChoiceField(label=_("新户户主"), required=False)
    building = forms.ModelChoiceField(label=_("新住址楼栋"), queryset=Building.objects.none(), required=False,
                                      empty_label=_("同原住址"))
    entrance = forms.ModelChoiceField(label=ENTRANCE, queryset=Entrance.objects.none(), required=False,
                                      empty_label="—")
    room = forms.CharField(label=_("门牌/室号"), max_length=20, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("不填则同原户")}))

    def __init__(self, *args, members, buildings, entrances_of, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(m.id), gettext("%(name)s（%(relation)s）") % {
            "name": m.name, "relation": gettext(m.get_relation_display())}) for m in members]
        self.fields["members"].choices = choices
        self.fields["head"].choices = [("", gettext("第一个选中的成员")), *choices]
        _building_and_entrance(self, buildings, entrances_of)

    def clean(self):
        data = super().clean()
        if data.get("head") and data["head"] not in data.get("members", []):
            self.add_error("head", gettext("新户户主须是选中的成员之一"))
        return data


def _correction(cleaned_data):
    """A correction form's data and its reason apart; the phone "" to delete it (clear_phone), None to keep it."""
    data = dict(cleaned_data)
    reason = data.pop("reason", "")
    if data.pop("clear_phone", False):
        data["phone"] = ""
    elif not data.get("phone"):
        data["phone"] = None
    return data, reason


class CorrectForm(forms.Form):
    """Prefilled with what the card shows; ID number and phone stay empty unless a new value is typed."""

    required_marks = ("name",)  # validate_person requires it; the field itself is optional to say so in its words
    name = PersonForm.base_fields["name"]
    id_number = forms.CharField(label=_("新身份证号"), max_length=30, required=False,
                                help_text=_("不修改请留空"),
                                widget=forms.TextInput(attrs={"autocomplete": "off", "class": "mono"}))
    phone = forms.CharField(label=_("新手机号"), max_length=20, required=False, help_text=_("不修改请留空"),
                            widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}))
    clear_phone = forms.BooleanField(label=_("删除已登记的手机号"), required=False)
    sex = PersonForm.base_fields["sex"]
    birth_date = PersonForm.base_fields["birth_date"]
    ethnicity = PersonForm.base_fields["ethnicity"]
    relation = forms.ChoiceField(label=_("与户主关系"), choices=translated_choices(Relation.choices))
    residence_status = forms.ChoiceField(label=_("居住状况"), choices=translated_choices(ResidenceStatus.choices))
    political_status = PersonForm.base_fields["political_status"]
    education = PersonForm.base_fields["education"]
    employment = PersonForm.base_fields["employment"]
    marital_status = PersonForm.base_fields["marital_status"]
    moved_in_on = forms.DateField(label=_("迁入日期"), required=False, widget=_date_input())
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                            help_text=_("备注中的号码显示为遮蔽形式；不改动备注则原号码保留"))
    reason = forms.CharField(label=_("更正原因"), max_length=200, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("如：户口本核对")}))

    def __init__(self, *args, resident, **kwargs):
        initial = {name: getattr(resident, name) for name in (
            "name", "sex", "birth_date", "ethnicity", "relation", "residence_status", "political_status",
            "education", "employment", "marital_status", "moved_in_on", "notes")}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["id_number"].widget.attrs.update({
            "hx-get": reverse_lazy("registry:id_hint"), "hx-trigger": "input changed delay:300ms, change",
            "hx-target": "next .id-hint", "hx-sync": "this:replace",
        })
        if resident.id_number_enc:
            # Sex and birth date follow the ID number; a new ID number changes them.
            del self.fields["sex"], self.fields["birth_date"]
        if not resident.phone_enc:
            del self.fields["clear_phone"]

    def changes(self):
        """What to hand resident_correct: every field shown, the ID number and phone only when typed."""
        data, reason = _correction(self.cleaned_data)
        if not data.get("id_number"):
            data.pop("id_number", None)
        return data, reason


class HouseholdCorrectForm(forms.Form):
    """Prefilled with the household's data; the phone stays empty unless a new one is typed. Grid and group
    left empty follow the building."""

    number = forms.CharField(label=_("户号"), max_length=32, error_messages={"required": _("请填写户号")})
    household_type = HouseholdForm.base_fields["household_type"]
    housing = HouseholdForm.base_fields["housing"]
    phone = forms.CharField(label=_("新联系电话"), max_length=30, required=False, help_text=_("不修改请留空"),
                            widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}))
    clear_phone = forms.BooleanField(label=_("删除已登记的联系电话"), required=False)
    building = forms.ModelChoiceField(label=_("楼栋"), queryset=Building.objects.none(),
                                      error_messages={"required": _("请选择楼栋")})
    entrance = forms.ModelChoiceField(label=ENTRANCE, queryset=Entrance.objects.none(), required=False,
                                      empty_label="—")
    room = forms.CharField(label=_("门牌/室号"), max_length=20, required=False)
    grid = forms.ModelChoiceField(label=_("网格"), queryset=Grid.objects.none(), required=False,
                                  empty_label=_("按楼栋所属"))
    resident_group = forms.ModelChoiceField(label=_("居民小组"), queryset=ResidentGroup.objects.none(),
                                            required=False, empty_label=_("按楼栋所属"))
    reason = CorrectForm.base_fields["reason"]

    def __init__(self, *args, household, buildings, entrances_of, **kwargs):
        initial = {"number": household.number, "household_type": household.household_type,
                   "housing": household.housing, "building": household.building_id,
                   "entrance": household.entrance_id, "room": household.room}
        if household.placement_overridden:
            initial |= {"grid": household.grid_id, "resident_group": household.resident_group_id}
        super().__init__(*args, initial=initial, **kwargs)
        community_id = household.community_id
        _building_and_entrance(self, buildings, entrances_of)
        self.fields["grid"].queryset = Grid.objects.filter(community_id=community_id).order_by("code")
        self.fields["resident_group"].queryset = ResidentGroup.objects.filter(
            community_id=community_id).order_by("number")
        if not household.phone_enc:
            del self.fields["clear_phone"]

    def changes(self):
        """What to hand household_correct: every field shown, the phone only when typed or cleared."""
        return _correction(self.cleaned_data)


class ChangeHeadForm(forms.Form):
    """The new head, and every other member's relation to them (the former head's must be chosen anew)."""

    head = forms.ChoiceField(label=_("新户主"), error_messages={"required": _("请选择新户主")})

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        self.fields["head"].choices = [("", "—"), *((str(m.id), m.name) for m in members)]
        relations = translated_choices([c for c in Relation.choices if c[0] != Relation.HEAD],
                                       gettext("（本人为新户主时不填）"))
        for member in members:
            self.fields[f"relation_{member.id}"] = forms.ChoiceField(
                label=gettext("%(name)s 与新户主的关系") % {"name": member.name}, choices=relations, required=False,
                initial="" if member.relation == Relation.HEAD else member.relation)

    def clean(self):
        data = super().clean()
        head = data.get("head")
        for member in self.members:
            field = f"relation_{member.id}"
            if str(member.id) != head and head and not data.get(field):
                self.add_error(field, gettext("请选择与新户主的关系"))
        return data

    def relations(self):
        head = self.cleaned_data["head"]
        return {member.id: self.cleaned_data[f"relation_{member.id}"] for member in self.members
                if str(member.id) != head}


class TagAddForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), error_messages={"required": _("请选择类别")})
    started_on = forms.DateField(label=_("纳入日期"), required=False, widget=_date_input())

    def __init__(self, *args, sensitive_allowed, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = [(k, label) for k, label in TagKind.choices if sensitive_allowed or k not in SENSITIVE_TAGS]
        self.fields["kind"].choices = _optional(kinds, CHOOSE)
        self.fields["kind"].widget.attrs.update({
            "hx-get": reverse_lazy("registry:tag_fields"), "hx-trigger": "change",
            "hx-target": f"#{self['kind'].id_for_label}-fields", "hx-swap": "innerHTML",
            "hx-vals": json.dumps({"source": self.add_prefix("kind"), "prefix": self.add_prefix("detail")}),
        })

    def detail_fields(self):
        """(name, label, value) of the selected kind's detail inputs."""
        kind = self["kind"].value()
        return tag_detail_fields(kind, self.data if self.is_bound else {}, self.add_prefix("detail"))

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        for key, value in self.details().items() if kind else ():
            label = gettext(TAG_FIELDS[kind][key])
            options = TAG_FIELD_OPTIONS.get(key, {}).get(kind)
            if value and options and value not in options:
                self.add_error(None, gettext("%(label)s：请从列表中选择") % {"label": label})
            if value and key in TAG_DATE_FIELDS and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                self.add_error(None, gettext("%(label)s：请填写日期，如 2026-01-31") % {"label": label})
        return data

    def details(self):
        return {key: (self.data.get(f"{self.add_prefix('detail')}-{key}") or "").strip()
                for key in TAG_FIELDS.get(self.cleaned_data["kind"], {})}


def tag_detail_fields(kind, data, prefix):
    """(name, label, value, options or None, input type) of a tag kind's detail inputs."""
    return [(f"{prefix}-{key}", gettext(label), data.get(f"{prefix}-{key}", ""),
             TAG_FIELD_OPTIONS.get(key, {}).get(kind), "date" if key in TAG_DATE_FIELDS else "text")
            for key, label in TAG_FIELDS.get(kind, {}).items()]


def tag_detail_text(kind, details):
    """A revealed tag's details on one line, labelled in the request's language: "健康状况：高血压 · 签约医生：李医生"."""
    labels = TAG_FIELDS.get(kind, {})
    # In the kind's own order: PostgreSQL's jsonb keeps keys in an order of its own.
    keys = [key for key in labels if key in details] + [key for key in details if key not in labels]
    return " · ".join(gettext("%(label)s：%(value)s") % {"label": gettext(labels.get(key, key)), "value": details[key]}
                      for key in keys)


class TagEndForm(forms.Form):
    ended_on = forms.DateField(label=_("结束日期"), required=False, widget=_date_input())


# -- Roster import and export ---------------------------------------------------------------------------


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("花名册文件"), help_text=_("xlsx、xls、ods，或 UTF-8 / GBK 编码的 csv"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.xls,.ods,.csv,.txt"}))
    community = forms.ModelChoiceField(label=_("导入到社区"), queryset=None, empty_label=None)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        from shequ.places.models import Community

        self.fields["community"].queryset = Community.objects.filter(id__in=[c.id for c in communities])
        if len(communities) == 1:
            self.fields["community"].initial = communities[0].id
            self.fields["community"].widget = forms.HiddenInput()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 200 * 1024 * 1024:
            raise forms.ValidationError(gettext("文件不能超过200MB"))
        return upload


class ImportMappingForm(forms.Form):
    """One select per header column of the file: which field it holds, or not imported."""

    def __init__(self, *args, headers, mapping, **kwargs):
        super().__init__(*args, **kwargs)
        from .roster import FIELDS

        # FIELDS stays Chinese (it matches headers and writes the template); only the options are translated.
        choices = translated_choices(FIELDS.items(), gettext("（不导入）"))
        self.columns = []
        for column in headers:
            name = f"col_{column['column']}"
            label = gettext("%(column)s列：%(header)s") % {"column": column["column"], "header": column["header"]}
            self.fields[name] = forms.ChoiceField(
                label=label, choices=choices, required=False, initial=mapping.get(column["column"], ""),
                widget=forms.Select(attrs={"aria-label": gettext("%(label)s 导入为") % {"label": label}}))
            self.columns.append((column, name))

    def rows(self):
        return [(column, self[name]) for column, name in self.columns]

    def mapping(self):
        return {column["column"]: self.cleaned_data[name] for column, name in self.columns
                if self.cleaned_data.get(name)}


class ImportCommitForm(forms.Form):
    duplicate_policy = forms.ChoiceField(label=_("身份证号已登记的行"), choices=[
        ("update", _("更新已登记居民的信息")), ("report", _("列为问题行，不导入"))], widget=forms.RadioSelect,
        initial="report")


class ExportRevealForm(forms.Form):
    reveal_reason = forms.CharField(label=_("导出完整身份证号和手机号的原因"), max_length=200, min_length=2, required=False,
                                    widget=forms.TextInput(attrs={"placeholder": _("如：上报街道高龄津贴名单")}))
