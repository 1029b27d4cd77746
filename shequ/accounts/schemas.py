from datetime import datetime

from ninja import Schema


class MembershipOut(Schema):
    id: int
    role: str
    role_label: str
    scope: str
    street_id: int | None
    community_id: int | None
    grid_id: int | None


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    memberships: list[MembershipOut]


class TokenIn(Schema):
    name: str
    user_id: int | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    user_id: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str
