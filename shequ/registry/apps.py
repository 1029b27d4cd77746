from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "shequ.registry"
    label = "registry"
    verbose_name = "居民户籍台账"

    def ready(self):
        from . import navigation  # noqa: F401
