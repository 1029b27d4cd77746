import os
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "把 locale/ 下的 .po 编译为 .mo（无需系统安装 gettext）。"

    def handle(self, *args, **options):
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                # Written aside and moved in place: a process reading the catalogue meanwhile (a parallel test
                # worker) sees the old file or the new one, never half of one.
                partial = mo_path.with_suffix(f".{os.getpid()}.partial")
                polib.pofile(str(po_path)).save_as_mofile(str(partial))
                os.replace(partial, mo_path)
