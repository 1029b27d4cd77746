from django.db.models import Q
from django.utils.translation import pgettext_lazy

from shequ.core.pagination import keyset_page

from .models import AuditEvent
from .permissions import audit_scope, can_read_audit, sensitive_community_ids

# How each verb reads on pages, in the request's language (a past event, not the button that did it).
VERB_LABELS = {
    "create": pgettext_lazy("audit verb", "新建"),
    "update": pgettext_lazy("audit verb", "修改"),
    "reveal": pgettext_lazy("audit verb", "查看敏感信息"),
    "login": pgettext_lazy("audit verb", "登录"),
    "token_create": pgettext_lazy("audit verb", "创建令牌"),
    "token_revoke": pgettext_lazy("audit verb", "撤销令牌"),
    "membership_grant": pgettext_lazy("audit verb", "授予角色"),
    "membership_revoke": pgettext_lazy("audit verb", "撤销角色"),
    "seed_demo": pgettext_lazy("audit verb", "生成演示数据"),
    "rotate_keys": pgettext_lazy("audit verb", "轮换加密密钥"),
    "household_register": pgettext_lazy("audit verb", "登记新户"),
    "household_bulk_register": pgettext_lazy("audit verb", "批量登记住户"),
    "resident_add": pgettext_lazy("audit verb", "添加成员"),
    "resident_correct": pgettext_lazy("audit verb", "更正信息"),
    "resident_move_out": pgettext_lazy("audit verb", "迁出"),
    "resident_death": pgettext_lazy("audit verb", "登记死亡"),
    "resident_transfer": pgettext_lazy("audit verb", "转户"),
    "resident_move_back": pgettext_lazy("audit verb", "迁回"),
    "resident_death_revoke": pgettext_lazy("audit verb", "撤销死亡登记"),
    "household_split": pgettext_lazy("audit verb", "分户"),
    "household_merge": pgettext_lazy("audit verb", "合户"),
    "household_move_out": pgettext_lazy("audit verb", "整户迁出"),
    "household_correct": pgettext_lazy("audit verb", "更正户信息"),
    "household_head_change": pgettext_lazy("audit verb", "变更户主"),
    "tag_add": pgettext_lazy("audit verb", "添加标签"),
    "tag_end": pgettext_lazy("audit verb", "结束标签"),
    "tag_reveal": pgettext_lazy("audit verb", "查看标签详情"),
    "import_upload": pgettext_lazy("audit verb", "上传导入文件"),
    "import_commit": pgettext_lazy("audit verb", "导入居民"),
    "import_cancel": pgettext_lazy("audit verb", "取消导入"),
    "export": pgettext_lazy("audit verb", "导出"),
    "export_cancel": pgettext_lazy("audit verb", "取消导出"),
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
        events = events.filter(Q(sensitive=False) | Q(community_id__in=sensitive_community_ids(actor)))
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
    return keyset_page(events.order_by("-id"), limit)

