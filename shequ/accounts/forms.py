from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

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


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("令牌名称"), max_length=100, help_text=_("例如：区平台对接"))
    user = forms.ModelChoiceField(label=_("令牌所属账号"), queryset=None, empty_label=None)

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
