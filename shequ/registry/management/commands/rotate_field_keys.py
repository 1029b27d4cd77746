from django.core.management.base import BaseCommand

from shequ.core.context import source
from shequ.registry.keys import rotate_field_keys


class Command(BaseCommand):
    help = (
        "用当前密钥（SHEQU_FIELD_KEY_CURRENT）重新加密身份证号、手机号和敏感标签。"
        "先把新密钥加入 SHEQU_FIELD_KEYS 并设为当前密钥，运行本命令，完成后再移除旧密钥。"
        "更换 SHEQU_INDEX_KEY 后加 --reindex 重算检索索引。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--reindex", action="store_true", help="同时重算盲索引（更换了 SHEQU_INDEX_KEY 时）")

    def handle(self, *args, reindex=False, **options):
        with source("cli"):
            counts = rotate_field_keys(reindex=reindex, progress=self._progress)
        for column, count in counts.items():
            self.stdout.write(f"{column}: 重新加密 {count} 条")
        self.stdout.write(self.style.SUCCESS("密钥轮换完成"))

    def _progress(self, model, column, done):
        self.stdout.write(f"  {model}.{column} … {done}", ending="\r")
