#!/usr/bin/env python
"""Registry import benchmark: one N-row xlsx roster imported three ways, one JSON line.

    .venv/bin/python bench/registry_import.py                      # 20,000 residents, about a minute
    .venv/bin/python bench/registry_import.py --residents 1000000  # the full run

Data: fake.py households (valid ID numbers, a household's members on consecutive rows) written with
xlsxwriter (constant_memory) as a roster with Chinese headers 户号 姓名 身份证号 (text) 手机号 与户主关系 民族
小区 楼号 单元 门牌号, all in one community whose estates, buildings and entrances are created beforehand
(20 buildings an estate, 3 entrances, 18 floors, 4 flats a floor), with a community head to import.

Ways, each in a child process of its own on its own copy of the freshly migrated SQLite database
(--database-url: one database, emptied of residents and households between the ways):
  ours           registry.imports.import_file(actor=…, community=…, path=…, duplicate_policy="report");
                 a large file is read by a second, forked process (registry/reading.py), so peak_rss_mb is
                 the importing process's VmHWM PLUS the reading process's peak (ru_maxrss of children):
                 an upper bound of what both held at once, reported apart as peak_rss_parts_mb;
                 peak_pss_mb is what they held together, pages they share counted once (Pss of both
                 sampled every 2 s: reading smaps_rollup walks both processes' page tables, about 10 ms of
                 the kernel's time for the two; every 100 ms it took 1.5-3 s of a 1,000,000-row import's
                 57-60 s, and every 500 ms still about 1.9 s of CPU on a machine both import processes keep
                 busy; the memory only grows during the batches and the rebuilds, each far longer than 2 s);
                 Resident count is checked to be N minus rejected rows. Run before import_export and again
                 after it, as the floor is: ours_s is the mean of the two (ours_runs_s), the memory figures
                 the larger of the two runs';
  import_export  django-import-export ModelResource over Resident with its fastest documented settings
                 (use_bulk, skip_diff, force_init_instance, batch_size 1000, skip_admin_log), households
                 created beforehand (untimed), the file read with tablib as import-export does, each row
                 given its community and household ids, pinyin, sex and birth date from the ID number, and
                 the same encrypted/hashed/masked ID and phone columns (timed). It imports every row: its
                 time per row grows with the table (at 1,000,000 rows it took 697 s where a linear
                 extrapolation from its first 50,000 had given 522 s). --ie-max-rows N imports only the
                 first N rows and extrapolates linearly, flagged in the JSON, for a quicker look (the file
                 is still read whole);
  floor          python-calamine reads the file and executemany inserts the raw strings into a plain
                 10-column table through the Django connection, in one transaction; run before ours and
                 again after import_export (the machine's speed drifts), floor_s is the mean of the two
                 (floor_runs_s).
Times are wall-clock seconds. Before each way the parent flushes the file system (os.sync): the way
before leaves hundreds of megabytes of database to be written back, which the kernel otherwise writes
while the next one runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20260101
HEADERS = ["户号", "姓名", "身份证号", "手机号", "与户主关系", "民族", "小区", "楼号", "单元", "门牌号"]
BUILDINGS_PER_ESTATE = 20
ENTRANCES = 3
FLOORS = 18
PER_FLOOR = 4
FLATS_PER_ENTRANCE = FLOORS * PER_FLOOR
FLATS_PER_BUILDING = FLATS_PER_ENTRANCE * ENTRANCES
FLATS_PER_ESTATE = FLATS_PER_BUILDING * BUILDINGS_PER_ESTATE
COMMUNITY_CODE = "110199001001"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--ie-max-rows", type=int, default=0, help="0: all rows")
    parser.add_argument("--phase", choices=["ours", "import_export", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--xlsx", help=argparse.SUPPRESS)
    parser.add_argument("--media", help=argparse.SUPPRESS)
    return parser.parse_args()


def log(message):
    # UTC: Django, once set up, switches the process's local time to the project's TIME_ZONE mid-run.
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", file=sys.stderr, flush=True)


def setup(url, media=None):
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "shequ.settings.dev"
    os.environ.setdefault("SHEQU_DEBUG", "0")
    os.environ["SHEQU_DATABASE_URL"] = url
    import django

    django.setup()
    if media:
        from django.conf import settings

        settings.MEDIA_ROOT = media


def peak_rss_mb():
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def flat(index):
    """(estate name, building number, entrance number, room) of the index-th flat."""
    estate, rest = divmod(index, FLATS_PER_ESTATE)
    building, rest = divmod(rest, FLATS_PER_BUILDING)
    entrance, rest = divmod(rest, FLATS_PER_ENTRANCE)
    floor, door = divmod(rest, PER_FLOOR)
    return f"基准{estate + 1}号院", str(building + 1), str(entrance + 1), f"{floor + 1}{door + 1:02d}"


# ------------------------------------------------------------------------------------------------
# Parent: file, places, actor, then the three ways in child processes
# ------------------------------------------------------------------------------------------------


def main():
    args = parse_args()
    if args.phase:
        setup(os.environ["SHEQU_DATABASE_URL"], args.media)
        result = {"ours": phase_ours, "import_export": phase_import_export, "floor": phase_floor}[args.phase](args)
        print(json.dumps(result, ensure_ascii=False), flush=True)
        return

    temporary = tempfile.mkdtemp(prefix="shequ-import-bench-")
    try:
        result = run(args, Path(temporary))
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))


def run(args, temporary):
    n = args.residents
    xlsx = temporary / "roster.xlsx"
    started = time.perf_counter()
    households = write_roster(xlsx, n, args.seed)
    log(f"wrote {n:,} rows, {households:,} households, {xlsx.stat().st_size / 1e6:.1f} MB "
        f"({time.perf_counter() - started:.0f} s)")

    shared = bool(args.database_url)
    base_url = args.database_url or f"sqlite:///{temporary / 'base.sqlite3'}"
    setup(base_url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    create_world(households)
    connection.close()

    def database(name):
        if shared:
            return base_url
        path = temporary / f"{name}.sqlite3"
        shutil.copy(temporary / "base.sqlite3", path)
        return f"sqlite:///{path}"

    media = str(temporary / "media")

    def run_ours():
        if shared:
            empty_registry()
        ours = child(args, "ours", database("ours"), xlsx, media)
        log(f"ours: {ours['seconds']} s, {ours['residents']:,} residents, {ours['rejected']} rejected, "
            f"peak {ours['peak_rss_mb']} MB (Pss {ours['peak_pss_mb']} MB)")
        if ours["residents"] != n - ours["rejected"]:
            raise SystemExit(f"Resident count {ours['residents']} != {n} - {ours['rejected']} rejected")
        return ours

    # The machine's speed drifts over minutes, by a third at times: the floor and ours are each measured before
    # import_export and after it, and compared by their means.
    floors = [child(args, "floor", database("floor"), xlsx, media)["seconds"]]
    log(f"floor: {floors[0]} s")
    ours_runs = [run_ours()]
    if shared:
        empty_registry()
    ie = child(args, "import_export", database("import_export"), xlsx, media)
    log(f"import_export: {ie['seconds']} s ({ie['rows']:,} rows imported, read {ie['read_s']} s, "
        f"import {ie['import_s']} s{', extrapolated' if ie['extrapolated'] else ''})")
    ours_runs.append(run_ours())
    ours_s = round(sum(run["seconds"] for run in ours_runs) / len(ours_runs), 2)
    log(f"ours: mean of both {ours_s} s")
    ours = max(ours_runs, key=lambda run: run["peak_rss_mb"])
    floors.append(child(args, "floor", database("floor"), xlsx, media)["seconds"])
    floor_s = round(sum(floors) / len(floors), 2)
    log(f"floor: {floors[1]} s (mean of both {floor_s} s)")

    def rate(seconds):
        return round(n / seconds) if seconds else None

    return {
        "rows": n,
        "ours_s": ours_s,
        "ours_runs_s": [run["seconds"] for run in ours_runs],
        "import_export_s": ie["seconds"],
        "floor_s": floor_s,
        "floor_runs_s": floors,
        "peak_rss_mb": ours["peak_rss_mb"],
        "peak_rss_parts_mb": ours["peak_rss_parts_mb"],
        "peak_pss_mb": max(run["peak_pss_mb"] or 0 for run in ours_runs) or None,
        "ours_rows_per_s": rate(ours_s),
        "import_export_rows_per_s": rate(ie["seconds"]),
        "floor_rows_per_s": rate(floor_s),
        "speedup_vs_import_export": round(ie["seconds"] / ours_s, 2),
        "ratio_vs_floor": round(ours_s / floor_s, 2),
        "import_export_extrapolated": ie["extrapolated"],
        "import_export_rows": ie["rows"],
        "ours_rejected": ours["rejected"],
        "households": households,
    }


def child(args, phase, url, xlsx, media):
    command = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--residents", str(args.residents),
               "--seed", str(args.seed), "--ie-max-rows", str(args.ie_max_rows), "--xlsx", str(xlsx),
               "--media", media]
    env = dict(os.environ, SHEQU_DATABASE_URL=url)
    os.sync()
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_roster(path, n, seed):
    """Writes the roster; returns the number of households."""
    sys.path.insert(0, str(ROOT))
    import xlsxwriter

    from shequ.registry.choices import Relation
    from shequ.registry.fake import residents as fake_residents

    labels = dict(Relation.choices)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("花名册")
    sheet.write_row(0, 0, HEADERS)
    row = 0
    count = 0
    for count, household in enumerate(fake_residents(n, seed=seed), start=1):
        number = f"{count:07d}"
        place = flat(count - 1)
        for member in household["members"]:
            row += 1
            values = [number, member["name"], member["id_number"] or "", member.get("phone") or "",
                      labels[member["relation"]], member["ethnicity"], *place]
            for column, value in enumerate(values):
                if value:
                    sheet.write_string(row, column, value)
    workbook.close()
    return count


def create_world(households):
    from django.contrib.auth.hashers import make_password

    from shequ.accounts.models import Membership, Role, User
    from shequ.places.models import (
        Building,
        Community,
        District,
        Entrance,
        Estate,
        Grid,
        ResidentGroup,
        Street,
    )

    district = District.objects.create(name="基准区", code="110199")
    street = Street.objects.create(district=district, name="基准街道", code="110199001")
    community = Community.objects.create(street=street, name="基准社区", code=COMMUNITY_CODE)
    groups = ResidentGroup.objects.bulk_create(
        ResidentGroup(community=community, number=n, name=f"第{n}居民小组") for n in (1, 2, 3))
    grids = Grid.objects.bulk_create(Grid(community=community, code=f"01-{n:02d}", name=f"第{n}网格") for n in (1, 2, 3))
    buildings_needed = -(-households // FLATS_PER_BUILDING)
    estates = Estate.objects.bulk_create(
        Estate(community=community, name=f"基准{e + 1}号院") for e in range(-(-buildings_needed // BUILDINGS_PER_ESTATE)))
    buildings = Building.objects.bulk_create(
        Building(community=community, estate=estates[b // BUILDINGS_PER_ESTATE], number=str(b % BUILDINGS_PER_ESTATE + 1),
                 floors=FLOORS, grid=grids[b % 3], resident_group=groups[b % 3])
        for b in range(buildings_needed))
    Entrance.objects.bulk_create(
        Entrance(community=community, building=building, number=str(e + 1))
        for building in buildings for e in range(ENTRANCES))
    head = User.objects.create(username="bench_head", full_name="基准书记", password=make_password(None))
    Membership.objects.create(user=head, role=Role.COMMUNITY_HEAD, community=community)


def empty_registry():
    from django.db import connection

    from shequ.registry.models import Household, NameGram, Resident

    with connection.cursor() as cursor:
        for model in (NameGram, Resident, Household):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


def world():
    from shequ.accounts.models import User
    from shequ.places.models import Community

    return User.objects.get(username="bench_head"), Community.objects.get(code=COMMUNITY_CODE)


# ------------------------------------------------------------------------------------------------
# Children
# ------------------------------------------------------------------------------------------------


def phase_ours(args):
    from shequ.registry.imports import import_file, job_summary
    from shequ.registry.models import Resident

    actor, community = world()
    sampler = PssSampler()
    sampler.start()
    started = time.perf_counter()
    job = import_file(actor=actor, community=community, path=args.xlsx, duplicate_policy="report")
    seconds = round(time.perf_counter() - started, 2)
    sampler.stop()
    counts = job_summary(job).get("counts", {})
    if job.status != "done":
        raise SystemExit(f"import ended {job.status}: {job.error_message}")
    import resource

    importer = peak_rss_mb()
    reader = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    return {"seconds": seconds, "peak_rss_mb": round(importer + reader, 1),
            "peak_rss_parts_mb": {"importer": importer, "reader": reader}, "peak_pss_mb": sampler.peak_mb,
            "rejected": counts.get("rejected", 0),
            "created": counts.get("created"), "residents": Resident.objects.filter(community=community).count()}


class PssSampler:
    """Samples, every INTERVAL_S, the proportional set size (Pss) of this process plus its children: the memory
    they hold together, pages they share counted once. A forked reader shares the importer's interpreter,
    Django and code, so the sum of the two peak RSS counts those twice."""

    INTERVAL_S = 2.0

    def __init__(self):
        import threading

        self.peak_mb = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stopped.set()
        self._thread.join()

    def _run(self):
        peak = 0
        while True:  # a first sample at once: an import shorter than the interval still has one
            peak = max(peak, sum(self._pss_kb(pid) for pid in [os.getpid(), *self._children()]))
            if self._stopped.wait(self.INTERVAL_S):
                break
        self.peak_mb = round(peak / 1024, 1) if peak else None

    @staticmethod
    def _children():
        pids = []
        for task in Path("/proc/self/task").glob("*"):
            with contextlib.suppress(OSError):  # a thread that ended meanwhile
                pids += (task / "children").read_text().split()
        return pids

    @staticmethod
    def _pss_kb(pid):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0


def phase_import_export(args):
    import tablib
    from django.db import connection
    from import_export import fields, resources, widgets

    from shequ.core.identity import parse_id_number
    from shequ.places.models import Building, Entrance
    from shequ.registry.choices import Relation
    from shequ.registry.models import Household, Resident
    from shequ.registry.pinyin import to_pinyin
    from shequ.registry.protection import protect_id_number, protect_phone

    actor, community = world()
    buildings = {(b.estate.name, b.number): b for b in Building.objects.filter(community=community)
                 .select_related("estate")}
    entrances = {(e.building_id, e.number): e.id for e in Entrance.objects.filter(community=community)}

    # Households beforehand (untimed), one for each 户号 of the file, as the roster places them.
    households = []
    for index in range(args.residents):
        estate, building_number, entrance, room = flat(index)
        building = buildings.get((estate, building_number))
        if building is None:
            break
        households.append(Household(
            community=community, number=f"{index + 1:07d}", estate_id=building.estate_id, building=building,
            entrance_id=entrances[(building.id, entrance)], room=room, address=f"{estate}{building_number}号楼"
            f"{entrance}单元{room}", grid_id=building.grid_id, resident_group_id=building.resident_group_id))
    Household.objects.bulk_create(households, batch_size=2000)
    del households
    household_fields = ("community_id", "household_id", "grid_id", "resident_group_id", "building_id")
    text_fields = ("name", "name_pinyin", "name_initials", "sex", "ethnicity", "relation", "id_number_enc",
                   "id_number_hash", "id_tail4_hash", "id_tail6_hash", "id_number_masked", "phone_enc", "phone_hash",
                   "phone_tail4_hash", "phone_masked")

    class ResidentResource(resources.ModelResource):
        community_id = fields.Field(attribute="community_id", column_name="community_id", widget=widgets.IntegerWidget())
        household_id = fields.Field(attribute="household_id", column_name="household_id", widget=widgets.IntegerWidget())
        grid_id = fields.Field(attribute="grid_id", column_name="grid_id", widget=widgets.IntegerWidget())
        resident_group_id = fields.Field(attribute="resident_group_id", column_name="resident_group_id",
                                         widget=widgets.IntegerWidget())
        building_id = fields.Field(attribute="building_id", column_name="building_id", widget=widgets.IntegerWidget())

        class Meta:
            model = Resident
            fields = (*household_fields, *text_fields, "birth_date")
            import_id_fields = ()
            use_bulk = True
            skip_diff = True
            skip_unchanged = False
            batch_size = 1000
            force_init_instance = True
            skip_admin_log = True

    relations = {label: value for value, label in Relation.choices}
    started = time.perf_counter()
    with open(args.xlsx, "rb") as handle:
        source = tablib.Dataset().load(handle.read(), format="xlsx")
    read_s = time.perf_counter() - started
    rows = min(len(source), args.ie_max_rows or len(source))
    started = time.perf_counter()
    household_ids = dict(Household.objects.filter(community=community).values_list("number", "id"))
    places = {(b.estate.name, b.number): (b.id, b.grid_id, b.resident_group_id) for b in buildings.values()}
    data = tablib.Dataset(headers=[*household_fields, *text_fields, "birth_date"])
    for row in source[:rows]:
        number, name, id_number, phone, relation, ethnicity, estate, building_number = row[:8]
        info = parse_id_number(id_number)
        pinyin, initials = to_pinyin(name)
        protected = protect_id_number(info.number) | protect_phone(phone or "")
        building_id, grid_id, group_id = places[(estate, str(building_number))]
        data.append([community.id, household_ids[number], grid_id, group_id, building_id, name, pinyin, initials,
                     info.sex, ethnicity, relations[relation], *(protected[f] for f in text_fields[6:]),
                     info.birth_date])
    result = ResidentResource().import_data(data, dry_run=False, use_transactions=True, raise_errors=True)
    import_s = time.perf_counter() - started
    del source
    imported = Resident.objects.filter(community=community).count()
    if result.has_errors() or imported != rows:
        raise SystemExit(f"import_export imported {imported} of {rows} rows")
    total = args.residents
    extrapolated = rows < total
    seconds = read_s + import_s * (total / rows if extrapolated else 1)
    connection.close()
    return {"seconds": round(seconds, 2), "read_s": round(read_s, 2), "import_s": round(import_s, 2), "rows": rows,
            "extrapolated": extrapolated, "peak_rss_mb": peak_rss_mb()}


def phase_floor(args):
    from django.db import connection, transaction
    from python_calamine import CalamineWorkbook

    columns = ", ".join(f"c{i} text" for i in range(len(HEADERS)))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(f"CREATE TABLE bench_floor (id integer PRIMARY KEY, {columns})")
    marks = ", ".join(["%s"] * len(HEADERS))
    started = time.perf_counter()
    rows = CalamineWorkbook.from_path(args.xlsx).get_sheet_by_index(0).to_python()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO bench_floor VALUES (NULL, {marks})",
                           [[str(value) for value in row[:len(HEADERS)]] for row in rows[1:]])
    seconds = round(time.perf_counter() - started, 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_floor")
        inserted = cursor.fetchone()[0]
    if inserted != args.residents:
        raise SystemExit(f"floor inserted {inserted} rows, not {args.residents}")
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb()}


if __name__ == "__main__":
    main()
