"""Logging in: the form, throttling after repeated failures, the password hasher, and the audit record."""

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.test import Client

from conftest import TEST_PASSWORD
from shequ.accounts.models import FailedLogin, Role, User
from shequ.audit.models import AuditEvent

THROTTLED = "登录失败次数过多"
INVALID = "用户名或密码不正确"


def attempt(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def is_logged_in(client):
    return "_auth_user_id" in client.session


def test_login_with_the_right_password_lands_home(world):
    user = world.user(Role.COMMUNITY_HEAD)
    client = Client()

    response = attempt(client, user.username, TEST_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_logged_in(client)
    assert 'data-home="community_head"' in client.get("/").content.decode()


def test_login_follows_next(world):
    user = world.user(Role.COMMUNITY_HEAD)
    client = Client()
    response = client.post("/accounts/login/?next=/places/", {"username": user.username, "password": TEST_PASSWORD})
    assert response["Location"] == "/places/"


def test_wrong_password_is_refused_in_chinese(world):
    user = world.user(Role.COMMUNITY_HEAD)
    client = Client()

    response = attempt(client, user.username, "wrong-password")

    assert response.status_code == 200
    assert INVALID in response.content.decode()
    assert not is_logged_in(client)
    assert FailedLogin.objects.filter(username=user.username.lower()).count() == 1


def test_inactive_user_cannot_log_in(world):
    user = world.user(Role.COMMUNITY_HEAD)
    User.objects.filter(id=user.id).update(is_active=False)
    client = Client()

    response = attempt(client, user.username, TEST_PASSWORD)

    assert response.status_code == 200
    assert not is_logged_in(client)


def test_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(world):
    user = world.user(Role.COMMUNITY_HEAD)
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = attempt(client, user.username, "wrong-password")
        assert INVALID in response.content.decode()

    response = attempt(client, user.username, TEST_PASSWORD)

    assert response.status_code == 200
    assert THROTTLED in response.content.decode()
    assert not is_logged_in(client)
    assert not AuditEvent.objects.filter(verb="login").exists()


def test_throttling_counts_the_username_whatever_its_case_and_from_any_client(world):
    user = world.user(Role.COMMUNITY_HEAD, username="Li_Head")
    for index in range(settings.LOGIN_FAILURE_LIMIT):
        client = Client(REMOTE_ADDR=f"10.0.0.{index + 1}")
        attempt(client, "li_head" if index % 2 else "LI_HEAD", "wrong-password")

    client = Client(REMOTE_ADDR="10.0.1.1")
    response = attempt(client, user.username, TEST_PASSWORD)

    assert THROTTLED in response.content.decode()
    assert not is_logged_in(client)


def test_throttling_one_user_leaves_others_alone(world):
    victim = world.user(Role.COMMUNITY_HEAD)
    other = world.user(Role.COMMUNITY_WORKER)
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(client, victim.username, "wrong-password")

    response = attempt(client, other.username, TEST_PASSWORD)

    assert response.status_code == 302


def test_old_failures_fall_out_of_the_window(world):
    from datetime import timedelta

    from django.utils import timezone

    user = world.user(Role.COMMUNITY_HEAD)
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        attempt(client, user.username, "wrong-password")
    long_ago = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS + 60)
    FailedLogin.objects.update(at=long_ago)

    assert attempt(client, user.username, TEST_PASSWORD).status_code == 302


def test_many_names_from_one_address_are_throttled_at_a_higher_bar(world):
    user = world.user(Role.COMMUNITY_HEAD)
    client = Client(REMOTE_ADDR="10.9.9.9")
    for index in range(settings.LOGIN_FAILURE_LIMIT * 4):
        attempt(client, f"guess{index}", "wrong-password")

    response = attempt(client, user.username, TEST_PASSWORD)
    assert THROTTLED in response.content.decode()

    elsewhere = Client(REMOTE_ADDR="10.9.9.10")
    assert attempt(elsewhere, user.username, TEST_PASSWORD).status_code == 302


def test_a_successful_login_clears_the_failures(world):
    user = world.user(Role.COMMUNITY_HEAD)
    client = Client()
    limit = settings.LOGIN_FAILURE_LIMIT
    for _ in range(limit - 1):
        attempt(client, user.username, "wrong-password")

    assert attempt(client, user.username, TEST_PASSWORD).status_code == 302
    assert not FailedLogin.objects.filter(username=user.username.lower()).exists()

    later = Client()
    for _ in range(limit - 1):
        attempt(later, user.username, "wrong-password")
    # limit-1 before and limit-1 after the success: 2*limit-2 failures in the window, yet no throttle.
    response = attempt(later, user.username, TEST_PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(later)


def test_login_is_audited_with_the_community_of_the_default_membership(world):
    user = world.user(Role.COMMUNITY_HEAD, community=world.b)
    attempt(Client(REMOTE_ADDR="10.1.2.3"), user.username, TEST_PASSWORD)

    event = AuditEvent.objects.get(verb="login")
    assert event.actor_id == user.id
    assert event.target_type == "accounts.user"
    assert event.target_id == str(user.id)
    assert event.source == "web"
    assert event.community_id == world.b.id
    assert event.street_id is None
    assert event.ip == "10.1.2.3"


def test_street_admin_login_is_audited_on_his_street(world):
    user = world.user(Role.STREET_ADMIN)
    attempt(Client(), user.username, TEST_PASSWORD)

    event = AuditEvent.objects.get(verb="login")
    assert event.community_id is None
    assert event.street_id == world.street.id


def test_logout_ends_the_session(world, login):
    client = login(world.user(Role.COMMUNITY_HEAD))
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not is_logged_in(client)
    assert client.get("/").status_code == 302


def test_authenticated_user_visiting_login_goes_home(world, login):
    response = login(world.user(Role.COMMUNITY_HEAD)).get("/accounts/login/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_passwords_are_hashed_with_argon2(world):
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    user = world.user(Role.RESIDENT)

    user.set_password("Another-pass-2026")
    user.save(update_fields=["password"])

    stored = User.objects.get(id=user.id).password
    assert stored.startswith("argon2$argon2id$")
    assert check_password("Another-pass-2026", stored)
    assert not check_password(TEST_PASSWORD, stored)


@pytest.mark.django_db
def test_an_old_pbkdf2_hash_still_logs_in_and_is_upgraded_to_argon2():
    from django.contrib.auth.hashers import make_password

    user = User.objects.create(username="legacy", password=make_password("Legacy-pass-2026", hasher="pbkdf2_sha256"))
    client = Client()

    assert attempt(client, "legacy", "Legacy-pass-2026").status_code == 302
    assert User.objects.get(id=user.id).password.startswith("argon2")
