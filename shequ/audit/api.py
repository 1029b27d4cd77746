from ninja import Query, Router

from shequ.core.errors import Forbidden

from .permissions import can_read_audit
from .schemas import AuditFilters, AuditPageOut
from .selectors import audit_event_list

router = Router(tags=["审计"])


@router.get("/events", response=AuditPageOut)
def event_list(request, filters: Query[AuditFilters]):
    """Newest first. Pass next_before back as before for the next page."""
    if not can_read_audit(request.user):
        raise Forbidden("只有社区书记/主任、居务监督委员会成员和街道管理员可以查看审计日志")
    items, next_before = audit_event_list(
        request.user, verb=filters.verb, target_type=filters.target_type, target_id=filters.target_id,
        actor_query=filters.actor, since=filters.since, until=filters.until, before_id=filters.before,
        limit=max(1, min(filters.limit, 200)),
    )
    return {"items": items, "next_before": next_before}
