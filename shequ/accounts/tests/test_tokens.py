"""API tokens: who may create them, for whom, and what every create and revoke leaves in the audit trail."""

import re

import pytest
from django.conf import settings
from django.test import Client

from shequ.accounts.models import ApiToken, Membership, Role
from shequ.audit.models import AuditEvent


def api_create(client, name="区平台对接", **extra):
    return client.post("/api/v1/accounts/tokens", {"name": name, **extra}, content_type="application/json")


def bearer(raw):
    return Client(headers={"Authorization": f"Bearer {raw}"})


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_head_creates_a_token_through_the_api_and_it_is_audited(world):
    head = world.user(Role.COMMUNITY_HEAD)

    response = api_create(client_for(head), name="区平台")

    assert response.status_code == 201
    token = ApiToken.objects.get()
    assert (token.user_id, token.created_by_id, token.name) == (head.id, head.id, "区平台")
    event = AuditEvent.objects.get(verb="token_create")
    assert event.actor_id == head.id
    assert (event.target_type, event.target_id) == ("accounts.user", str(head.id))
    assert event.source == "api"
    assert event.community_id == world.a.id
    assert event.details == {"token": token.prefix, "name": "区平台"}
    assert response.json()["token"] not in str(event.details)


def test_revoking_through_the_api_is_audited(world):
    head = world.user(Role.COMMUNITY_HEAD, community=world.b)
    client = client_for(head)
    token_id = api_create(client).json()["id"]

    response = client.post(f"/api/v1/accounts/tokens/{token_id}/revoke")

    assert response.status_code == 200
    token = ApiToken.objects.get(id=token_id)
    assert token.revoked_at is not None and token.revoked_by_id == head.id
    event = AuditEvent.objects.get(verb="token_revoke")
    assert (event.actor_id, event.target_id, event.source) == (head.id, str(head.id), "api")
    assert event.community_id == world.b.id

    # Revoking again changes nothing and records nothing.
    assert client.post(f"/api/v1/accounts/tokens/{token_id}/revoke").status_code == 200
    assert AuditEvent.objects.filter(verb="token_revoke").count() == 1


def test_token_page_creates_shows_once_and_revokes(world):
    head = world.user(Role.COMMUNITY_HEAD)
    client = client_for(head)
    assert client.get("/accounts/tokens/").status_code == 200

    response = client.post("/accounts/tokens/", {"name": "网页令牌", "user": head.id})

    assert response.status_code == 200
    raw = re.search(r"data-new-token>(sq_[^<]+)<", response.content.decode()).group(1)
    token = ApiToken.objects.get()
    assert bearer(raw).get("/api/v1/accounts/me").json()["id"] == head.id
    assert raw not in client.get("/accounts/tokens/").content.decode()  # shown once only
    created = AuditEvent.objects.get(verb="token_create")
    assert (created.source, created.community_id, created.actor_id) == ("web", world.a.id, head.id)

    revoked = client.post(f"/accounts/tokens/{token.id}/revoke/")

    assert revoked.status_code == 302
    assert bearer(raw).get("/api/v1/accounts/me").status_code == 401
    event = AuditEvent.objects.get(verb="token_revoke")
    assert (event.source, event.community_id, event.actor_id) == ("web", world.a.id, head.id)


def test_token_name_is_required(world):
    client = client_for(world.user(Role.COMMUNITY_HEAD))

    response = api_create(client, name="   ")

    assert response.status_code == 400
    assert response.json()["details"] == {"name": ["必填"]}
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(verb="token_create").exists()


@pytest.mark.parametrize("role", [Role.COMMUNITY_WORKER, Role.GRID_WORKER, Role.SUPERVISOR, Role.RESIDENT,
                                  Role.VOLUNTEER])
def test_only_heads_and_street_admins_open_the_token_page(world, role):
    user = world.user(role)
    client = client_for(user)

    assert client.get("/accounts/tokens/").status_code == 403
    assert client.post("/accounts/tokens/", {"name": "x"}).status_code == 403
    assert api_create(client).status_code == 403
    assert api_create(client, user_id=user.id).status_code in (403, 404)
    assert client.get("/api/v1/accounts/tokens").json() == []
    assert not ApiToken.objects.exists()


def test_a_worker_holding_a_token_cannot_create_more(world):
    head = world.user(Role.COMMUNITY_HEAD)
    worker = world.user(Role.COMMUNITY_WORKER)
    raw = api_create(client_for(head), user_id=worker.id).json()["token"]

    response = api_create(bearer(raw))

    assert response.status_code == 403
    assert ApiToken.objects.count() == 1


def test_head_creates_a_token_for_a_worker_of_his_community(world):
    head = world.user(Role.COMMUNITY_HEAD)
    worker = world.user(Role.COMMUNITY_WORKER)

    response = api_create(client_for(head), user_id=worker.id)

    assert response.status_code == 201
    assert response.json()["user_id"] == worker.id
    me = bearer(response.json()["token"]).get("/api/v1/accounts/me").json()
    assert me["id"] == worker.id
    event = AuditEvent.objects.get(verb="token_create")
    assert (event.actor_id, event.target_id, event.community_id) == (head.id, str(worker.id), world.a.id)


def test_head_cannot_create_a_token_for_another_community_or_the_street(world):
    head = world.user(Role.COMMUNITY_HEAD)
    worker_b = world.user(Role.COMMUNITY_WORKER, community=world.b)
    admin = world.user(Role.STREET_ADMIN)
    client = client_for(head)

    for user in (worker_b, admin):
        assert api_create(client, user_id=user.id).status_code == 404
    assert client.post("/accounts/tokens/", {"name": "x", "user": worker_b.id}).status_code == 200
    assert not ApiToken.objects.exists()


def test_head_cannot_mint_a_token_for_someone_who_also_holds_a_role_elsewhere(world):
    """A token acts with all of its user's memberships, so issuing one for a user who is also head of B
    would hand B to the head of A."""
    head_a = world.user(Role.COMMUNITY_HEAD)
    worker_a = world.user(Role.COMMUNITY_WORKER)
    Membership.objects.create(user=worker_a, role=Role.COMMUNITY_HEAD, community=world.b)
    client = client_for(head_a)

    assert api_create(client, user_id=worker_a.id).status_code == 404
    page = client.post("/accounts/tokens/", {"name": "x", "user": worker_a.id})
    assert page.status_code == 200 and "data-new-token" not in page.content.decode()
    assert not ApiToken.objects.exists()

    # The street administrator covers both communities and may.
    admin = world.user(Role.STREET_ADMIN)
    assert api_create(client_for(admin), user_id=worker_a.id).status_code == 201


def test_head_cannot_mint_a_token_for_a_superuser(world):
    head = world.user(Role.COMMUNITY_HEAD)
    root = world.user(Role.COMMUNITY_WORKER, username="root")
    root.is_superuser = True
    root.save(update_fields=["is_superuser"])

    assert api_create(client_for(head), user_id=root.id).status_code == 404
    assert not ApiToken.objects.exists()


def test_street_admin_creates_tokens_for_any_community_of_his_street(world):
    admin = world.user(Role.STREET_ADMIN)
    worker_b = world.user(Role.COMMUNITY_WORKER, community=world.b)

    response = api_create(client_for(admin), user_id=worker_b.id)

    assert response.status_code == 201
    event = AuditEvent.objects.get(verb="token_create")
    assert event.community_id == world.b.id


def test_heads_see_and_revoke_only_tokens_in_their_scope(world):
    head_a = world.user(Role.COMMUNITY_HEAD)
    head_b = world.user(Role.COMMUNITY_HEAD, community=world.b)
    token_a = api_create(client_for(head_a)).json()
    client_b = client_for(head_b)

    assert client_b.get("/api/v1/accounts/tokens").json() == []
    assert client_b.post(f"/api/v1/accounts/tokens/{token_a['id']}/revoke").status_code == 404
    assert client_b.post(f"/accounts/tokens/{token_a['id']}/revoke/").status_code == 404
    assert ApiToken.objects.get(id=token_a["id"]).revoked_at is None
    assert bearer(token_a["token"]).get("/api/v1/accounts/me").status_code == 200
    assert [t["id"] for t in client_for(head_a).get("/api/v1/accounts/tokens").json()] == [token_a["id"]]

    admin = world.user(Role.STREET_ADMIN)
    assert [t["id"] for t in client_for(admin).get("/api/v1/accounts/tokens").json()] == [token_a["id"]]


def test_token_list_page_does_not_grow_queries_with_tokens(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    head = world.user(Role.COMMUNITY_HEAD)
    client = client_for(head)

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/accounts/tokens/").status_code == 200
        return len(queries)

    for index in range(2):
        api_create(client, name=f"令牌{index}")
    few = measure()
    for index in range(2, 20):
        api_create(client, name=f"令牌{index}")
    with django_assert_max_num_queries(few):
        assert client.get("/accounts/tokens/").status_code == 200
    assert measure() == few


# ---------------------------------------------------------------- the owner select of the token page


def owner_options(response):
    """{user id: label} of the token form's owner select."""
    select = re.search(r'<select name="user".*?</select>', response.content.decode(), re.S).group(0)
    return {int(value): label.strip() for value, label in re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>',
                                                                     select)}


@pytest.fixture
def english_catalogue():
    """The .mo files are built by `./dev` setup; build them here when a run skipped that (as core's test_i18n does)."""
    from django.core.management import call_command
    from django.utils import translation

    call_command("compiletranslations")
    translation.trans_real._translations.clear()
    translation.trans_real._active = translation.trans_real.Local()


def test_owner_select_names_each_account_with_its_username_and_roles(world):
    head = world.user(Role.COMMUNITY_HEAD)
    worker = world.user(Role.COMMUNITY_WORKER)
    resident = world.user(Role.RESIDENT)
    both = world.user(Role.VOLUNTEER, username="vol_and_grid")
    Membership.objects.create(user=both, role=Role.GRID_WORKER, community=world.a, grid=world.a.grid)
    Membership.objects.create(user=both, role=Role.SUPERVISOR, community=world.a, is_active=False)
    nameless = world.user(Role.SUPERVISOR, username="no_name")
    nameless.full_name = ""
    nameless.save(update_fields=["full_name"])
    world.user(Role.COMMUNITY_WORKER, community=world.b)  # another community: not offered

    options = owner_options(client_for(head).get("/accounts/tokens/"))

    assert options == {
        head.id: f"{head.full_name}（{head.username}）· 社区书记/主任",
        worker.id: f"{worker.full_name}（{worker.username}）· 社区工作者",
        # Residents may hold a token under the rules (it acts with their role, which reaches nothing); named so.
        resident.id: f"{resident.full_name}（{resident.username}）· 居民",
        both.id: f"{both.full_name}（vol_and_grid）· 网格员、志愿者",  # roles by rank; the ended one left out
        nameless.id: "no_name · 居务监督委员会成员",
    }


def test_owner_select_in_english(world, english_catalogue):
    """Needs the catalogue's entry for "%(name)s（%(username)s）"."""
    head = world.user(Role.COMMUNITY_HEAD)
    resident = world.user(Role.RESIDENT)
    client = client_for(head)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    options = owner_options(client.get("/accounts/tokens/"))

    assert options[resident.id] == f"{resident.full_name} ({resident.username}) · Resident"


def test_owner_select_costs_one_query_however_many_accounts(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = world.user(Role.STREET_ADMIN)
    client = client_for(admin)

    def measure():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/accounts/tokens/")
        return len(queries), len(owner_options(response))

    for index in range(2):
        world.user(Role.COMMUNITY_WORKER, username=f"worker{index}")
    few, listed = measure()
    for index in range(2, 20):
        world.user(Role.GRID_WORKER, username=f"grid{index}")
    many, listed_many = measure()
    assert (few, listed_many - listed) == (many, 18)
