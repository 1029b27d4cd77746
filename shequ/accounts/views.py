from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from shequ.core.errors import ApplicationError
from shequ.core.views import forbidden_unless

from . import selectors, services
from .forms import ThrottledLoginForm, TokenCreateForm
from .permissions import can_manage_tokens


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = ThrottledLoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        services.login_success_record(user=form.get_user(), ip=self.request.META.get("REMOTE_ADDR"))
        return response


@require_POST
@login_required
def switch_membership(request):
    memberships = {m.id: m for m in selectors.membership_list_for(request.user)}
    value = request.POST.get("membership", "")
    chosen = memberships.get(int(value)) if value.isdigit() else None
    if chosen is not None:
        request.session[selectors.SESSION_MEMBERSHIP_KEY] = chosen.id
    return redirect("core:home")


@login_required
def token_list(request):
    forbidden_unless(can_manage_tokens(request.user))
    form = TokenCreateForm(request.POST or None, users=selectors.token_owner_choices(request.user),
                           initial={"user": request.user.id})
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_token = services.api_token_create(
                actor=request.user, user=form.cleaned_data["user"], name=form.cleaned_data["name"]
            )
            form = TokenCreateForm(users=selectors.token_owner_choices(request.user), initial={"user": request.user.id})
        except ApplicationError as error:
            form.add_error(None, error.message)
    tokens = selectors.api_token_list(request.user)[:200]
    return render(request, "accounts/tokens.html", {"form": form, "tokens": tokens, "new_token": new_token})


@require_POST
@login_required
def token_revoke(request, token_id):
    token = selectors.api_token_get(request.user, token_id)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, gettext("已撤销令牌“%(name)s”") % {"name": token.name})
    return redirect("accounts:tokens")
