from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_POST

from shequ.core.errors import ApplicationError
from shequ.core.views import forbidden_unless

from . import selectors, services
from .forms import ResidentSearchForm, RevealForm
from .permissions import can_edit_household, can_reveal, can_view_registry, reader_scope


@login_required
def resident_list(request):
    forbidden_unless(can_view_registry(request.user))
    form = ResidentSearchForm(request.GET or None, community_ids=reader_scope(request.user).readable_community_ids)
    filters = form.filters() if form.is_valid() else {}
    page = selectors.resident_list(request.user, **filters)
    next_query = request.GET.copy()
    next_query["after"] = page.next_after
    context = {"form": form, "page": page, "next_url": f"?{next_query.urlencode()}" if page.next_after else None}
    template = "registry/resident_list.html#results" if request.htmx else "registry/resident_list.html"
    return render(request, template, context)


@login_required
def resident_detail(request, resident_id):
    forbidden_unless(can_view_registry(request.user))
    resident = selectors.resident_get(request.user, resident_id)
    return render(request, "registry/resident_detail.html", {
        "resident": resident,
        "tags": selectors.visible_tags(request.user, resident),
        "history": selectors.record_history(request.user, resident),
        "can_reveal": can_reveal(request.user, resident),
        "can_edit": can_edit_household(request.user, resident.household),
        "reveal_form": RevealForm(),
    })


@login_required
def household_detail(request, household_id):
    forbidden_unless(can_view_registry(request.user))
    household = selectors.household_get(request.user, household_id)
    return render(request, "registry/household_detail.html", {
        "household": household,
        "history": selectors.record_history(request.user, household),
        "can_edit": can_edit_household(request.user, household),
    })


@require_POST
@login_required
def resident_reveal(request, resident_id):
    """Answers the htmx reveal form with the full value in place of the masked one."""
    resident = selectors.resident_get(request.user, resident_id)
    form = RevealForm(request.POST)
    context = {"resident": resident, "form": form, "field": request.POST.get("field")}
    if form.is_valid():
        try:
            context["value"] = services.resident_reveal(
                actor=request.user, resident=resident, field=form.cleaned_data["field"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            form.add_error("reason", error.message)
    return render(request, "registry/_reveal.html", context)
