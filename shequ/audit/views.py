from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from shequ.core.views import forbidden_unless

from .display import event_rows
from .forms import AuditFilterForm
from .permissions import can_read_audit
from .selectors import audit_event_list, audit_target_links, audit_target_types


@login_required
def event_list(request):
    forbidden_unless(can_read_audit(request.user))
    form = AuditFilterForm(request.GET or None, kinds=audit_target_types())
    filters = form.cleaned_data if form.is_valid() else {}
    events, next_before = audit_event_list(
        request.user,
        verb=filters.get("verb"),
        target_type=filters.get("target_type"),
        actor_query=filters.get("actor"),
        since=filters.get("since"),
        until=filters.get("until"),
        before_id=filters.get("before"),
    )
    next_query = request.GET.copy()
    next_query["before"] = next_before
    context = {"form": form, "rows": event_rows(events, audit_target_links(request.user, events)),
               "next_url": f"?{next_query.urlencode()}" if next_before else None}
    template = "audit/event_list.html#rows" if request.htmx else "audit/event_list.html"
    return render(request, template, context)
