from collections import defaultdict

from django.db import connections, router
from django.db.models import Q
from django.urls import reverse
from django.utils.module_loading import import_string
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
    "import_mapping": pgettext_lazy("audit verb", "设置导入列对应"),
    "import_queue": pgettext_lazy("audit verb", "开始导入"),
    "import_commit": pgettext_lazy("audit verb", "导入居民"),
    "import_cancel": pgettext_lazy("audit verb", "取消导入"),
    "import_cancelled": pgettext_lazy("audit verb", "导入已取消"),
    "import_failed": pgettext_lazy("audit verb", "导入失败"),
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


# Objects with a page of their own: its url name, and the queryset of the app that owns them of those an actor
# may open. Named, not imported: every app writes to the audit, which depends on none of them.
TARGET_PAGES = {
    "registry.household": ("registry:household", "shequ.registry.selectors.household_queryset"),
    "registry.resident": ("registry:resident", "shequ.registry.selectors.resident_queryset"),
}


def audit_target_links(actor, events):
    """{(target_type, target_id): url} of the events' objects whose page the actor may open (a supervisor, who
    does not read the registry, gets none). One query for each kind of such object on the page, however many
    rows; none for an actor with no scope over them."""
    wanted = defaultdict(set)
    for event in events:
        if event.target_type in TARGET_PAGES and event.target_id.isdigit():
            wanted[event.target_type].add(int(event.target_id))
    links = {}
    for target_type, ids in wanted.items():
        url_name, queryset = TARGET_PAGES[target_type]
        for pk in import_string(queryset)(actor).filter(id__in=ids).values_list("id", flat=True):
            links[(target_type, str(pk))] = reverse(url_name, args=[pk])
    return links


def audit_target_types():
    """The kinds of object the trail names ("registry.household", "accounts.user"…), for the filter. Read by
    skipping through the (target_type, target_id) index one kind at a time, so as quick with millions of events
    as with ten. Every kind in the trail, not only those of the reader's communities: a kind is no one's data."""
    connection = connections[router.db_for_read(AuditEvent)]
    column, table = connection.ops.quote_name("target_type"), connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = (f"WITH RECURSIVE kinds (kind) AS ("
           f"SELECT MIN({column}) FROM {table} WHERE {column} > '' "
           f"UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > kinds.kind) "
           f"FROM kinds WHERE kinds.kind IS NOT NULL) "
           f"SELECT kind FROM kinds WHERE kind IS NOT NULL")
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [kind for (kind,) in cursor.fetchall()]
