"""The audit trail: append-only, written by audit_record() with the request's source, and read only by
heads, supervisors and street administrators, each within their communities."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shequ.accounts.models import Role
from shequ.audit.models import AuditEvent
from shequ.audit.services import audit_record
from shequ.core.context import source


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def record_events(actor, community, count, verb="update"):
    return [audit_record(actor, verb, community.estate, details={"n": n}) for n in range(count)]


def page_ids(response):
    """The estates the page's rows are about, read from each row's data-target (the text names them in words)."""
    return [int(i) for i in re.findall(r'data-target="places\.estate#(\d+)"', response.content.decode())]


# ---------------------------------------------------------------- append-only


def test_audit_event_cannot_be_updated_or_deleted_through_the_model(world):
    event = audit_record(world.user(Role.COMMUNITY_HEAD), "update", world.a.estate)

    event.verb = "tampered"
    with pytest.raises(RuntimeError, match="不可修改"):
        event.save()
    with pytest.raises(RuntimeError, match="不可删除"):
        event.delete()

    stored = AuditEvent.objects.get(id=event.id)
    assert stored.verb == "update"


def test_audit_record_takes_source_and_address_from_the_context(world):
    head = world.user(Role.COMMUNITY_HEAD)

    outside = audit_record(head, "update", world.a.grid)
    with source("api", ip="192.0.2.7"):
        inside = audit_record(head, "update", world.a.grid, details={"k": "v"})

    assert (outside.source, outside.ip) == ("cli", None)
    assert (inside.source, inside.ip, inside.details) == ("api", "192.0.2.7", {"k": "v"})
    assert inside.actor_label == f"{head.full_name} ({head.username})"
    assert (inside.target_type, inside.target_id, inside.target_label) == (
        "places.grid", str(world.a.grid.id), world.a.grid.name)
    assert inside.community_id == world.a.id


def test_a_failed_write_leaves_no_audit_record(world):
    admin = client_for(world.user(Role.STREET_ADMIN))

    response = admin.post("/api/v1/places/buildings",
                          {"estate_id": world.a.estate.id, "number": "5", "grid_id": world.b.grid.id},
                          content_type="application/json")

    assert response.status_code == 400
    assert not AuditEvent.objects.exists()


# ---------------------------------------------------------------- who reads it


@pytest.mark.parametrize("role", [Role.COMMUNITY_HEAD, Role.SUPERVISOR])
def test_heads_and_supervisors_read_their_communitys_events_only(world, role):
    head_a = world.user(Role.COMMUNITY_HEAD, username="writer_a")
    head_b = world.user(Role.COMMUNITY_HEAD, community=world.b, username="writer_b")
    in_a = record_events(head_a, world.a, 2)
    record_events(head_b, world.b, 2)
    client = client_for(world.user(role))

    page = client.get("/audit/")
    assert page.status_code == 200
    assert page_ids(page) == [world.a.estate.id] * 2
    assert "writer_b" not in page.content.decode()

    api = client.get("/api/v1/audit/events")
    assert api.status_code == 200
    assert [e["id"] for e in api.json()["items"]] == [e.id for e in reversed(in_a)]
    assert {e["community_id"] for e in api.json()["items"]} == {world.a.id}


def test_head_of_a_cannot_reach_an_event_of_b_by_filtering(world):
    head_b = world.user(Role.COMMUNITY_HEAD, community=world.b)
    event_b = audit_record(head_b, "update", world.b.estate)
    client = client_for(world.user(Role.COMMUNITY_HEAD))

    response = client.get(f"/api/v1/audit/events?target_type=places.estate&target_id={world.b.estate.id}")
    assert response.json()["items"] == []
    assert client.get(f"/api/v1/audit/events?before={event_b.id + 1}").json()["items"] == []


def test_street_admin_reads_every_community_of_his_street_and_street_events(world):
    admin = world.user(Role.STREET_ADMIN)
    a_event = record_events(admin, world.a, 1)[0]
    b_event = record_events(admin, world.b, 1)[0]
    street_event = audit_record(admin, "login", admin, street_id=world.street.id)
    nowhere = audit_record(None, "seed_demo")

    items = client_for(admin).get("/api/v1/audit/events").json()["items"]

    ids = [e["id"] for e in items]
    assert ids == [street_event.id, b_event.id, a_event.id]
    assert nowhere.id not in ids


def test_sensitive_events_are_listed_only_to_readers_granted_sensitive_access(world):
    head = world.user(Role.COMMUNITY_HEAD, username="granted_head")
    head.memberships.update(sensitive_access=True)
    plain = audit_record(head, "tag_add", world.a.estate, details={"kind": "disabled"})
    secret = audit_record(head, "tag_add", world.a.estate, details={"kind": "health"}, sensitive=True)
    granted_supervisor = world.user(Role.SUPERVISOR, username="granted_supervisor")
    granted_supervisor.memberships.update(sensitive_access=True)
    # Granted over community b only: it opens b's sensitive events, not a's.
    head_b = world.user(Role.COMMUNITY_HEAD, community=world.b, username="granted_b")
    head_b.memberships.update(sensitive_access=True)
    street_admin = world.user(Role.STREET_ADMIN)
    street_admin.memberships.update(sensitive_access=True)  # a street membership is never enough

    def listed(user):
        return [e["id"] for e in client_for(user).get("/api/v1/audit/events").json()["items"]]

    assert listed(head) == [secret.id, plain.id]
    assert listed(granted_supervisor) == [secret.id, plain.id]
    assert listed(world.user(Role.SUPERVISOR, username="plain_supervisor")) == [plain.id]
    assert listed(street_admin) == [plain.id]
    assert listed(head_b) == []
    page = client_for(world.user(Role.COMMUNITY_HEAD, username="plain_head")).get("/audit/?verb=tag_add")
    assert page_ids(page) == [world.a.estate.id]


@pytest.mark.parametrize("role", [Role.COMMUNITY_WORKER, Role.GRID_WORKER, Role.RESIDENT, Role.VOLUNTEER])
def test_other_roles_get_403(world, role):
    record_events(world.user(Role.COMMUNITY_HEAD), world.a, 1)
    client = client_for(world.user(role))

    assert client.get("/audit/").status_code == 403
    response = client.get("/api/v1/audit/events")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_anonymous_is_sent_to_login_or_401(db):
    assert Client().get("/audit/").status_code == 302
    assert Client().get("/api/v1/audit/events").status_code == 401


def test_writes_by_pages_and_api_show_up_for_the_supervisor(world):
    head = world.user(Role.COMMUNITY_HEAD)
    head_client = client_for(head)
    head_client.post(f"/places/grid/{world.a.grid.id}/edit/", {"code": "01", "name": "页面改名"})
    head_client.patch(f"/api/v1/places/grids/{world.a.grid.id}", {"name": "接口改名"},
                      content_type="application/json")
    head_client.post("/api/v1/accounts/tokens", {"name": "对接"}, content_type="application/json")

    items = client_for(world.user(Role.SUPERVISOR)).get("/api/v1/audit/events").json()["items"]

    assert [(e["verb"], e["source"], e["actor_id"]) for e in items] == [
        ("token_create", "api", head.id), ("update", "api", head.id), ("update", "web", head.id)]


# ---------------------------------------------------------------- filters and keyset pagination


def test_api_pages_with_next_before_until_the_end(world):
    head = world.user(Role.COMMUNITY_HEAD)
    events = record_events(head, world.a, 7)
    expected = [e.id for e in reversed(events)]
    client = client_for(head)

    seen, before, pages = [], None, 0
    while True:
        query = "limit=3" + (f"&before={before}" if before else "")
        body = client.get(f"/api/v1/audit/events?{query}").json()
        seen += [e["id"] for e in body["items"]]
        pages += 1
        before = body["next_before"]
        if before is None:
            break
        assert before == seen[-1]

    assert seen == expected
    assert pages == 3


def test_exact_page_size_has_no_next_page(world):
    head = world.user(Role.COMMUNITY_HEAD)
    record_events(head, world.a, 3)
    body = client_for(head).get("/api/v1/audit/events?limit=3").json()
    assert len(body["items"]) == 3
    assert body["next_before"] is None


def test_page_links_to_older_events(world):
    head = world.user(Role.COMMUNITY_HEAD)
    events = record_events(head, world.a, 55)
    client = client_for(head)

    first = client.get("/audit/")
    body = first.content.decode()
    link = re.search(r'href="\?([^"]*before=(\d+)[^"]*)"', body)
    assert link is not None
    assert int(link.group(2)) == events[5].id
    assert len(re.findall(r'<tr data-verb=', body)) == 50

    second = client.get(f"/audit/?{link.group(1).replace('&amp;', '&')}")
    assert len(re.findall(r'<tr data-verb=', second.content.decode())) == 5
    assert "更早的记录" not in second.content.decode()


def test_filters_by_verb_and_actor(world):
    head = world.user(Role.COMMUNITY_HEAD)
    other = world.user(Role.SUPERVISOR, username="zhao_min")
    record_events(head, world.a, 2, verb="update")
    created = audit_record(other, "create", world.a.grid)
    client = client_for(head)

    by_verb = client.get("/api/v1/audit/events?verb=create").json()["items"]
    assert [e["id"] for e in by_verb] == [created.id]
    by_actor = client.get("/api/v1/audit/events?actor=zhao").json()["items"]
    assert [e["id"] for e in by_actor] == [created.id]
    page = client.get("/audit/?verb=create").content.decode()
    assert page.count("<tr data-verb=") == 1


def test_htmx_request_gets_only_the_rows(world):
    head = world.user(Role.COMMUNITY_HEAD)
    record_events(head, world.a, 1)

    response = client_for(head).get("/audit/", headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="audit-rows"' in body
    assert "<html" not in body


# ---------------------------------------------------------------- query counts


# Session, user, memberships, the page of events (and on the page the header's scope and the kinds of object for
# the filter): none per row.
@pytest.mark.parametrize("url, bound", [("/audit/", 6), ("/api/v1/audit/events", 4)])
def test_audit_lists_do_not_grow_queries_with_rows(world, url, bound, django_assert_max_num_queries):
    head = world.user(Role.COMMUNITY_HEAD)
    client = client_for(head)
    counts = []
    for rows in (2, 20):
        record_events(head, world.a, rows - AuditEvent.objects.count())
        with django_assert_max_num_queries(bound), CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert len(page_ids(response) if url == "/audit/" else response.json()["items"]) == rows
        counts.append(len(queries))
    assert counts[0] == counts[1]
