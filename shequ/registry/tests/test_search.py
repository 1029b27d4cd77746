"""The one search box: characters, pinyin, digits and addresses, all within the actor's scope."""

from datetime import date

import pytest
from django.db import connection

from shequ.accounts.models import Role
from shequ.core.identity import make_id_number
from shequ.places.models import Building, Entrance, Estate
from shequ.registry import selectors, services
from shequ.registry.search import parse_query

from .helpers import person, register


@pytest.fixture
def people(world):
    worker = world.user(Role.COMMUNITY_WORKER)
    register(worker, world.a, [person("张建国", phone="13800001234"), person("王丽", male=False),
                               person("张小明", born=date(2010, 5, 1))], room="501")
    building = Building.objects.create(community=world.a, estate=world.a.estate, number="3", grid=world.a.grid)
    entrance = Entrance.objects.create(community=world.a, building=building, number="2")
    services.household_register(actor=worker, estate=world.a.estate, building=building, entrance=entrance,
                                room="302", members=[person("李建国"), person("阿依古丽·买买提", male=False)])
    other = world.user(Role.COMMUNITY_WORKER, community=world.b)
    register(other, world.b, [person("王建国", phone="13900001234")])
    return worker


def names(actor, **filters):
    return sorted(r.name for r in selectors.resident_list(actor, **filters).items)


@pytest.mark.parametrize(("query", "expected", "kind"), [
    ("王", ["王丽"], "name"),
    ("国", ["张建国", "李建国"], "name"),
    ("建", ["张建国", "李建国"], "name"),
    ("丽", ["王丽", "阿依古丽·买买提"], "name"),
    ("买", ["阿依古丽·买买提"], "name"),
    ("建国", ["张建国", "李建国"], "name"),
    ("张建国", ["张建国"], "name"),
    ("买买提", ["阿依古丽·买买提"], "name"),
    ("zjg", ["张建国"], "initials"),
    ("ZJG", ["张建国"], "initials"),
    ("zhangjian", ["张建国"], "pinyin"),
    ("zhangjianguo", ["张建国"], "pinyin"),
    ("1234", ["张建国"], "tail"),
    ("３号楼２单元", ["李建国", "阿依古丽·买买提"], "address"),
    ("3号楼2单元302", ["李建国", "阿依古丽·买买提"], "address"),
    ("1号楼", ["张小明", "张建国", "王丽"], "address"),
])
def test_query_kinds(people, query, expected, kind):
    page = selectors.resident_list(people, q=query)
    assert page.query_kind == kind
    assert sorted(r.name for r in page.items) == sorted(expected)


def test_an_estates_name_finds_its_residents_and_names_still_match(people, world):
    garden = Estate.objects.create(community=world.a, name="建国花园")
    building = Building.objects.create(community=world.a, estate=garden, number="8", grid=world.a.grid)
    services.household_register(actor=people, estate=garden, building=building, room="101", members=[person("赵敏")])
    assert names(people, q="甲社区小区") == ["张小明", "张建国", "李建国", "王丽", "阿依古丽·买买提"]
    assert names(people, q="建国") == ["张建国", "李建国", "赵敏"]  # two names and the estate
    assert names(people, q="花园") == ["赵敏"] and names(people, q="乙社区小区") == []  # another community's


def test_exact_id_number_and_mobile(people):
    zhang = selectors.resident_get(people, selectors.resident_list(people, q="张建国").items[0].id)
    plain_id = services.resident_reveal(actor=people, resident=zhang, field="id_number", reason="测试检索")
    assert names(people, q=plain_id.lower()) == ["张建国"]
    assert names(people, q="138 0000 1234") == ["张建国"]
    assert names(people, q=plain_id[-6:]) == ["张建国"]


def _same_last_four(first):
    """An ID number ending in the same four characters as `first`, with other last six."""
    for day in range(1, 29):
        other = make_id_number("110105", date(1975, 3, day), int(first[14:17]) // 2, first[16] in "13579")
        if other[-4:] == first[-4:] and other[-6:] != first[-6:]:
            return other
    raise AssertionError("no such number in a month")


def test_last_six_and_a_whole_mobile_tell_apart_those_sharing_the_last_four(people, world):
    zhang = person("张三丰", phone="13700005678")
    namesake = {**person("李四", phone="13600005678"), "id_number": _same_last_four(zhang["id_number"])}
    register(people, world.a, [zhang, namesake], room="601")
    assert names(people, q=zhang["id_number"][-4:]) == ["张三丰", "李四"]
    assert names(people, q=zhang["id_number"][-6:]) == ["张三丰"]
    assert names(people, q=namesake["id_number"][-6:]) == ["李四"]
    assert names(people, q="5678") == ["张三丰", "李四"]
    assert names(people, q="13700005678") == ["张三丰"]
    assert names(people, q="13600005678") == ["李四"]


@pytest.mark.parametrize(("query", "compared"), [("13800001234", ("phone_tail4_hash", "phone_hash")),
                                                 ("123456", ("id_tail4_hash", "id_tail6_hash"))])
def test_last_six_and_a_whole_mobile_are_found_in_the_last_fours_index_without_reading_rows(people, world, query,
                                                                                          compared):
    plan = _plan(query, world.a)
    if connection.vendor == "sqlite":
        assert "USING COVERING INDEX" in " ".join(plan)
        assert "(community_id=? AND {}=? AND {}=?)".format(*compared) in " ".join(plan)
        return
    condition = next(line for line in plan if line.startswith("Index Cond:"))
    assert all(column in condition for column in ("community_id", *compared))
    assert not any(line.startswith("Filter:") for line in plan)


def test_one_character_is_a_range_of_the_name_pieces_key(people, world):
    plan = _plan("王", world.a)
    if connection.vendor == "sqlite":
        assert "SEARCH registry_namegram USING PRIMARY KEY (community_id=? AND gram>? AND gram<?)" in plan
        return
    # On PostgreSQL the range is answered by the key's index only with the piece's C collation (migration 0011).
    at = next(i for i, line in enumerate(plan) if "registry_namegram_pkey" in line)
    assert "(gram >= '王'::text) AND (gram < '玌'::text)" in plan[at + 1]


def _plan(query, community):
    """The plan of the worker's search for query: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL's lines."""
    sql, params = parse_query(query, community_ids=[community.id]).condition
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN SELECT id FROM registry_resident WHERE {sql}", params)  # noqa: S608
            return [row[-1] for row in cursor.fetchall()]
        # With a test's few rows any plan is cheap: planner statistics and no scans leave the index that answers.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("ANALYZE registry_resident")
        cursor.execute("ANALYZE registry_namegram")
        cursor.execute(f"EXPLAIN SELECT id FROM registry_resident WHERE {sql}", params)  # noqa: S608
        return [row[0].strip() for row in cursor.fetchall()]


def test_other_community_is_never_found(people):
    assert "王建国" not in names(people, q="建国")
    assert names(people, q="13900001234") == []


def test_filters(people, world):
    assert names(people, age_max=17) == ["张小明"]
    assert "张小明" not in names(people, age_min=18)
    assert names(people, sex="F") == ["王丽", "阿依古丽·买买提"]
    assert len(names(people, grid_id=world.a.grid.id)) == 5


def test_street_admin_sees_both_communities(people, world):
    admin = world.user(Role.STREET_ADMIN)
    assert names(admin, q="建国") == ["张建国", "李建国", "王建国"]


def test_grid_worker_sees_only_own_grid(people, world):
    from shequ.places.models import Grid

    other_grid = Grid.objects.create(community=world.a, code="02", name="第2网格")
    grid_worker = world.user(Role.GRID_WORKER, grid=other_grid)
    assert names(grid_worker, q="建国") == []
    Building.objects.filter(number="3").update(grid=other_grid)
    # residents follow their household's grid as recorded at registration
    assert names(world.user(Role.GRID_WORKER, grid=world.a.grid, username="g1"), q="建国") == ["张建国", "李建国"]


def test_count_is_bounded(people, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    page = selectors.resident_list(people)
    assert page.count_label == "3+"
    assert selectors.resident_list(people, q="zjg").count_label == "1"


def test_keyset_pages_cover_everything_once(people):
    seen, after = [], None
    while True:
        page = selectors.resident_list(people, limit=2, after_id=after)
        seen += [r.id for r in page.items]
        if page.next_after is None:
            break
        after = page.next_after
    assert len(seen) == len(set(seen)) == 5


def test_list_query_count_does_not_grow(people, world, django_assert_max_num_queries):
    given = "一二三四五六七八九十春夏秋冬东南西北金木水火土天地玄黄宇宙洪荒"
    for i in range(30):
        register(people, world.a, [person(f"赵{given[i]}")], room=str(1000 + i))
    with django_assert_max_num_queries(4):
        page = selectors.resident_list(people, q="")
        [r.household_address + str(r.grid_name) for r in page.items]
    assert len(page.items) == 35
