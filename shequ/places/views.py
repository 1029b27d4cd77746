import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, pgettext

from shequ.core.errors import ApplicationError
from shequ.core.views import forbidden_unless

from . import selectors, services
from .forms import place_form
from .kinds import KINDS
from .permissions import (
    can_create_community,
    can_manage_community,
    can_view_places,
    household_linked_building_ids,
)


@login_required
def community_list(request):
    forbidden_unless(can_view_places(request.user))
    communities = selectors.community_list(request.user)
    streets = [s for s in selectors.street_choices(request.user) if can_create_community(request.user, s.id)]
    return render(request, "places/community_list.html", {"communities": communities, "streets": streets})


@login_required
def community_detail(request, community_id):
    forbidden_unless(can_view_places(request.user))
    context = selectors.community_overview(request.user, community_id)
    context["can_manage"] = can_manage_community(request.user, community_id)
    return render(request, "places/community_detail.html", context)


@login_required
def estate_detail(request, estate_id):
    forbidden_unless(can_view_places(request.user))
    context = selectors.estate_overview(request.user, estate_id)
    context["can_manage"] = can_manage_community(request.user, context["community"].id)
    context["household_links"] = household_linked_building_ids(request.user, context["buildings"])
    return render(request, "places/estate_detail.html", context)


def _query_id(request, name):
    """An id from the query string; anything but digits is no id, so the lookup answers "not found"."""
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def _parent_of_new(request, kind):
    """The place a new one hangs under, from the query string, looked up within the actor's scope."""
    spec = KINDS[kind]
    if kind == "community":
        street = selectors.street_choices(request.user).filter(id=_query_id(request, "street")).first()
        forbidden_unless(street is not None and can_create_community(request.user, street.id))
        return {"street": street}, None
    if spec.parent:
        parent = selectors.place_get(request.user, spec.parent, _query_id(request, spec.parent))
        return {spec.parent: parent}, parent.community_id
    community = selectors.place_get(request.user, "community", _query_id(request, "community"))
    return {"community": community}, community.id


def _back_url(kind, place):
    if kind == "community":
        return reverse("places:community", args=[place.id])
    if kind in ("building", "entrance"):
        estate_id = place.estate_id if kind == "building" else place.building.estate_id
        return reverse("places:estate", args=[estate_id])
    return reverse("places:community", args=[place.community_id])


@login_required
def place_create(request, kind):
    forbidden_unless(kind in KINDS and can_view_places(request.user))
    parent, community_id = _parent_of_new(request, kind)
    if kind != "community":
        forbidden_unless(can_manage_community(request.user, community_id))
    form = place_form(kind, community_id, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            place = services.place_create(actor=request.user, kind=kind, data={**form.cleaned_data, **parent})
            messages.success(request, gettext("已新建%(kind)s“%(place)s”") % _named(kind, place))
            return redirect(_back_url(kind, place))
        except ApplicationError as error:
            _show_error(form, error)
    return render(request, "places/place_form.html", {"form": form, "spec": KINDS[kind], "parent": parent})


@login_required
def place_edit(request, kind, place_id):
    forbidden_unless(kind in KINDS and can_view_places(request.user))
    place = selectors.place_get(request.user, kind, place_id)
    community_id = place.id if kind == "community" else place.community_id
    forbidden_unless(can_manage_community(request.user, community_id))
    # The form validates a copy, so a rejected edit never leaves the real row half-changed.
    form = place_form(kind, community_id, request.POST or None, instance=copy.copy(place))
    if request.method == "POST" and form.is_valid():
        try:
            services.place_update(actor=request.user, kind=kind, place=place, data=form.cleaned_data)
            messages.success(request, gettext("已保存%(kind)s“%(place)s”") % _named(kind, place))
            return redirect(_back_url(kind, place))
        except ApplicationError as error:
            _show_error(form, error)
    return render(request, "places/place_form.html", {"form": form, "spec": KINDS[kind], "place": place})


def _named(kind, place):
    return {"kind": pgettext("place kind", KINDS[kind].label), "place": place}


def _show_error(form, error):
    for field, problems in error.details.items():
        if field in form.fields:
            form.add_error(field, problems)
    if not any(field in form.fields for field in error.details):
        form.add_error(None, error.message)
