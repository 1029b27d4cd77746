from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from .models import ROLE_PRIORITY, Role
from .selectors import login_is_throttled
from .services import login_failure_record


class ThrottledLoginForm(AuthenticationForm):
    """Refuses further attempts for a while after repeated failures for one name or address."""

    error_messages = {
        "invalid_login": _("用户名或密码不正确"),
        "inactive": _("该账号已停用"),
        "throttled": _("登录失败次数过多，请 15 分钟后再试"),
    }

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        password = self.cleaned_data.get("password")
        ip = self.request.META.get("REMOTE_ADDR") if self.request else None
        if username and login_is_throttled(username, ip):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        if username and password:
            self.user_cache = authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                login_failure_record(username=username, ip=ip)
                raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


def account_label(user):
    """An account as the token form offers it: "刘洋（ahl_grid）· 网格员", its roles those of its active memberships
    (`active_memberships`, prefetched by selectors.token_owner_choices), in the request's language."""
    name = user.username
    if user.full_name:
        name = gettext("%(name)s（%(username)s）") % {"name": user.full_name, "username": user.username}
    roles = sorted({Role(m.role) for m in getattr(user, "active_memberships", [])}, key=ROLE_PRIORITY.index)
    if not roles:
        return name
    separator = "· " if name.endswith("）") else " · "  # a full-width bracket brings its own space
    return name + separator + pgettext("list separator", "、").join(gettext(role.label) for role in roles)


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return account_label(obj)


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("令牌名称"), max_length=100, help_text=_("例如：区平台对接"))
    user = AccountChoiceField(label=_("令牌所属账号"), queryset=None, empty_label=None)

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
