from django.utils.translation import gettext_lazy as _

from shequ.core.homes import register_panel
from shequ.core.navigation import register

from .permissions import can_view_registry
from .selectors import registry_reminders

register("registry", label=_("居民台账"), url_name="registry:residents", icon="👪", order=20,
         visible=can_view_registry)
register("registry_households", label=_("户列表"), url_name="registry:households", icon="🏠", order=21,
         visible=can_view_registry)
register("registry_overview", label=_("人口概况"), url_name="registry:overview", icon="📊", order=22,
         visible=can_view_registry)
register_panel("registry_reminders", template="registry/_home_reminders.html", order=20,
               visible=can_view_registry, context=registry_reminders)
