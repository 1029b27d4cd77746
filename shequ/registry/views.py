import io
import re
from functools import partial
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from shequ.core.errors import ApplicationError, NotFound
from shequ.core.views import forbidden_unless
from shequ.places.selectors import place_get

from . import exports, imports, selectors, services
from .choices import HouseholdStatus, ResidentStatus
from .forms import (
    AddMemberForm,
    ChangeHeadForm,
    CorrectForm,
    DeathForm,
    DeathRevokeForm,
    ExportRevealForm,
    HouseholdCorrectForm,
    HouseholdForm,
    HouseholdNumberForm,
    HouseholdSearchForm,
    ImportCommitForm,
    ImportMappingForm,
    ImportUploadForm,
    MoveBackForm,
    MoveOutForm,
    ResidentSearchForm,
    RevealForm,
    SplitForm,
    TagAddForm,
    TagEndForm,
    TagRevealForm,
    TransferForm,
    describe_id_number,
    filter_problems,
    member_formset,
    tag_detail_fields,
    tag_detail_text,
)
from .household_card import household_card_docx
from .models import ExportJob, ExportKind
from .overview import overview_charts, overview_tables, registry_overview
from .overview_files import overview_docx, overview_xlsx
from .permissions import (
    can_edit_household,
    can_import_anywhere,
    can_register_anywhere,
    can_reveal,
    can_view_registry,
    can_view_sensitive,
    reader_scope,
    sensitive_community_ids,
)


def _filters(form):
    """A list's filters from its form: the valid ones (the list shows what was wrong: the form's errors)."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return form.filters()


def _refuse_wrong_filters(form):
    """An export is not written from filters that are wrong: it would hold more than the list the user meant."""
    if form.is_bound and not form.is_valid():
        raise ApplicationError(gettext("筛选条件有误，未导出：%(problems)s") % {"problems": filter_problems(form)})


def _pages(request, page):
    """The list's links to its next page (keyset: after the last id shown) and, past the first, back to it; each
    with the same search and filters, so that the address says which page is shown."""
    query = request.GET.copy()
    query.pop("after", None)
    first = f"?{query.urlencode()}" if request.GET.get("after") else None
    query["after"] = page.next_after
    return {"next_url": f"?{query.urlencode()}" if page.next_after else None, "first_url": first}


def _search_form(request):
    return ResidentSearchForm(request.GET or None, scope=reader_scope(request.user),
                              sensitive_tags=bool(sensitive_community_ids(request.user)))


@login_required
def resident_list(request):
    forbidden_unless(can_view_registry(request.user))
    form = _search_form(request)
    filters = _filters(form)
    page = selectors.resident_list(request.user, **filters)
    context = {"form": form, "page": page, **_pages(request, page),
               "filter_problems": filter_problems(form) if form.is_bound and form.errors else "",
               "can_register": can_register_anywhere(request.user), "can_import": can_import_anywhere(request.user),
               "export_query": request.GET.urlencode()}
    template = "registry/resident_list.html#results" if request.htmx else "registry/resident_list.html"
    return render(request, template, context)


@login_required
def household_list(request):
    """户列表: households searched by number, member or address and filtered by grid, building, type, housing,
    status, or a missing head; the list updates as one types, like the residents'."""
    forbidden_unless(can_view_registry(request.user))
    form = HouseholdSearchForm(request.GET or None, scope=reader_scope(request.user))
    filters = _filters(form)
    page = selectors.household_list(request.user, **filters)
    # The roster of the places chosen (its other filters are the resident list's, not these).
    roster = {place: filters.get(f"{place}_id") for place in ("community", "grid", "building")}
    context = {"form": form, "page": page, **_pages(request, page),
               "can_register": can_register_anywhere(request.user),
               "filter_problems": filter_problems(form) if form.is_bound and form.errors else "",
               "roster_query": urlencode({place: value for place, value in roster.items() if value})}
    template = "registry/household_list.html#results" if request.htmx else "registry/household_list.html"
    return render(request, template, context)


def _overview_community(request):
    """The community of ?community=, or None; anything but a number is not a community there is."""
    raw = request.GET.get("community", "")
    if raw and not raw.isdigit():
        raise NotFound(gettext("未找到该社区"))
    return int(raw) if raw else None


@login_required
def overview(request):
    """人口概况: figures per community of the street, or per grid of a community, as charts and tables."""
    forbidden_unless(can_view_registry(request.user))
    figures = registry_overview(request.user, community_id=_overview_community(request))
    return render(request, "registry/overview.html", {
        "overview": figures, "tables": overview_tables(figures), "charts": overview_charts(figures)})


def _file_response(file):
    return FileResponse(io.BytesIO(file.content), as_attachment=True, content_type=file.content_type,
                        filename=file.filename)


def _overview_file(request, write):
    forbidden_unless(can_view_registry(request.user))
    return _file_response(write(request.user, community_id=_overview_community(request)))


@login_required
def overview_xlsx_download(request):
    return _overview_file(request, overview_xlsx)


@login_required
def overview_docx_download(request):
    return _overview_file(request, overview_docx)


@login_required
def resident_detail(request, resident_id):
    forbidden_unless(can_view_registry(request.user))
    return _resident_page(request, resident_id)


@login_required
def household_detail(request, household_id):
    forbidden_unless(can_view_registry(request.user))
    return _household_page(request, household_id)


@login_required
def building_households(request, building_id):
    """楼栋住户: the living households of a building by entrance and room, each with its head."""
    forbidden_unless(can_view_registry(request.user))
    building = place_get(request.user, "building", building_id)
    return render(request, "registry/building.html", {
        "building": building, "households": selectors.building_households(request.user, building)})


@login_required
def household_card_download(request, household_id):
    """户卡: the household's card as a Word document to print, ID numbers and phones masked."""
    forbidden_unless(can_view_registry(request.user))
    return _file_response(household_card_docx(actor=request.user, household_id=household_id))


def _reveal(request, form, context, reveal):
    """Answers an htmx reveal form: the value in place of the form, or the form again with why not."""
    if form.is_valid():
        try:
            context["value"] = reveal(form.cleaned_data["reason"])
        except ApplicationError as error:
            form.add_error("reason", error.message)
    return render(request, "registry/_reveal.html", context | {"form": form})


@require_POST
@login_required
def resident_reveal(request, resident_id):
    """The full ID number, phone or notes in place of the masked one."""
    resident = selectors.resident_get(request.user, resident_id)
    form = RevealForm(request.POST)
    return _reveal(request, form, {"resident": resident, "field": request.POST.get("field")},
                   lambda reason: services.resident_reveal(actor=request.user, resident=resident,
                                                            field=form.cleaned_data["field"], reason=reason))


@require_POST
@login_required
def resident_tag_reveal(request, resident_id, tag_id):
    """A tag's sealed details in place of the reveal form (a sensitive tag without the grant is not found)."""
    resident = selectors.resident_get(request.user, resident_id)
    tag = selectors.resident_tag_get(request.user, resident, tag_id)
    return _reveal(request, TagRevealForm(request.POST), {"resident": resident, "tag": tag},
                   lambda reason: tag_detail_text(tag.kind, services.resident_tag_reveal(
                       actor=request.user, tag=tag, reason=reason)))


# ---------------------------------------------------------------------------------------------------------
# Registering a household and the life events of households and residents. Each form posts to its own view,
# which calls one service; an ApplicationError lands on the form, re-shown open on the card.
# ---------------------------------------------------------------------------------------------------------

def _show_error(form, error, details=None):
    """The service's error on the fields it names (details, by default the error's); anything else above
    the form."""
    details = error.details if details is None else details
    for field, problems in details.items():
        if field in form.fields:
            form.add_error(field, problems)
    if not error.details or any(field not in form.fields for field in details):
        form.add_error(None, error.message)


def _submit(form, action):
    """Validate, then call the service with the cleaned data; its result, or None with errors on the form."""
    if not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except ApplicationError as error:
        _show_error(form, error)
        return None


def _errors_as_messages(request, form):
    """For a form the card no longer shows (the household or resident has changed state meanwhile)."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _done(request, message, to, object_id, **values):
    """The success message (translated, with %(placeholders)s for the values), then the page."""
    messages.success(request, message % values)
    return redirect(to, object_id)


def _household_form(request, data=None):
    actor = request.user
    return HouseholdForm(data, estates=selectors.registrable_estates(actor),
                         buildings_of=lambda estate_id: selectors.registrable_buildings(actor, estate_id=estate_id),
                         entrances_of=partial(selectors.registrable_entrances, actor))


@login_required
def household_new(request):
    """登记新户: the address, the household, and a formset of members (the first is the head)."""
    forbidden_unless(can_register_anywhere(request.user))
    form = _household_form(request, request.POST or None)
    formset = member_formset(request.POST or None)
    if request.method == "POST":
        valid = form.is_valid()
        if formset.is_valid() and valid:
            data = form.cleaned_data
            try:
                household = services.household_register(
                    actor=request.user, estate=data["estate"], building=data["building"],
                    entrance=data["entrance"], room=data["room"], household_type=data["household_type"],
                    housing=data["housing"], phone=data["phone"], members=formset.members(),
                )
            except ApplicationError as error:
                # A member's error (a duplicate ID number, say) goes on that member's row.
                _show_error(form, error, details=formset.take_member_errors(error))
            else:
                count = len(formset.members())
                message = ngettext("已登记新户 %(number)s，%(count)d 人", "已登记新户 %(number)s，%(count)d 人", count)
                return _done(request, message, "registry:household", household.id, number=household.number,
                             count=count)
    return render(request, "registry/household_form.html", {"form": form, "formset": formset})


@login_required
def place_options(request):
    """<option>s of the buildings of an estate, or the entrances of a building, that the actor may register in."""
    forbidden_unless(can_register_anywhere(request.user))
    raw = request.GET.get(request.GET.get("source", ""), "")
    parent_id = int(raw) if raw.isdigit() else None
    child = request.GET.get("child")
    if child == "building":
        options = selectors.registrable_buildings(request.user, estate_id=parent_id) if parent_id else []
        empty = gettext("请选择楼栋") if parent_id else gettext("请先选择小区")
    elif child == "entrance":
        options, empty = selectors.registrable_entrances(request.user, parent_id), "—"
    else:
        raise NotFound()
    reset = request.GET.get("reset", "")
    return render(request, "registry/_options.html", {
        "options": [(o.id, o.label) for o in options], "empty": empty,
        "reset": reset if re.fullmatch(r"#[\w-]+", reset) else "",
    })


@login_required
def id_hint(request):
    """Birth date and sex read from a typed ID number ("1990年5月1日 男" / "May 1, 1990 Male"), or why it is not
    valid."""
    forbidden_unless(can_view_registry(request.user))
    raw = next((value for key, value in request.GET.items() if key.endswith("id_number")), "")
    ok, text = describe_id_number(raw)
    return render(request, "registry/_id_hint.html", {"ok": ok, "text": text})


@login_required
def tag_fields(request):
    """The detail inputs of one tag kind, for the add-tag form."""
    forbidden_unless(can_view_registry(request.user))
    kind = request.GET.get(request.GET.get("source", ""), "")
    prefix = request.GET.get("prefix", "detail")
    return render(request, "registry/_tag_fields.html", {"fields": tag_detail_fields(kind, {}, prefix)})


# --- the household card ---------------------------------------------------------------------------------

def _split_form(request, household, data=None):
    return SplitForm(data, prefix="split", members=selectors.present_members(household),
                     buildings=selectors.registrable_buildings(request.user, community_id=household.community_id),
                     entrances_of=partial(selectors.registrable_entrances, request.user))


def _household_correct_form(request, household, data=None):
    return HouseholdCorrectForm(
        data, prefix="correct", household=household, entrances_of=partial(selectors.registrable_entrances, request.user),
        buildings=selectors.registrable_buildings(request.user, community_id=household.community_id))


def _household_page(request, household_id, **bound):
    """The card, with every action's form; `bound` are the forms just posted (shown open, with errors)."""
    household = selectors.household_get(request.user, household_id)
    present = selectors.present_members(household)
    can_edit = can_edit_household(request.user, household)
    if not (can_edit and household.status == HouseholdStatus.LIVING):
        for form in bound.values():
            _errors_as_messages(request, form)
    forms = {
        "correct": _household_correct_form(request, household),
        "head": ChangeHeadForm(prefix="head", members=present),
        "add": AddMemberForm(prefix="add"),
        "split": _split_form(request, household),
        "merge": HouseholdNumberForm(prefix="merge"),
        "move_out": MoveOutForm(prefix="move_out"),
    } | bound
    return render(request, "registry/household_detail.html", {
        "household": household,
        "history": selectors.record_history(request.user, household),
        "can_edit": can_edit,
        "headless": selectors.lacks_head(household),
        "empty": not selectors.present_members(household),
        "forms": forms,
        "open": next(iter(bound), ""),
    })


@require_POST
@login_required
def household_correct(request, household_id):
    household = selectors.household_get(request.user, household_id)
    form = _household_correct_form(request, household, request.POST)

    def correct(_):
        data, reason = form.changes()
        return services.household_correct(actor=request.user, household=household, data=data, reason=reason)

    saved_at = household.updated_at
    if _submit(form, correct):
        if household.updated_at == saved_at:  # the service saves only what changed
            return _done(request, gettext("信息与原来相同，未作更正"), "registry:household", household.id)
        return _done(request, gettext("已更正户 %(number)s 的信息"),
                     "registry:household", household.id, number=household.number)
    return _household_page(request, household_id, correct=form)


@require_POST
@login_required
def household_change_head(request, household_id):
    household = selectors.household_get(request.user, household_id)
    present = selectors.present_members(household)
    form = ChangeHeadForm(request.POST, prefix="head", members=present)

    def change(data):
        head = next(m for m in present if str(m.id) == data["head"])
        services.household_change_head(actor=request.user, household=household, head=head,
                                       relations=form.relations())
        return head

    head = _submit(form, change)
    if head:
        return _done(request, gettext("户主已变更为 %(name)s"), "registry:household", household.id, name=head.name)
    return _household_page(request, household_id, head=form)


@require_POST
@login_required
def household_add_member(request, household_id):
    household = selectors.household_get(request.user, household_id)
    form = AddMemberForm(request.POST, prefix="add")
    resident = _submit(form, lambda data: services.resident_add(
        actor=request.user, household=household, data=form.person_data(), moved_in_on=data["moved_in_on"]))
    if resident:
        return _done(request, gettext("已添加成员 %(name)s"),
                     "registry:household", household.id, name=resident.name)
    return _household_page(request, household_id, add=form)


@require_POST
@login_required
def household_move_out(request, household_id):
    household = selectors.household_get(request.user, household_id)
    form = MoveOutForm(request.POST, prefix="move_out")
    if _submit(form, lambda data: services.household_move_out(
            actor=request.user, household=household, on=data["on"], destination=data["destination"])):
        return _done(request, gettext("户 %(number)s 已整户迁出"),
                     "registry:household", household.id, number=household.number)
    return _household_page(request, household_id, move_out=form)


@require_POST
@login_required
def household_split(request, household_id):
    household = selectors.household_get(request.user, household_id)
    form = _split_form(request, household, request.POST)

    def split(data):
        chosen = [m for m in household.members.all() if str(m.id) in data["members"]]
        building = data["building"]
        return services.household_split(
            actor=request.user, household=household, residents=chosen, room=data["room"],
            estate=building.estate if building else None, building=building, entrance=data["entrance"],
            head=next((m for m in chosen if str(m.id) == data["head"]), None),
        )

    new_household = _submit(form, split)
    if new_household:
        return _done(request, gettext("已分户，新户号 %(number)s"),
                     "registry:household", new_household.id, number=new_household.number)
    return _household_page(request, household_id, split=form)


@require_POST
@login_required
def household_merge(request, household_id):
    household = selectors.household_get(request.user, household_id)
    form = HouseholdNumberForm(request.POST, prefix="merge")
    target = _submit(form, lambda data: services.household_merge(
        actor=request.user, source=household,
        target=selectors.household_find(request.user, community_id=household.community_id,
                                        number=data["number"])))
    if target:
        return _done(request, gettext("户 %(number)s 已并入户 %(target)s"),
                     "registry:household", target.id, number=household.number, target=target.number)
    return _household_page(request, household_id, merge=form)


# --- the resident card ----------------------------------------------------------------------------------

def _tag_form(request, resident, data=None):
    return TagAddForm(data, prefix="tag", sensitive_allowed=can_view_sensitive(request.user, resident.community_id))


# The card's actions for a resident not in the register; every other one but 更正信息 is for those present.
_ACTION_STATUS = {"move_back": ResidentStatus.MOVED_OUT, "death_revoke": ResidentStatus.DECEASED}


def _resident_page(request, resident_id, **bound):
    resident = selectors.resident_get(request.user, resident_id)
    can_edit = can_edit_household(request.user, resident.household)
    for name, form in bound.items():
        shown = name == "correct" or resident.status == _ACTION_STATUS.get(name, ResidentStatus.PRESENT)
        if not (can_edit and shown):
            _errors_as_messages(request, form)
    forms = {
        "correct": CorrectForm(prefix="correct", resident=resident),
        "move_out": MoveOutForm(prefix="move_out"),
        "death": DeathForm(prefix="death"),
        "transfer": TransferForm(prefix="transfer"),
        "tag": _tag_form(request, resident),
        "move_back": MoveBackForm(prefix="move_back", resident=resident),
        "death_revoke": DeathRevokeForm(prefix="death_revoke"),
    } | bound
    return render(request, "registry/resident_detail.html", {
        "resident": resident,
        "tags": selectors.visible_tags(request.user, resident),
        "history": selectors.record_history(request.user, resident),
        "can_reveal": can_reveal(request.user, resident),
        "can_edit": can_edit,
        "reveal_form": RevealForm(),
        "forms": forms,
        "open": next(iter(bound), ""),
    })


@require_POST
@login_required
def resident_correct(request, resident_id):
    resident = selectors.resident_get(request.user, resident_id)
    form = CorrectForm(request.POST, prefix="correct", resident=resident)

    def correct(_):
        data, reason = form.changes()
        return services.resident_correct(actor=request.user, resident=resident, data=data, reason=reason)

    saved_at = resident.updated_at
    if _submit(form, correct):
        if resident.updated_at == saved_at:  # the service saves only what changed
            return _done(request, gettext("信息与原来相同，未作更正"), "registry:resident", resident.id)
        return _done(request, gettext("已更正 %(name)s 的信息"),
                     "registry:resident", resident.id, name=resident.name)
    return _resident_page(request, resident_id, correct=form)


@require_POST
@login_required
def resident_move_out(request, resident_id):
    resident = selectors.resident_get(request.user, resident_id)
    form = MoveOutForm(request.POST, prefix="move_out")
    if _submit(form, lambda data: services.resident_move_out(
            actor=request.user, resident=resident, on=data["on"], destination=data["destination"])):
        return _done(request, gettext("%(name)s 已迁出"), "registry:resident", resident.id, name=resident.name)
    return _resident_page(request, resident_id, move_out=form)


@require_POST
@login_required
def resident_death(request, resident_id):
    resident = selectors.resident_get(request.user, resident_id)
    form = DeathForm(request.POST, prefix="death")
    if _submit(form, lambda data: services.resident_record_death(
            actor=request.user, resident=resident, died_on=data["died_on"])):
        return _done(request, gettext("已登记 %(name)s 死亡"),
                     "registry:resident", resident.id, name=resident.name)
    return _resident_page(request, resident_id, death=form)


@require_POST
@login_required
def resident_move_back(request, resident_id):
    resident = selectors.resident_get(request.user, resident_id)
    form = MoveBackForm(request.POST, prefix="move_back", resident=resident)

    def move_back(data):
        household = selectors.household_find(request.user, community_id=resident.community_id,
                                             number=data["number"]) if data["number"] else None
        return services.resident_move_back(actor=request.user, resident=resident, household=household,
                                           relation=data["relation"], on=data["on"])

    if _submit(form, move_back):
        return _done(request, gettext("%(name)s 已迁回户 %(number)s"), "registry:resident", resident.id,
                     name=resident.name, number=resident.household.number)
    return _resident_page(request, resident_id, move_back=form)


@require_POST
@login_required
def resident_death_revoke(request, resident_id):
    resident = selectors.resident_get(request.user, resident_id)
    form = DeathRevokeForm(request.POST, prefix="death_revoke")
    if _submit(form, lambda data: services.resident_death_revoke(
            actor=request.user, resident=resident, reason=data["reason"])):
        return _done(request, gettext("已撤销 %(name)s 的死亡登记"), "registry:resident", resident.id,
                     name=resident.name)
    return _resident_page(request, resident_id, death_revoke=form)


@require_POST
@login_required
def resident_transfer(request, resident_id):
    resident = selectors.resident_get(request.user, resident_id)
    form = TransferForm(request.POST, prefix="transfer")
    if _submit(form, lambda data: services.resident_transfer(
            actor=request.user, resident=resident, relation=data["relation"],
            to_household=selectors.household_find(request.user, community_id=resident.community_id,
                                                  number=data["number"]))):
        return _done(request, gettext("%(name)s 已转入户 %(number)s"),
                     "registry:resident", resident.id, name=resident.name, number=form.cleaned_data["number"])
    return _resident_page(request, resident_id, transfer=form)


@require_POST
@login_required
def resident_tag_add(request, resident_id):
    resident = selectors.resident_get(request.user, resident_id)
    form = _tag_form(request, resident, request.POST)
    tag = _submit(form, lambda data: services.resident_tag_add(
        actor=request.user, resident=resident, kind=data["kind"], details=form.details(),
        started_on=data["started_on"]))
    if tag:
        return _done(request, gettext("已添加标签“%(kind)s”"),
                     "registry:resident", resident.id, kind=gettext(tag.get_kind_display()))
    return _resident_page(request, resident_id, tag=form)


@require_POST
@login_required
def resident_tag_end(request, resident_id, tag_id):
    resident = selectors.resident_get(request.user, resident_id)
    tag = selectors.resident_tag_get(request.user, resident, tag_id)
    form = TagEndForm(request.POST)
    if _submit(form, lambda data: services.resident_tag_end(actor=request.user, tag=tag, ended_on=data["ended_on"])):
        return _done(request, gettext("已结束标签“%(kind)s”"),
                     "registry:resident", resident.id, kind=gettext(tag.get_kind_display()))
    messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("registry:resident", resident.id)


# -- Roster import (upload → column mapping → preview → commit with progress) and export -------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _import_communities(request):
    communities = imports.import_communities(request.user)
    forbidden_unless(bool(communities))
    return communities


@login_required
def import_start(request):
    communities = _import_communities(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_upload(actor=request.user, community=form.cleaned_data["community"],
                                        file=form.cleaned_data["file"])
        except ApplicationError as error:
            form.add_error("file", error.message)
        else:
            return redirect("registry:import_mapping", job.id)
    return render(request, "registry/import_upload.html", {
        "form": form, "jobs": [imports.import_job_settle(job) for job in imports.import_job_list(request.user)]})


@login_required
def import_template(request):
    forbidden_unless(can_view_registry(request.user))
    return FileResponse(io.BytesIO(imports.import_template_xlsx()), as_attachment=True, content_type=XLSX,
                        filename="居民信息导入模板.xlsx")


def _job_or_progress(request, job_id):
    job = imports.import_job_settle(imports.import_job_get(request.user, job_id))
    busy = job.status in (*imports.ACTIVE_STATUSES, imports.ImportStatus.DONE)
    return job, (redirect("registry:import_progress", job.id) if busy else None)


@login_required
def import_mapping(request, job_id):
    job, elsewhere = _job_or_progress(request, job_id)
    if elsewhere:
        return elsewhere
    if job.status == imports.ImportStatus.PREVIEWING:
        return redirect("registry:import_preview", job.id)
    form = ImportMappingForm(request.POST or None, headers=job.headers, mapping=job.mapping)
    if request.method == "POST" and form.is_valid():
        try:
            imports.import_set_mapping(actor=request.user, job=job, mapping=form.mapping(),
                                       duplicate_policy=job.duplicate_policy)
            imports.import_preview(actor=request.user, job=job)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return redirect("registry:import_preview", job.id)
    samples = imports.job_roster(job).sample_rows(job.header_row)
    rows = [(column, field, [sample.get(column["column"], "") for sample in samples]) for column, field in form.rows()]
    return render(request, "registry/import_mapping.html", {"job": job, "form": form, "rows": rows})


def _progress(processed, total):
    total = max(total, processed)
    return {"processed": processed, "total": total, "percent": int(processed * 100 / total) if total else 0}


@login_required
def import_preview(request, job_id):
    """The preview's result. While a large file is checked in the background, its progress instead, which
    htmx polls every second; when the check ends, the page reloads with the result."""
    job, elsewhere = _job_or_progress(request, job_id)
    if elsewhere:
        return elsewhere
    if job.status == imports.ImportStatus.PREVIEWING:
        template = "registry/import_preview.html#checking" if request.htmx else "registry/import_preview.html"
        return render(request, template, {"job": job, "checking": True, **_progress(*imports.import_progress(job))})
    if request.htmx:
        return HttpResponseClientRefresh()
    if job.status not in (imports.ImportStatus.PREVIEWED, imports.ImportStatus.FAILED,
                          imports.ImportStatus.CANCELLED):
        return redirect("registry:import_mapping", job.id)
    return render(request, "registry/import_preview.html", {
        "job": job, "summary": imports.job_summary(job),
        "form": ImportCommitForm(initial={"duplicate_policy": job.duplicate_policy})})


@require_POST
@login_required
def import_commit(request, job_id):
    job = imports.import_job_get(request.user, job_id)
    form = ImportCommitForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("请选择身份证号已登记时的处理方式"))
        return redirect("registry:import_preview", job.id)
    try:
        imports.import_commit(actor=request.user, job=job, duplicate_policy=form.cleaned_data["duplicate_policy"])
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("registry:import_progress", job.id)


@login_required
def import_progress(request, job_id):
    """The progress bar page; htmx polls its status part every second until the import ends."""
    job = imports.import_job_settle(imports.import_job_get(request.user, job_id))
    if job.status == imports.ImportStatus.PREVIEWING:
        return redirect("registry:import_preview", job.id)
    context = {"job": job, **_progress(*imports.import_progress(job)),
               "active": job.status in imports.ACTIVE_STATUSES, "summary": imports.job_summary(job)}
    template = "registry/import_progress.html#status" if request.htmx else "registry/import_progress.html"
    return render(request, template, context)


@require_POST
@login_required
def import_cancel(request, job_id):
    job = imports.import_job_get(request.user, job_id)
    try:
        job = imports.import_cancel(actor=request.user, job=job)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("registry:import_progress", job.id)
    if job.status == imports.ImportStatus.MAPPED:  # a preview stopped: back to the mapping, which says so
        return redirect("registry:import_mapping", job.id)
    messages.info(request, gettext("已请求取消，导入会在当前批次结束后回滚，居民台账保持导入前的状态"))
    return redirect("registry:import_progress", job.id)


@login_required
def import_rejected(request, job_id):
    job = imports.import_job_get(request.user, job_id)
    if not job.rejected_file:
        raise NotFound(gettext("问题行文件已超过保存期限（1天）并已删除") if job.rejected_rows
                       else gettext("该导入没有问题行"))
    return FileResponse(job.rejected_file.open("rb"), as_attachment=True, content_type=XLSX,
                        filename=f"{job.file_name.rsplit('.', 1)[0]}-问题行.xlsx")


def _export_response(export):
    """The file of an export written in the request, or the progress page of one queued instead."""
    if isinstance(export, ExportJob):
        return redirect("registry:export_progress", export.id)
    return FileResponse(export.open(), as_attachment=True, content_type=XLSX, filename=export.filename)


@login_required
def export_residents(request):
    """The filtered list as xlsx; masked, or in full with a reason (POST), which is audited. A large list is
    written in the background, and the page goes to its progress."""
    forbidden_unless(can_view_registry(request.user))
    form = _search_form(request)
    filters = _filters(form)
    reason = ExportRevealForm(request.POST).data.get("reveal_reason") if request.method == "POST" else None
    try:
        _refuse_wrong_filters(form)
        return _export_response(exports.export_start(actor=request.user, kind=ExportKind.RESIDENT_LIST,
                                                     filters=filters, reveal_reason=reason))
    except ApplicationError as error:
        if error.status == 403:
            raise
        messages.error(request, error.message)
        return redirect(f"{reverse('registry:residents')}?{request.GET.urlencode()}")


@login_required
def export_roster(request):
    """The standard roster (花名册) of one community, households together, address merged: the residents the list
    shows with the same search and filters."""
    forbidden_unless(can_view_registry(request.user))
    source = request.POST if request.method == "POST" else request.GET

    def number(name):
        value = source.get(name) or request.GET.get(name)
        return int(value) if value and value.isdigit() else None

    reason = source.get("reveal_reason") if request.method == "POST" else None
    # The list's search and filters choose the residents; a building page's link names its community and building.
    form = _search_form(request)
    filters = _filters(form)
    filters |= {"community_id": filters.get("community_id") or number("community"), "building_id": number("building")}
    try:
        _refuse_wrong_filters(form)
        export = exports.export_start(actor=request.user, kind=ExportKind.ROSTER, filters=filters,
                                      reveal_reason=reason)
    except ApplicationError as error:
        if error.status in (403, 404):
            raise
        messages.error(request, error.message)
        return redirect("registry:residents")
    return _export_response(export)


@login_required
def export_list(request):
    """The user's own latest exports, to come back to one still being written or to its file."""
    forbidden_unless(can_view_registry(request.user))
    jobs = [exports.export_job_settle(job) for job in selectors.export_job_list(request.user)]
    return render(request, "registry/export_list.html", {"jobs": jobs})


@login_required
def export_progress(request, job_id):
    """The progress bar of an export written in the background; htmx polls its status part every second
    until it ends, which then offers the file."""
    job = exports.export_job_settle(selectors.export_job_get(request.user, job_id))
    context = {"job": job, **_progress(job.processed_rows, job.total_rows),
               "active": job.status in exports.ACTIVE_STATUSES}
    template = "registry/export_progress.html#status" if request.htmx else "registry/export_progress.html"
    return render(request, template, context)


@require_POST
@login_required
def export_cancel(request, job_id):
    job = selectors.export_job_get(request.user, job_id)
    try:
        exports.export_job_cancel(actor=request.user, job=job)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("registry:export_progress", job.id)


@login_required
def export_download(request, job_id):
    job = selectors.export_job_get(request.user, job_id)
    try:
        file = exports.export_job_download(actor=request.user, job=job)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("registry:export_progress", job.id)
    return FileResponse(file, as_attachment=True, content_type=XLSX, filename=job.file_name)
