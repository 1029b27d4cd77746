"""seed_demo fills each demo community with residents through the bulk path, once, and stores no ID
number or mobile in plain text."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from shequ.accounts.models import Membership, Role
from shequ.audit.models import AuditEvent
from shequ.core.identity import parse_id_number
from shequ.places.models import Community
from shequ.registry.choices import SENSITIVE_TAGS
from shequ.registry.models import Household, NameGram, Resident, ResidentTag
from shequ.registry.pinyin import name_grams
from shequ.registry.protection import open_tag_details, reveal_id_number, reveal_phone


def seed():
    call_command("seed_demo", stdout=io.StringIO())


def table_text(*models):
    """Every value of the models' tables, as one string, straight from the database."""
    parts = []
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
            parts.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(parts)


@pytest.mark.django_db
def test_seed_demo_registers_each_community_once_within_the_legal_range():
    seed()
    first = {c.name: (c.household_count, Household.objects.filter(community=c).count(),
                      Resident.objects.filter(community=c).count()) for c in Community.objects.all()}
    seed()
    again = {c.name: (c.household_count, Household.objects.filter(community=c).count(),
                      Resident.objects.filter(community=c).count()) for c in Community.objects.all()}

    assert again == first
    for stored_count, households, residents in first.values():
        assert stored_count == households
        assert 100 <= households <= 700
        assert 2 * households <= residents <= 3.2 * households
    assert AuditEvent.objects.filter(verb="household_bulk_register").count() == len(first)
    for household in Household.objects.all()[:200]:
        assert household.member_count == household.members.count()
        assert household.grid_id == household.building.grid_id
        assert household.address.startswith(household.estate.name)


@pytest.mark.django_db
def test_demo_residents_have_valid_ids_and_no_plain_text_in_the_database():
    seed()
    residents = list(Resident.objects.all())
    plain_ids = {r.id: reveal_id_number(r) for r in residents}
    plain_phones = {reveal_phone(r) for r in residents} - {""}

    assert len(set(plain_ids.values())) == len(residents)
    for resident in residents:
        info = parse_id_number(plain_ids[resident.id])
        assert (info.birth_date, info.sex) == (resident.birth_date, resident.sex)
        assert resident.id_number_masked == plain_ids[resident.id][:3] + "*" * 11 + plain_ids[resident.id][-4:]
    assert sum(1 for r in residents if plain_ids[r.id] in r.id_number_enc) == 0
    everything = table_text(Resident, Household, ResidentTag, AuditEvent)
    assert not set(re.findall(r"\d{17}[\dX]", everything)) & set(plain_ids.values())
    assert not set(re.findall(r"1[3-9]\d{9}", everything)) & plain_phones
    # The phones of the emergency contacts in the demo's 空巢 and 独居 tags are only sealed, shown masked.
    sealed = [open_tag_details(tag.details_enc) for tag in ResidentTag.objects.filter(sensitive=False)
              .exclude(details_enc="")]
    contact_phones = {phone for details in sealed for phone in re.findall(r"1[3-9]\d{9}", details.get("contact", ""))}
    assert len(contact_phones) > 10
    assert not set(re.findall(r"1[3-9]\d{9}", everything)) & contact_phones


@pytest.mark.django_db
def test_demo_tags_name_pieces_and_sensitive_access():
    seed()
    resident = Resident.objects.exclude(name__contains="·").first()
    assert set(NameGram.objects.filter(resident=resident).values_list("gram", flat=True)) == name_grams(resident.name)
    assert NameGram.objects.count() == sum(len(name_grams(name)) for name in Resident.objects.values_list("name", flat=True))
    kinds = set(ResidentTag.objects.values_list("kind", flat=True))
    assert {"disabled", "dibao"} <= kinds
    for tag in ResidentTag.objects.filter(kind__in=SENSITIVE_TAGS):
        assert tag.sensitive and tag.details == {} and open_tag_details(tag.details_enc)
    heads = Membership.objects.filter(role=Role.COMMUNITY_HEAD)
    assert heads.count() == 3 and all(m.sensitive_access for m in heads)
    assert not Membership.objects.filter(role=Role.COMMUNITY_WORKER, sensitive_access=True).exists()
