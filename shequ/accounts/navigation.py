from django.utils.translation import gettext_lazy as _

from shequ.core.navigation import register

from .permissions import can_manage_tokens

register("tokens", label=_("API 令牌"), url_name="accounts:tokens", icon="🔑", order=90,
         visible=can_manage_tokens)
