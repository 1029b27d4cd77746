from shequ.core.context import current_ip, current_source

from .models import AuditEvent


def audit_record(actor, verb, target=None, *, source=None, details=None, community_id=None, street_id=None,
                 sensitive=False):
    """Record one event. Called by every service that writes, inside the same transaction, so an
    audited write and its record commit or roll back together. `sensitive`: the event tells sensitive
    personal information (that a resident has such a tag), shown only to readers granted it."""
    community_id = community_id if community_id is not None else getattr(target, "community_id", None)
    if street_id is None:
        street_id = getattr(target, "street_id", None)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=_actor_label(actor),
        verb=verb,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None and target.pk is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        community_id=community_id,
        street_id=street_id,
        source=source or current_source.get(),
        ip=current_ip.get(),
        details=details or {},
        sensitive=sensitive,
    )


def _actor_label(actor):
    if actor is None or not actor.is_authenticated:
        return "系统"
    return f"{actor} ({actor.username})" if getattr(actor, "full_name", "") else actor.username
