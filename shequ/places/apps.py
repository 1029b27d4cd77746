from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "shequ.places"
    label = "places"
    verbose_name = "地区与楼栋"

    def ready(self):
        from . import navigation  # noqa: F401
