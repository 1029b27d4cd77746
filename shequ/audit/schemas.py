from datetime import date, datetime

from ninja import Schema


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    verb: str
    target_type: str
    target_id: str
    target_label: str
    community_id: int | None
    street_id: int | None
    source: str
    details: dict


class AuditPageOut(Schema):
    items: list[AuditEventOut]
    next_before: int | None


class AuditFilters(Schema):
    verb: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    actor: str | None = None
    since: date | None = None
    until: date | None = None
    before: int | None = None
    limit: int = 50
