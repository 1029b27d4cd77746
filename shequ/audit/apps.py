from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "shequ.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self):
        from . import navigation  # noqa: F401
