"""The resident list's lean read path: plain rows written from hand-built SQL, with the same scope and
filters as the ORM gave."""

from shequ.accounts.models import Role
from shequ.registry import selectors, services

from .helpers import person, register


def test_rows_carry_what_the_list_the_api_and_the_export_read(world):
    worker = world.user(Role.COMMUNITY_WORKER)
    household = register(worker, world.a, [person("张建国", phone="13800001234", education="bachelor")])
    row = selectors.resident_list(worker, q="张建国").items[0]
    assert (row.household_number, row.household_address) == (household.number, household.address)
    assert row.grid_name == world.a.grid.name
    assert (row.get_sex_display(), row.get_relation_display(), row.get_status_display()) == ("男", "户主", "在册")
    assert row.get_education_display() == "本科" and row.get_political_status_display() == ""
    assert repr(row) == f"<ResidentRow {row.id}: 张建国>"  # no encrypted values in logs


def test_like_wildcards_in_a_search_are_plain_characters(world):
    worker = world.user(Role.COMMUNITY_WORKER)
    register(worker, world.a, [person("王丽")])
    assert [r.name for r in selectors.resident_list(worker, q="王").items] == ["王丽"]
    for query in ("王%", "_丽", "%"):
        assert selectors.resident_list(worker, q=query).items == []


def test_tag_filter_keeps_active_tags_only(world):
    head = world.user(Role.COMMUNITY_HEAD)
    household = register(head, world.a, [person("张建国"), person("李丽", male=False)])
    first, second = household.members.order_by("id")
    tag = services.resident_tag_add(actor=head, resident=first, kind="empty_nest", details={})
    services.resident_tag_add(actor=head, resident=second, kind="empty_nest", details={})
    services.resident_tag_end(actor=head, tag=tag)
    assert [r.id for r in selectors.resident_list(head, tag="empty_nest").items] == [second.id]


def test_tag_filter_over_a_street_finds_the_tagged_in_every_community_it_reads(world):
    in_a = register(world.user(Role.COMMUNITY_HEAD), world.a, [person("张建国"), person("李丽", male=False)])
    in_b = register(world.user(Role.COMMUNITY_HEAD, community=world.b), world.b, [person("王芳", male=False)])
    for community, resident in ((world.a, in_a.members.get(name="张建国")), (world.b, in_b.members.get())):
        head = world.user(Role.COMMUNITY_HEAD, community=community, username=f"tagger_{resident.id}")
        services.resident_tag_add(actor=head, resident=resident, kind="dibao", details={})
    admin = world.user(Role.STREET_ADMIN)
    assert {r.name for r in selectors.resident_list(admin, tag="dibao").items} == {"张建国", "王芳"}
    assert [r.name for r in selectors.resident_list(admin, tag="dibao", community_id=world.b.id).items] == ["王芳"]
    worker_a = world.user(Role.COMMUNITY_WORKER)
    assert [r.name for r in selectors.resident_list(worker_a, tag="dibao").items] == ["张建国"]


def test_an_actor_without_a_reading_role_gets_an_empty_page_without_a_query(world, django_assert_num_queries):
    register(world.user(Role.COMMUNITY_WORKER), world.a, [person("张建国")])
    supervisor = world.user(Role.SUPERVISOR)
    with django_assert_num_queries(1):  # the memberships
        page = selectors.resident_list(supervisor, q="张")
    assert (page.items, page.next_after, page.count_label) == ([], None, "0")
