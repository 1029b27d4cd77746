from django.core.management.base import BaseCommand
from django.db import transaction

from shequ.accounts import demo as accounts_demo
from shequ.accounts.models import User
from shequ.audit.services import audit_record
from shequ.places import demo as places_demo
from shequ.registry import demo as registry_demo


class Command(BaseCommand):
    help = "建立演示数据：一个街道、三个社区及其网格、小区、楼栋、各约600户居民和各角色演示账号。可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="数据库已有用户时什么也不做（首次运行时使用）")

    def handle(self, *args, if_empty=False, **options):
        if if_empty and User.objects.exists():
            self.stdout.write("数据库已有数据，跳过演示数据")
            return
        with transaction.atomic():
            street, communities = places_demo.seed()
            accounts = accounts_demo.seed(street, communities)
            households = registry_demo.seed(communities)
            audit_record(None, "seed_demo", street, street_id=street.id)
        self.stdout.write(self.style.SUCCESS(f"演示数据已就绪：{street.name}，{len(communities)} 个社区"))
        for name, added in households.items():
            self.stdout.write(f"  {name}：新登记 {added} 户" if added else f"  {name}：已有住户，未重复登记")
        self.stdout.write(f"演示账号（密码均为 {accounts_demo.DEMO_PASSWORD}）：")
        for username, full_name, role, scope in accounts:
            self.stdout.write(f"  {username:<16} {full_name:<4} {role:<10} {scope}")
