from django.db.models import Q

from shequ.core.errors import NotFound

from .models import AuditEvent
from .permissions import audit_scope, can_read_audit

VERB_LABELS = {
    "create": "新建",
    "update": "修改",
    "reveal": "查看敏感信息",
    "login": "登录",
    "token_create": "创建令牌",
    "token_revoke": "撤销令牌",
    "membership_grant": "授予角色",
    "membership_revoke": "撤销角色",
}


def audit_event_list(actor, *, verb=None, target_type=None, actor_query=None, since=None, until=None,
                     target_id=None, before_id=None, limit=50):
    """Newest first, keyset-paginated on id: no COUNT, no OFFSET, however long the trail grows."""
    if not can_read_audit(actor):
        return [], None
    events = AuditEvent.objects.all()
    if not actor.is_superuser:
        scope = audit_scope(actor)
        events = events.filter(Q(community_id__in=scope.community_ids) | Q(street_id__in=scope.street_ids))
    if verb:
        events = events.filter(verb=verb)
    if target_type:
        events = events.filter(target_type=target_type)
    if target_id:
        events = events.filter(target_id=str(target_id))
    if actor_query:
        events = events.filter(actor_label__icontains=actor_query)
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    if before_id:
        events = events.filter(id__lt=before_id)
    page = list(events.order_by("-id")[: limit + 1])
    next_before = page[limit - 1].id if len(page) > limit else None
    return page[:limit], next_before


def audit_event_get(actor, event_id):
    events, _ = audit_event_list(actor, before_id=int(event_id) + 1, limit=1)
    if not events or events[0].id != int(event_id):
        raise NotFound()
    return events[0]
