"""Memberships: a role always matches its scope, and granting or revoking one is audited."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from shequ.accounts import services
from shequ.accounts.models import Membership, Role, User
from shequ.audit.models import AuditEvent
from shequ.core.context import source
from shequ.core.errors import ApplicationError
from shequ.core.scoping import actor_scope


def test_membership_grant_is_audited_with_its_community(world):
    head = world.user(Role.COMMUNITY_HEAD)
    newcomer = User.objects.create(username="newcomer", full_name="新社工")

    with source("web", ip="10.0.0.5"):
        membership = services.membership_grant(actor=head, user=newcomer, role=Role.COMMUNITY_WORKER,
                                               community=world.a)

    assert membership.is_active
    event = AuditEvent.objects.get(verb="membership_grant")
    assert event.actor_id == head.id
    assert (event.target_type, event.target_id) == ("accounts.user", str(newcomer.id))
    assert event.source == "web"
    assert event.ip == "10.0.0.5"
    assert event.community_id == world.a.id
    assert event.street_id is None
    assert event.details == {"role": Role.COMMUNITY_WORKER, "scope": world.a.name}


def test_grid_membership_takes_the_community_of_its_grid(world):
    admin = world.user(Role.STREET_ADMIN)
    user = User.objects.create(username="gridder")

    membership = services.membership_grant(actor=admin, user=user, role=Role.GRID_WORKER, grid=world.b.grid)

    assert membership.community_id == world.b.id
    event = AuditEvent.objects.get(verb="membership_grant")
    assert event.source == "cli"  # outside a request
    assert event.community_id == world.b.id
    assert event.details["scope"] == world.b.grid.name


def test_street_membership_is_audited_on_the_street(world):
    user = User.objects.create(username="streeter")

    services.membership_grant(actor=None, user=user, role=Role.STREET_ADMIN, street=world.street)

    event = AuditEvent.objects.get(verb="membership_grant")
    assert event.actor_id is None
    assert event.actor_label == "系统"
    assert (event.community_id, event.street_id) == (None, world.street.id)


@pytest.mark.parametrize(
    "role, scope",
    [
        (Role.STREET_ADMIN, "community"),
        (Role.COMMUNITY_HEAD, "street"),
        (Role.RESIDENT, None),
    ],
)
def test_grant_refuses_a_scope_that_does_not_match_the_role(world, role, scope):
    user = User.objects.create(username="mismatch")
    kwargs = {"street": {"street": world.street}, "community": {"community": world.a}, None: {}}[scope]

    with pytest.raises(ValidationError):
        services.membership_grant(actor=None, user=user, role=role, **kwargs)

    assert not Membership.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(verb="membership_grant").exists()


def test_database_refuses_a_membership_whose_scope_does_not_match_its_role(world):
    user = User.objects.create(username="raw")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role=Role.GRID_WORKER, community=world.a)  # no grid
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role=Role.STREET_ADMIN, street=world.street, community=world.a)


def test_membership_revoke_ends_the_scope_and_is_audited(world):
    admin = world.user(Role.STREET_ADMIN)
    worker = world.user(Role.COMMUNITY_WORKER, community=world.b)
    membership = worker.memberships.get()

    services.membership_revoke(actor=admin, membership=membership)

    membership.refresh_from_db()
    assert not membership.is_active and membership.ended_at is not None
    fresh = User.objects.get(id=worker.id)
    assert actor_scope(fresh).is_empty
    event = AuditEvent.objects.get(verb="membership_revoke")
    assert (event.actor_id, event.target_id, event.community_id) == (admin.id, str(worker.id), world.b.id)


def test_user_create_refuses_a_taken_username_whatever_its_case(world):
    admin = world.user(Role.STREET_ADMIN)
    services.user_create(actor=admin, username="zhangwei", password="Zhang-wei-2026", full_name="张伟")

    with pytest.raises(ApplicationError) as error:
        services.user_create(actor=admin, username="ZhangWei", password="Zhang-wei-2026")

    assert "已被使用" in error.value.message
    assert User.objects.filter(username__iexact="zhangwei").count() == 1
    assert AuditEvent.objects.filter(verb="create", target_type="accounts.user").count() == 1
    assert User.objects.get(username="zhangwei").password.startswith("argon2")
