from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render

from shequ.accounts.selectors import active_membership, membership_list_for
from shequ.core.errors import Forbidden, NotFound
from shequ.core.homes import home_context


def forbidden_unless(allowed):
    if not allowed:
        raise Forbidden()


@login_required
def home(request):
    membership = active_membership(request)
    context = home_context(request.user, membership)
    context["memberships"] = membership_list_for(request.user)
    return render(request, context["template"], context)


def api_not_found(request, *args, **kwargs):
    return JsonResponse(NotFound("接口不存在").as_dict(), status=404)
