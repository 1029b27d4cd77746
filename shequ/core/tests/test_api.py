"""The JSON API's contract: one error format {code, message, details}, session or bearer-token
authentication, and a served OpenAPI 3.1 document."""

import pytest
from django.test import Client

from shequ.accounts.models import ApiToken, Role
from shequ.audit.models import AuditEvent

ERROR_KEYS = {"code", "message", "details"}


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == code
    assert isinstance(body["details"], dict)
    assert body["message"]
    return body


def bearer(raw):
    return Client(headers={"Authorization": f"Bearer {raw}"})


def create_token(client, name="区平台对接", **extra):
    response = client.post("/api/v1/accounts/tokens", {"name": name, **extra}, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/v1/accounts/me"),
        ("get", "/api/v1/places/communities"),
        ("get", "/api/v1/places/estates/1"),
        ("post", "/api/v1/places/estates"),
        ("get", "/api/v1/audit/events"),
        ("get", "/api/v1/accounts/tokens"),
    ],
)
def test_unauthenticated_call_is_401_json(db, method, url):
    response = getattr(Client(), method)(url)
    body = assert_error(response, 401, "not_authenticated")
    assert "登录" in body["message"]


def test_bad_token_is_401(world):
    for header in ("Bearer sq_not-a-real-token", "Bearer nope", "Basic dXNlcjpwYXNz"):
        response = Client(headers={"Authorization": header}).get("/api/v1/accounts/me")
        assert_error(response, 401, "not_authenticated")


def test_missing_fields_are_422_naming_each_field_in_chinese(world, login):
    client = login(world.user(Role.COMMUNITY_HEAD))

    response = client.post("/api/v1/places/estates", {"address": "安和路1号"}, content_type="application/json")

    body = assert_error(response, 422, "validation_error")
    assert body["message"].startswith("提交的数据有误")
    assert "community_id" in body["message"]
    assert "name" in body["message"]
    assert set(body["details"]) == {"community_id", "name"}
    assert all(isinstance(problems, list) and problems for problems in body["details"].values())


def test_wrong_type_is_422_naming_the_field(world, login):
    client = login(world.user(Role.COMMUNITY_HEAD))

    response = client.post(
        "/api/v1/places/estates", {"community_id": "甲", "name": "新小区"}, content_type="application/json"
    )

    body = assert_error(response, 422, "validation_error")
    assert body["message"] == "提交的数据有误：community_id"
    assert list(body["details"]) == ["community_id"]


def test_bad_query_and_path_parameters_are_422(world, login):
    client = login(world.user(Role.COMMUNITY_HEAD))

    query = assert_error(client.get("/api/v1/places/estates?after_id=x"), 422, "validation_error")
    assert "after_id" in query["message"]
    path = assert_error(client.get("/api/v1/places/estates/x"), 422, "validation_error")
    assert "place_id" in path["message"]


def test_unparseable_body_is_400_json(world, login):
    client = login(world.user(Role.COMMUNITY_HEAD))
    response = client.post("/api/v1/places/estates", "{not json", content_type="application/json")
    assert_error(response, 400, "http_error")


@pytest.mark.parametrize("url", ["/api/v1/nope", "/api/v1/places/nope", "/api/v2/places/communities", "/api/"])
def test_unknown_endpoint_is_404_json(world, login, url):
    body = assert_error(Client().get(url), 404, "not_found")
    assert body["message"] == "接口不存在"
    assert_error(login(world.user(Role.COMMUNITY_HEAD)).get(url), 404, "not_found")


def test_missing_record_is_404_json(world, login):
    client = login(world.user(Role.COMMUNITY_HEAD))
    body = assert_error(client.get("/api/v1/places/estates/999999"), 404, "not_found")
    assert "未找到" in body["message"]


def test_session_user_sees_himself(world, login):
    head = world.user(Role.COMMUNITY_HEAD)

    body = login(head).get("/api/v1/accounts/me").json()

    assert body["id"] == head.id
    assert body["username"] == head.username
    assert [(m["role"], m["community_id"]) for m in body["memberships"]] == [(Role.COMMUNITY_HEAD, world.a.id)]
    assert body["memberships"][0]["role_label"] == "社区书记/主任"
    assert body["memberships"][0]["scope"] == world.a.name


def test_token_acts_as_its_user_within_his_scope(world, login):
    head = world.user(Role.COMMUNITY_HEAD)
    created = create_token(login(head))
    assert created["token"].startswith("sq_")
    assert created["user_id"] == head.id
    assert created["revoked_at"] is None
    stored = ApiToken.objects.get(id=created["id"])
    assert created["token"] not in (stored.key_hash, stored.prefix)  # only a hash is kept
    assert created["token"].startswith(stored.prefix)

    api = bearer(created["token"])
    me = api.get("/api/v1/accounts/me")
    assert me.status_code == 200
    assert me.json()["id"] == head.id

    communities = api.get("/api/v1/places/communities").json()
    assert [c["id"] for c in communities] == [world.a.id]
    assert api.get(f"/api/v1/places/communities/{world.b.id}").status_code == 404
    assert api.get(f"/api/v1/places/estates/{world.b.estate.id}").status_code == 404
    assert ApiToken.objects.get(id=created["id"]).last_used_at is not None


def test_token_can_write_and_the_write_is_audited_as_api(world, login):
    head = world.user(Role.COMMUNITY_HEAD)
    api = bearer(create_token(login(head))["token"])

    response = api.post(
        "/api/v1/places/estates", {"community_id": world.a.id, "name": "令牌小区"}, content_type="application/json"
    )

    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(verb="create", target_type="places.estate", target_id=str(response.json()["id"]))
    assert event.actor_id == head.id
    assert event.source == "api"
    assert event.community_id == world.a.id


def test_revoked_token_is_401(world, login):
    head = world.user(Role.COMMUNITY_HEAD)
    session = login(head)
    created = create_token(session)
    api = bearer(created["token"])
    assert api.get("/api/v1/accounts/me").status_code == 200

    revoked = session.post(f"/api/v1/accounts/tokens/{created['id']}/revoke")

    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert_error(api.get("/api/v1/accounts/me"), 401, "not_authenticated")


def test_token_of_a_deactivated_user_is_401(world, login):
    head = world.user(Role.COMMUNITY_HEAD)
    api = bearer(create_token(login(head))["token"])
    head.is_active = False
    head.save(update_fields=["is_active"])

    assert_error(api.get("/api/v1/accounts/me"), 401, "not_authenticated")


@pytest.mark.parametrize("role", [Role.COMMUNITY_WORKER, Role.GRID_WORKER, Role.SUPERVISOR, Role.RESIDENT])
def test_roles_without_token_rights_cannot_create_tokens(world, login, role):
    response = login(world.user(role)).post(
        "/api/v1/accounts/tokens", {"name": "试图对接"}, content_type="application/json"
    )

    assert_error(response, 403, "forbidden")
    assert not ApiToken.objects.exists()


def test_openapi_document_is_served(db):
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1.")
    paths = document["paths"]
    for path in ("/api/v1/accounts/me", "/api/v1/places/communities", "/api/v1/places/estates/{place_id}",
                 "/api/v1/audit/events", "/api/v1/accounts/tokens"):
        assert path in paths, path
    assert "bearer" in str(document["components"]["securitySchemes"]).lower()


def test_api_docs_page_is_served(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
