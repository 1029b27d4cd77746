from django.utils.translation import gettext_lazy as _

from shequ.core.navigation import register

from .permissions import can_view_places

register("places", label=_("社区与楼栋"), url_name="places:communities", icon="🏘", order=10,
         visible=can_view_places)
