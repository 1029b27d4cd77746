"""The data generator behind the demo and the benchmarks: deterministic, valid, realistic proportions."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from shequ.core.identity import parse_id_number
from shequ.registry import fake
from shequ.registry.validation import validate_person

SENSITIVE = {"health", "resettlement", "drug_rehab"}


def test_same_seed_same_people_other_seed_other_people():
    assert list(fake.households(50, seed=7)) == list(fake.households(50, seed=7))
    assert list(fake.households(50, seed=7)) != list(fake.households(50, seed=8))


def test_exact_resident_count():
    assert sum(len(h["members"]) for h in fake.residents(1001, seed=3)) == 1001


def test_proportions_over_fifty_thousand_residents():
    households = list(fake.residents(50_000, seed=11))
    people = [m for h in households for m in h["members"]]
    share = lambda count: count / len(people)  # noqa: E731
    ages = [fake.age_on(p["birth_date"]) for p in people]
    tags = Counter(t["kind"] for p in people for t in p["tags"])

    assert 2.4 <= len(people) / len(households) <= 2.9
    assert 0.16 <= share(sum(a >= 60 for a in ages)) <= 0.20
    assert 0.02 <= share(sum(a >= 80 for a in ages)) <= 0.04
    assert 0.015 <= share(tags["disabled"]) <= 0.025
    assert 0.010 <= share(tags["dibao"]) <= 0.020
    assert 0.003 <= share(tags["veteran"] + tags["military_family"]) <= 0.007
    assert 0.0015 <= share(sum(1 for p in people if SENSITIVE & {t["kind"] for t in p["tags"]})) <= 0.0045
    surnames = Counter(p["name"][0] for p in people)
    assert {surname for surname, _ in surnames.most_common(3)} == {"王", "李", "张"}
    assert any("·" in p["name"] for p in people)
    ids = [p["id_number"] for p in people]
    assert len(set(ids)) == len(ids)
    floating = [p for p in people if p["residence_status"] == "floating"]
    lapsed = sum(p["floating_expires_on"] < fake.REFERENCE_DATE for p in floating)
    assert 0.02 <= lapsed / len(floating) <= 0.08  # a few registrations lapsed, most current


def test_every_person_passes_the_registry_rules():
    for household in fake.households(300, seed=5):
        head, *others = household["members"]
        assert head["relation"] == "head"
        for member in household["members"]:
            info = parse_id_number(member["id_number"])
            assert (info.birth_date, info.sex) == (member["birth_date"], member["sex"])
            values, errors = validate_person(member)
            assert errors == {}, (member, errors)
            assert member["birth_date"] <= fake.REFERENCE_DATE
        for child in (m for m in others if m["relation"] == "child"):
            mother = next((m for m in household["members"] if m["sex"] == "F" and m["relation"] in ("head", "spouse")),
                          None)
            if mother is not None:
                assert 19 <= fake.age_on(mother["birth_date"]) - fake.age_on(child["birth_date"]) <= 36


def test_rooms():
    assert fake.room_numbers(6) == ["101", "102", "201", "202", "301", "302", "401", "402", "501", "502", "601", "602"]


def test_the_generator_runs_before_django_is_set_up():
    """The benchmarks write their rosters with it before they set Django up (fake, choices, identity)."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([sys.executable, "-c", "from shequ.registry import fake; print(len(list(fake.residents(20, seed=1))))"],
                          cwd=Path(__file__).resolve().parents[3], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0
