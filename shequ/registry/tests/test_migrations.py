"""Migrations that rewrite stored data, run both ways on residents already registered."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shequ.registry.models import Household, NameGram, Resident
from shequ.registry.pinyin import name_grams
from shequ.registry.selectors import resident_list

from .helpers import person, register

NAMES = ["张建国", "王丽", "阿依古丽·买买提", "李李李", "王"]


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("registry", target)])


def pieces():
    stored = {}
    for name, gram in NameGram.objects.values_list("resident__name", "gram"):
        stored.setdefault(name, set()).add(gram)
    return stored


def gram_collation():
    with connection.cursor() as cursor:
        cursor.execute("SELECT collation_name FROM information_schema.columns "
                       "WHERE table_name = 'registry_namegram' AND column_name = 'gram'")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor runs outside a transaction
def test_name_pieces_from_each_position_both_ways(world, worker):
    for index, name in enumerate(NAMES):
        register(worker, world.a, [person(name)], room=str(101 + index))
    assert pieces() == {name: name_grams(name) for name in NAMES}
    try:
        migrate("0010_tail_indexes_carry_compared_hash")
        every_single = {name: {c for c in name.replace("·", "")} | name_grams(name) for name in NAMES}
        assert pieces() == every_single
        assert every_single["张建国"] == {"张", "建", "国", "张建", "建国"}
        if connection.vendor == "postgresql":
            assert gram_collation() is None  # the database's own
    finally:
        migrate("0011_name_pieces_from_each_position")
    assert pieces() == {name: name_grams(name) for name in NAMES}
    if connection.vendor == "postgresql":
        assert gram_collation() == "C"


HASH_FIELDS = ["id_number_hash", "id_tail4_hash", "id_tail6_hash", "phone_hash", "phone_tail4_hash"]


@pytest.mark.django_db(transaction=True)
def test_blind_indexes_cut_to_64_bits_are_found_again(world, worker):
    zhao = person("赵立新", phone="13912345678")
    household = register(worker, world.a, [zhao, person("钱多")], phone="13600001111")
    member = Resident.objects.get(name="赵立新")
    now = {field: getattr(member, field) for field in HASH_FIELDS}
    assert all(len(value) == 16 for value in now.values())
    migrate("0011_name_pieces_from_each_position")
    # What the code before stored: the HMAC's first 32 hex characters, of which the first 16 are today's.
    Resident.objects.filter(id=member.id).update(**{field: value + "0123456789abcdef" for field, value in now.items()})
    Household.objects.filter(id=household.id).update(phone_hash=household.phone_hash + "fedcba9876543210")
    migrate("0012_blind_indexes_of_64_bits")
    member.refresh_from_db()
    household.refresh_from_db()
    assert {field: getattr(member, field) for field in HASH_FIELDS} == now
    assert len(household.phone_hash) == 16
    for query in ["5678", zhao["id_number"][-4:], zhao["id_number"][-6:], "13912345678", zhao["id_number"]]:
        assert [row.id for row in resident_list(worker, q=query).items] == [member.id], query
