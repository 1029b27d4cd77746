"""ID numbers and phones: encrypted at rest, masked in lists, revealed only with a reason, audited."""

import io
import sqlite3
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from shequ.accounts.models import Role
from shequ.audit.models import AuditEvent
from shequ.core.crypto import FieldCipher, generate_key
from shequ.core.errors import ApplicationError, Forbidden
from shequ.registry import selectors, services
from shequ.registry.models import Household, Resident
from shequ.registry.protection import mask_numbers, reveal_notes

from .helpers import person, register

PHONE = "13912345678"
HOUSE_PHONE = "010-65001111"
CONTACT_PHONE = "13712340000"


@pytest.fixture
def family(world):
    worker = world.user(Role.COMMUNITY_WORKER)
    household = register(worker, world.a, [person("张建国", phone=PHONE), person("王丽", male=False)],
                         phone=HOUSE_PHONE)
    head = household.members.get(name="张建国")
    return worker, household, head


def add_numbered_tags(worker, head):
    """An emergency contact's phone, written 3-4-4, and a disability certificate that embeds the ID number:
    numbers typed into a tag's free text. Returns the ID number."""
    id_number = services.resident_reveal(actor=worker, resident=head, field="id_number", reason="核对身份")
    services.resident_tag_add(actor=worker, resident=head, kind="empty_nest",
                              details={"contact": f"子女 {CONTACT_PHONE[:3]}-{CONTACT_PHONE[3:7]}-{CONTACT_PHONE[7:]}"})
    services.resident_tag_add(actor=worker, resident=head, kind="disabled",
                              details={"certificate": f"{id_number}11", "grade": "二级"})
    return id_number



def _all_text_in_database():
    """Every text value of every table, as the database holds it."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")
            chunks.extend(str(value) for row in cursor.fetchall() for value in row if value is not None)
    return "\n".join(chunks)


def test_database_holds_no_plain_id_number_or_phone(family):
    worker, household, head = family
    id_number = add_numbered_tags(worker, head)
    everything = _all_text_in_database()
    assert id_number not in everything
    assert PHONE not in everything
    assert CONTACT_PHONE not in everything and CONTACT_PHONE[3:7] + "-" + CONTACT_PHONE[7:] not in everything
    assert "65001111" not in everything
    assert head.id_number_enc.startswith("v1.")


@pytest.mark.django_db(transaction=True)  # committed, so the file copy sees it
def test_sqlite_file_bytes_hold_no_plain_values(family, tmp_path):
    worker, household, head = family
    id_number = add_numbered_tags(worker, head)
    if connection.vendor != "sqlite":
        # PostgreSQL keeps its files elsewhere; the table scan above covers it. Check the server says so.
        assert connection.vendor == "postgresql"
        return
    copy = tmp_path / "copy.sqlite3"
    target = sqlite3.connect(copy)
    connection.ensure_connection()
    connection.connection.backup(target)
    target.close()
    data = Path(copy).read_bytes()
    assert len(data) > 10_000
    for secret in (id_number, PHONE, "65001111", CONTACT_PHONE[3:7] + "-" + CONTACT_PHONE[7:]):
        assert secret.encode() not in data
        assert secret.encode("utf-16-le") not in data


def test_numbers_in_tag_details_are_masked_and_revealed_with_a_reason(family, world):
    worker, household, head = family
    id_number = add_numbered_tags(worker, head)
    tags = {tag.kind: tag for tag in head.tags.all()}
    assert tags["empty_nest"].details == {"contact": "子女 137****0000"}
    assert tags["disabled"].details == {"certificate": f"{id_number[:3]}{'*' * 13}{id_number[-2:]}11",
                                        "grade": "二级"}
    before = AuditEvent.objects.count()
    assert services.resident_tag_reveal(actor=worker, tag=tags["disabled"], reason="办理补贴") == {
        "certificate": f"{id_number}11", "grade": "二级"}
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.verb, event.sensitive, event.details["reason"]) == ("tag_reveal", False, "办理补贴")
    with pytest.raises(Forbidden):  # a street administrator reads the registry but reveals nothing
        services.resident_tag_reveal(actor=world.user(Role.STREET_ADMIN), tag=tags["empty_nest"], reason="核对")
    plain = services.resident_tag_add(actor=worker, resident=head, kind="dibao",
                                      details={"certificate": "京低保093941", "start": "2024-01-02"})
    assert plain.details == {"certificate": "京低保093941", "start": "2024-01-02"} and plain.details_enc == ""
    with pytest.raises(ApplicationError):  # nothing hidden, nothing to reveal
        services.resident_tag_reveal(actor=worker, tag=plain, reason="核对")


def test_numbers_in_notes_are_masked_sealed_kept_through_a_correction_and_revealed(family, world, login):
    worker, household, head = family
    services.resident_correct(actor=worker, resident=head, data={"notes": "女儿 13612345678，周末在家"}, reason="补充")
    head.refresh_from_db()
    assert head.notes == "女儿 136****5678，周末在家" and "13612345678" not in _all_text_in_database()
    # The card's form sends the masked notes back untouched with another change: the sealed number stays.
    services.resident_correct(actor=worker, resident=head, data={"notes": head.notes, "education": "college"})
    head.refresh_from_db()
    assert (head.education, reveal_notes(head)) == ("college", "女儿 13612345678，周末在家")
    client = login(worker)
    card = client.get(reverse("registry:resident", args=[head.id])).content.decode()
    assert "女儿 136****5678" in card and 'name="field" value="notes"' in card
    html = client.post(reverse("registry:reveal", args=[head.id]), {"field": "notes", "reason": "联系家属"})
    assert "女儿 13612345678" in html.content.decode()
    event = AuditEvent.objects.filter(verb="reveal").latest("id")
    assert event.details == {"field": "notes", "reason": "联系家属"}
    services.resident_correct(actor=worker, resident=head, data={"notes": ""}, reason="清空")
    head.refresh_from_db()
    assert (head.notes, head.notes_enc) == ("", "")


@pytest.mark.parametrize(("typed", "shown"), [
    ("子女 13812345678", "子女 138****5678"),
    ("138 1234 5678（女儿）", "138****5678（女儿）"),
    ("11010519491231002X11", "110*************2X11"),
    ("11010519491231002x", "110***********002x"),
    ("010-65001111", "010-650*1111"),
    ("2024-01-02 至 2025-01-01", "2024-01-02 至 2025-01-01"),
    ("京低保093941", "京低保093941"),
])
def test_mask_numbers(typed, shown):
    assert mask_numbers(typed) == shown


def test_lists_show_masked_values(family):
    worker, household, head = family
    page = selectors.resident_list(worker, q="张建国")
    row = page.items[0]
    assert row.phone_masked == "139****5678"
    assert len(row.id_number_masked) == 18 and row.id_number_masked[3:14] == "*" * 11
    assert household.phone_masked.endswith("1111") and "6500" not in household.phone_masked


def test_reveal_needs_reason_and_is_audited(family):
    worker, household, head = family
    with pytest.raises(ApplicationError, match="原因"):
        services.resident_reveal(actor=worker, resident=head, field="phone", reason=" ")
    assert services.resident_reveal(actor=worker, resident=head, field="phone", reason="联系走访") == PHONE
    event = AuditEvent.objects.filter(verb="reveal").get()
    assert event.actor == worker
    assert event.details == {"field": "phone", "reason": "联系走访"}
    assert event.target_id == str(head.id) and event.community_id == head.community_id


def test_supervisor_cannot_reveal(family, world):
    worker, household, head = family
    supervisor = world.user(Role.SUPERVISOR)
    with pytest.raises(Forbidden):
        services.resident_reveal(actor=supervisor, resident=head, field="id_number", reason="想看看")
    assert not AuditEvent.objects.filter(verb="reveal").exists()


def test_key_rotation_reencrypts_and_old_values_still_read(family):
    worker, household, head = family
    before = services.resident_reveal(actor=worker, resident=head, field="id_number", reason="轮换前核对")
    old_token = Resident.objects.get(id=head.id).id_number_enc
    from django.conf import settings

    keys = dict(settings.SHEQU_FIELD_KEYS) | {"k2": generate_key()}
    try:
        with override_settings(SHEQU_FIELD_KEYS=keys, SHEQU_FIELD_KEY_CURRENT="k2"):
            FieldCipher.reset()
            call_command("rotate_field_keys", stdout=io.StringIO())
            rotated = Resident.objects.get(id=head.id)
            assert rotated.id_number_enc.startswith("v1.k2.") and rotated.id_number_enc != old_token
            assert Household.objects.get(id=household.id).phone_enc.startswith("v1.k2.")
            assert services.resident_reveal(actor=worker, resident=rotated, field="id_number", reason="轮换后核对") == before
            # exact search still finds the resident: blind indexes did not change
            assert [r.id for r in selectors.resident_list(worker, q=before).items] == [rotated.id]
    finally:
        FieldCipher.reset()


def test_reindex_after_index_key_change(family):
    worker, household, head = family
    plain = services.resident_reveal(actor=worker, resident=head, field="id_number", reason="核对")
    try:
        with override_settings(SHEQU_INDEX_KEY=generate_key()):
            FieldCipher.reset()
            assert selectors.resident_list(worker, q=plain).items == []  # old hashes no longer match
            call_command("rotate_field_keys", "--reindex", stdout=io.StringIO())
            assert [r.id for r in selectors.resident_list(worker, q=plain).items] == [head.id]
            assert [r.id for r in selectors.resident_list(worker, q=PHONE[-4:]).items] == [head.id]
    finally:
        FieldCipher.reset()
