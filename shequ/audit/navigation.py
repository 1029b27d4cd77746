from django.utils.translation import gettext_lazy as _

from shequ.core.navigation import register

from .permissions import can_read_audit

register("audit", label=_("审计日志"), url_name="audit:events", icon="📜", order=80, visible=can_read_audit)
