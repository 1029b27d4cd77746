#!/usr/bin/env python
"""Registry search benchmark: the one search box over N residents, three ways, one JSON line.

    .venv/bin/python bench/registry_search.py                      # 20,000 residents, about a minute
    .venv/bin/python bench/registry_search.py --residents 1000000  # the full run

Data: fake.py households (about 600 a community, 2.66 people a household, so ~1,600 residents a
community and N/1,600 communities, all in one street) written through registry.bulk.bulk_register into a
freshly migrated SQLite database. The database is built once and kept under var/bench/, keyed by N, the
seed, the generator's source and the registry migrations, so later runs only search; --rebuild builds it
again, --no-cache builds into a temporary file that is removed at the end, --database-url uses that
database (built if empty).

Queries: for each kind (name1 "王", name2 "建国", name3 "张建国", initials "zjg", phone_tail "5678",
id_tail "123456", address "3号楼2单元") REPS different values drawn from the residents of one community,
timed three ways:
  ours      registry.selectors.resident_list(actor, q=…): the first page of 50 and the "10,000+" count,
            for a community worker of that community (the main figures) and for a street administrator
            over every community (street_admin_p95_ms);
  raw SQL   hand-written SQL on the same tables and indexes doing the same: same scope, the same rows and
            columns of the first page (resident, household, grid), the bounded count; rows as tuples;
  admin     Django admin's ChangeList for a superuser, search_fields over name, pinyin, initials, masked ID,
            masked phone and address (LIKE '%q%' on each, whole table), with its full COUNTs and the page
            (template rendering not included).
browse_p95_ms: the list with no search for the worker and the street administrator, as it opens and with
one filter (a care tag, age 80+, sex), first page and bounded count.
Each way runs a few untimed warm-up queries first. Times are wall-clock milliseconds per query.
ours_sql_only_p95_ms re-runs the statements "ours" sent, straight on the cursor: the database's share.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["name1", "name2", "name3", "initials", "phone_tail", "id_tail", "address"]
HOUSEHOLDS_PER_COMMUNITY = 600
SEED = 20260101
WARM_UP = 5
PAGE = 50
CAP = 10_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--reps", type=int, default=50, help="queries per kind and way (default 50)")
    parser.add_argument("--admin-reps", type=int, default=None, help="queries per kind for the admin (default --reps)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rebuild", action="store_true", help="build the cached database again")
    parser.add_argument("--no-cache", action="store_true", help="build into a temporary file, removed at the end")
    parser.add_argument("--skip-admin", action="store_true")
    return parser.parse_args()


def log(message):
    # UTC: Django, once set up, switches the process's local time to the project's TIME_ZONE mid-run.
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", file=sys.stderr, flush=True)


def fingerprint(seed):
    digest = hashlib.sha256(str(seed).encode())
    registry = ROOT / "shequ" / "registry"
    # The generator, the writer and the schema (indexes) the database was built with.
    for path in (registry / "fake.py", registry / "bulk.py", *sorted((registry / "migrations").glob("0*.py"))):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def main():
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "shequ.settings.dev"
    os.environ.setdefault("SHEQU_DEBUG", "0")  # no query log: production settings measure production code
    temporary = None
    if args.database_url:
        url = args.database_url
    elif args.no_cache:
        temporary = tempfile.mkdtemp(prefix="shequ-bench-")
        url = f"sqlite:///{temporary}/registry.sqlite3"
    else:
        folder = ROOT / "var" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"registry_search_{args.residents}_{fingerprint(args.seed)}.sqlite3"
        if args.rebuild:
            for suffix in ("", "-wal", "-shm", ".done"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        elif path.exists() and not Path(f"{path}.done").exists():
            log(f"{path.name} was left half-built; building it again")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    os.environ["SHEQU_DATABASE_URL"] = url

    import django

    django.setup()
    try:
        result = run(args, url)
    finally:
        if temporary:
            import shutil

            from django.db import connection

            connection.close()
            shutil.rmtree(temporary, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))


# ------------------------------------------------------------------------------------------------
# Building the database
# ------------------------------------------------------------------------------------------------


def run(args, url):
    from django.core.management import call_command
    from django.db import connection

    from shequ.core.database import refresh_planner_statistics
    from shequ.registry.models import SEARCHED_MODELS, Resident

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    built_in = None
    if not Resident.objects.exists():
        built_in = build(args.residents, args.seed)
        if url.startswith("sqlite:///") and not args.database_url:
            Path(f"{url.removeprefix('sqlite:///')}.done").write_text(json.dumps({"seconds": built_in}))
    # As an import or the demo seed leaves it (a database built before they did is brought level).
    refresh_planner_statistics(*SEARCHED_MODELS)
    connection.close()  # searches run on a connection with the application's own settings
    total = Resident.objects.count()
    log(f"{total:,} residents ready ({time.perf_counter() - started:.0f} s)")
    return measure(args, total, built_in)


def build(residents, seed):
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from shequ.accounts.models import Membership, Role, User
    from shequ.registry.bulk import bulk_register
    from shequ.registry.demo import flats
    from shequ.registry.fake import residents as fake_residents

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size=-1000000")  # 1 GB while building; searches use the settings'
    started = time.perf_counter()
    street = _street()
    stream = fake_residents(residents, seed=seed)
    communities, written, number = [], 0, 0
    while True:
        chunk = [h for _, h in zip(range(HOUSEHOLDS_PER_COMMUNITY), stream, strict=False)]
        if not chunk:
            break
        number += 1
        community = _community(street, number)
        communities.append(community)
        rows = [household | place for household, place in zip(chunk, flats(community, len(chunk)), strict=True)]
        written += bulk_register(community, rows)["residents"]
        if number % 50 == 0:
            rate = written / (time.perf_counter() - started)
            log(f"  {written:,} / {residents:,} residents, {number} communities ({rate:,.0f} a second)")
    password = make_password(None)
    User.objects.create(username="bench_admin", full_name="基准超级用户", is_staff=True, is_superuser=True,
                        password=password)
    worker = User.objects.create(username="bench_worker", full_name="基准社工", password=password)
    Membership.objects.create(user=worker, role=Role.COMMUNITY_WORKER, community=communities[len(communities) // 2])
    admin = User.objects.create(username="bench_street", full_name="基准街道管理员", password=password)
    Membership.objects.create(user=admin, role=Role.STREET_ADMIN, street=street)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seconds = round(time.perf_counter() - started, 1)
    log(f"built {written:,} residents in {len(communities)} communities in {seconds} s")
    return seconds


def _street():
    from shequ.places.models import District, Street

    district = District.objects.create(name="基准区", code="110199")
    return Street.objects.create(district=district, name="基准街道", code="110199001")


def _community(street, number):
    """A community laid out like the demo ones: 3 groups, 3 grids, 2 estates of 4 buildings, 2–3 entrances."""
    from shequ.places.models import Building, Community, Entrance, Estate, Grid, ResidentGroup

    community = Community.objects.create(street=street, name=f"基准{number}社区", code=f"110199001{number:03d}"
                                         if number < 1000 else f"11019900{number:04d}")
    groups = ResidentGroup.objects.bulk_create(
        ResidentGroup(community=community, number=n, name=f"第{n}居民小组") for n in (1, 2, 3))
    grids = Grid.objects.bulk_create(
        Grid(community=community, code=f"{number:04d}-{n:02d}", name=f"第{n}网格") for n in (1, 2, 3))
    estates = Estate.objects.bulk_create(
        Estate(community=community, name=name) for name in (f"基准{number}东里", f"基准{number}西里"))
    buildings = Building.objects.bulk_create(
        Building(community=community, estate=estate, number=str(n), floors=6 + (n % 3) * 6,
                 grid=grids[(i * 4 + n - 1) % 3], resident_group=groups[(i * 4 + n - 1) % 3])
        for i, estate in enumerate(estates) for n in range(1, 5))
    Entrance.objects.bulk_create(
        Entrance(community=community, building=building, number=str(e))
        for building in buildings for e in range(1, 3 + int(building.number) % 2))
    return community


# ------------------------------------------------------------------------------------------------
# Query values, drawn from the residents of the worker's community
# ------------------------------------------------------------------------------------------------


def query_values(community_id, reps, seed):
    from shequ.places.models import Entrance
    from shequ.registry.models import Resident
    from shequ.registry.protection import reveal_id_number, reveal_phone

    rng = random.Random(seed)
    people = list(Resident.objects.filter(community_id=community_id, status="present").order_by("id"))
    count = reps + WARM_UP

    def draw(pick):
        values = []
        while len(values) < count:
            value = pick(rng.choice(people))
            if value:
                values.append(value)
        return values

    def piece(resident, size):
        chars = resident.name.replace("·", "")
        if len(chars) < size:
            return None
        start = rng.randrange(len(chars) - size + 1)
        return chars[start:start + size]

    entrances = list(Entrance.objects.filter(community_id=community_id).select_related("building"))
    return {
        "name1": draw(lambda r: piece(r, 1)),
        "name2": draw(lambda r: piece(r, 2)),
        "name3": draw(lambda r: r.name if len(r.name) == 3 else None),
        "initials": draw(lambda r: r.name_initials if len(r.name_initials) == 3 else None),
        "phone_tail": draw(lambda r: reveal_phone(r)[-4:] if r.phone_enc else None),
        "id_tail": draw(lambda r: reveal_id_number(r)[-6:] if r.id_number_enc else None),
        "address": [f"{e.building.number}号楼{e.number}单元" for e in (rng.choice(entrances) for _ in range(count))],
    }


# ------------------------------------------------------------------------------------------------
# The three ways
# ------------------------------------------------------------------------------------------------


def ours(actor):
    from shequ.registry.selectors import resident_list

    def search(q):
        page = resident_list(actor, q=q)
        return len(page.items), page.count_label

    return search


class OursSQL:
    """The very statements resident_list sends, run again on the cursor without the ORM around them (no
    queryset building, no SQL compiling, rows left as tuples): the database's share of "ours"."""

    def __init__(self, actor):
        self.actor = actor
        self.statements = {}

    def capture(self, values):
        from django.db import connection

        from shequ.registry.selectors import resident_list

        for q in values:
            captured = []

            def record(execute, sql, params, many, context, captured=captured):
                captured.append((sql, params))
                return execute(sql, params, many, context)

            with connection.execute_wrapper(record):
                resident_list(self.actor, q=q)
            self.statements[q] = captured

    def __call__(self, q):
        from django.db import connection

        with connection.cursor() as cursor:
            for sql, params in self.statements[q]:
                cursor.execute(sql, params)
                cursor.fetchall()


class RawSQL:
    """The best SQL we could write by hand for each kind, on our own tables and indexes."""

    def __init__(self, community_ids):
        from django.db import connection

        from shequ.places.models import Grid
        from shequ.registry.models import Household, Resident

        self.connection = connection
        ids = sorted(community_ids)
        self.scope_params = ids
        self.scope = "= %s" if len(ids) == 1 else f"IN ({', '.join(['%s'] * len(ids))})"
        columns = []
        # The columns the list reads, as the selector fetches them: resident, household, grid.
        for alias, model in (("r", Resident), ("h", Household), ("g", Grid)):
            columns += [f'{alias}."{f.column}"' for f in model._meta.concrete_fields]
        self.columns = ", ".join(columns)
        self.joins = 'JOIN registry_household h ON h.id = r.household_id LEFT JOIN places_grid g ON g.id = r.grid_id'

    def __call__(self, kind, q):
        from shequ.core.identity import normalize_text
        from shequ.registry.protection import id_tail_hash, phone_tail_hash

        text = normalize_text(q)
        scope, ids = self.scope, self.scope_params
        outer = f"r.community_id {scope} AND r.status = 'present'"
        if kind == "name1":
            # One character starts the pieces it is in: a range of the (community_id, gram, resident_id) index.
            source = (f"registry_resident r WHERE {outer} AND r.id IN (SELECT resident_id FROM registry_namegram "
                      f"WHERE community_id {scope} AND gram >= %s AND gram < %s)")
            return self._page(source, [*ids, *ids, text, chr(ord(text) + 1)])
        if kind in ("name2", "name3"):
            params = [*ids, *ids, text[:2]]
            if len(ids) == 1:
                # One community: its run of the (community_id, gram, resident_id) index is in id order.
                source = (f"registry_namegram ng JOIN registry_resident r ON r.id = ng.resident_id "
                          f"WHERE {outer} AND ng.community_id {scope} AND ng.gram = %s")
                order = "ng.resident_id"
            else:
                source = (f"registry_resident r WHERE {outer} AND r.id IN (SELECT resident_id FROM registry_namegram "
                          f"WHERE community_id {scope} AND gram = %s)")
                order = "r.id"
            if len(text) > 2:
                source += " AND instr(r.name, %s) > 0"
                params.append(text)
            return self._page(source, params, order=order)
        within = f"SELECT id FROM registry_resident WHERE community_id {scope} AND"
        if kind == "initials":
            text = text.lower()  # normalize_text upper-cases a final x, as in an ID number
            high = text + "\x7f"
            source = (f"registry_resident r WHERE {outer} AND r.id IN ({within} name_initials >= %s AND "
                      f"name_initials < %s UNION {within} name_pinyin >= %s AND name_pinyin < %s)")
            return self._page(source, [*ids, *ids, text, high, *ids, text, high])
        if kind == "phone_tail":
            source = (f"registry_resident r WHERE {outer} AND r.id IN ({within} id_tail4_hash = %s "
                      f"UNION {within} phone_tail4_hash = %s)")
            return self._page(source, [*ids, *ids, id_tail_hash(text, 4), *ids, phone_tail_hash(text)])
        if kind == "id_tail":
            # The last four's index, which carries the six's hash (there is no index of the last six alone).
            source = (f"registry_resident r WHERE {outer} AND r.id IN ({within} id_tail4_hash = %s "
                      "AND id_tail6_hash = %s)")
            return self._page(source, [*ids, *ids, id_tail_hash(text, 4), id_tail_hash(text, 6)])
        if kind == "address":
            building, rest = text.split("号楼")
            entrance = rest.removesuffix("单元")
            # The few entrances that match, their households (index on entrance), their members (index on
            # household), as a sorted list of ids.
            source = (f"registry_resident r WHERE {outer} AND r.id IN (SELECT id FROM registry_resident WHERE "
                      "household_id IN (SELECT id FROM registry_household WHERE entrance_id IN (SELECT en.id FROM "
                      f"places_entrance en JOIN places_building b ON b.id = en.building_id WHERE en.community_id "
                      f"{scope} AND b.number IN (%s, %s) AND en.number IN (%s, %s))))")
            return self._page(source, [*ids, *ids, building, f"{building}号楼", entrance, f"{entrance}单元"])
        raise ValueError(kind)

    def _page(self, source, params, order="r.id"):
        """The first page (51 rows, to know whether there is a next one), then the bounded count if the page
        does not already hold every match, as the selector does."""
        with self.connection.cursor() as cursor:
            head, _, tail = source.partition(" WHERE ")
            cursor.execute(f"SELECT {self.columns} FROM {head} {self.joins} WHERE {tail} "  # noqa: S608
                           f"ORDER BY {order} LIMIT {PAGE + 1}", params)
            rows = cursor.fetchall()
            if len(rows) <= PAGE:
                return len(rows), len(rows)
            cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {source} LIMIT {CAP + 1})", params)  # noqa: S608
            return PAGE, cursor.fetchone()[0]


def admin_changelist():
    from django.contrib import admin
    from django.test import RequestFactory

    from shequ.accounts.models import User
    from shequ.registry.models import Resident

    class BenchResidentAdmin(admin.ModelAdmin):
        search_fields = ["name", "name_pinyin", "name_initials", "id_number_masked", "phone_masked",
                         "household__address"]
        list_per_page = PAGE
        list_select_related = ["household", "grid", "building__estate"]

    if admin.site.is_registered(Resident):
        admin.site.unregister(Resident)
    admin.site.register(Resident, BenchResidentAdmin)
    model_admin = admin.site.get_model_admin(Resident)
    superuser = User.objects.get(username="bench_admin")
    factory = RequestFactory()

    def search(q):
        request = factory.get("/admin/registry/resident/", {"q": q})
        request.user = superuser
        changelist = model_admin.get_changelist_instance(request)
        return len(list(changelist.result_list)), changelist.result_count

    return search


def timed(function, values, reps):
    for value in values[reps:]:  # warm-up with values not measured
        function(value)
    times = []
    for value in values[:reps]:
        started = time.perf_counter()
        function(value)
        times.append((time.perf_counter() - started) * 1000)
    return times


def percentile(times, share):
    ordered = sorted(times)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 2)


BROWSE = {"all": {}, "tag": {"tag": "dibao"}, "age_80": {"age_min": 80}, "sex": {"sex": "F"}}


def browse_p95(actor, reps):
    """The list with no search: as it opens, and with one filter (a care tag, 80 and over, women)."""
    from shequ.registry.selectors import resident_list

    return {name: percentile(timed(lambda _, f=filters: resident_list(actor, **f), range(reps + WARM_UP), reps),
                             0.95)
            for name, filters in BROWSE.items()}


def measure(args, total, built_in):
    from shequ.accounts.models import User
    from shequ.core.scoping import actor_scope

    worker = User.objects.get(username="bench_worker")
    street_admin = User.objects.get(username="bench_street")
    community_id = worker.memberships.get().community_id
    values = query_values(community_id, args.reps, args.seed)
    ours_worker, ours_street = ours(worker), ours(street_admin)
    raw_worker = RawSQL({community_id})
    raw_street = RawSQL(actor_scope(street_admin).community_ids)
    admin = None if args.skip_admin else admin_changelist()
    admin_reps = args.admin_reps or args.reps

    ours_sql = OursSQL(worker)
    figures = {key: {} for key in ("p95", "p50", "raw95", "raw50", "admin95", "admin50", "street95", "street50",
                                   "street_raw95", "sql95")}
    mismatches = 0
    for kind in KINDS:
        kind_values = values[kind]
        # The baseline must find what we find: the same page length and the same bounded count.
        for q in kind_values:
            for mine_way, raw_way in ((ours_worker, raw_worker), (ours_street, raw_street)):
                found, label = mine_way(q)
                raw_found, raw_count = raw_way(kind, q)
                if (found, label) != (raw_found, f"{CAP:,}+" if raw_count > CAP else f"{raw_count:,}"):
                    mismatches += 1
                    log(f"MISMATCH {kind} {q!r}: ours {found} / {label}, raw SQL {raw_found} / {raw_count}")
        mine = timed(ours_worker, kind_values, args.reps)
        raw = timed(lambda q, kind=kind: raw_worker(kind, q), kind_values, args.reps)
        ours_sql.capture(kind_values)
        figures["sql95"][kind] = percentile(timed(ours_sql, kind_values, args.reps), 0.95)
        street = timed(ours_street, kind_values, args.reps)
        street_raw = timed(lambda q, kind=kind: raw_street(kind, q), kind_values, args.reps)
        figures["p95"][kind], figures["p50"][kind] = percentile(mine, 0.95), percentile(mine, 0.5)
        figures["raw95"][kind], figures["raw50"][kind] = percentile(raw, 0.95), percentile(raw, 0.5)
        figures["street95"][kind], figures["street50"][kind] = percentile(street, 0.95), percentile(street, 0.5)
        figures["street_raw95"][kind] = percentile(street_raw, 0.95)
        if admin is not None:
            admin_values = kind_values[:admin_reps] + kind_values[args.reps:args.reps + 1]
            slow = timed(admin, admin_values, admin_reps)
            figures["admin95"][kind], figures["admin50"][kind] = percentile(slow, 0.95), percentile(slow, 0.5)
        log(f"{kind:<10} ours p50 {figures['p50'][kind]:>8} p95 {figures['p95'][kind]:>8} (its SQL "
            f"{figures['sql95'][kind]:>6}) | raw p95 "
            f"{figures['raw95'][kind]:>8} | street p95 {figures['street95'][kind]:>8} (raw {figures['street_raw95'][kind]})"
            f" | admin p95 {figures['admin95'].get(kind, '-')}")

    browse = {role: browse_p95(actor, args.reps) for role, actor in (("worker", worker), ("street_admin", street_admin))}
    log(f"browse p95 {browse}")
    return {
        "residents": total,
        "p95_ms": figures["p95"],
        "p50_ms": figures["p50"],
        "raw_sql_p95_ms": figures["raw95"],
        "admin_p95_ms": figures["admin95"],
        "ratio_vs_raw": {k: round(figures["p95"][k] / figures["raw95"][k], 2) for k in KINDS},
        "speedup_vs_admin": {k: round(figures["admin95"][k] / figures["p95"][k], 1) for k in figures["admin95"]},
        "street_admin_p95_ms": figures["street95"],
        "street_admin_p50_ms": figures["street50"],
        "street_admin_raw_sql_p95_ms": figures["street_raw95"],
        "ours_sql_only_p95_ms": figures["sql95"],
        "raw_sql_p50_ms": figures["raw50"],
        "admin_p50_ms": figures["admin50"],
        "browse_p95_ms": browse,
        "baseline_mismatches": mismatches,
        "reps": args.reps,
        "admin_reps": 0 if admin is None else admin_reps,
        "communities": len(actor_scope(street_admin).community_ids),
        "build_seconds": built_in,
    }


if __name__ == "__main__":
    main()
