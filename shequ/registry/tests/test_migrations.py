"""Migrations that rewrite stored data, run both ways on residents already registered."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shequ.registry.models import NameGram
from shequ.registry.pinyin import name_grams

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
