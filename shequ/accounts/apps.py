from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shequ.accounts"
    label = "accounts"
    verbose_name = "账号与角色"

    def ready(self):
        from . import navigation  # noqa: F401
