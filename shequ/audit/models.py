from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Append-only: who did what to which record, from where. Written only by audit_record()."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name="操作人"
    )
    actor_label = models.CharField("操作人", max_length=150)
    verb = models.CharField("操作", max_length=64, db_index=True)
    target_type = models.CharField("对象类型", max_length=64)
    target_id = models.CharField("对象编号", max_length=64, blank=True)
    target_label = models.CharField("对象", max_length=200, blank=True)
    street_id = models.BigIntegerField("街道", null=True, blank=True)
    community_id = models.BigIntegerField("社区", null=True, blank=True)
    source = models.CharField("来源", max_length=16)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    details = models.JSONField("详情", default=dict, blank=True)
    # About sensitive personal information (health, resettlement, rehab): listed only to readers whose
    # membership over the event's community was granted sensitive access, like the information itself.
    sensitive = models.BooleanField("涉及敏感信息", default=False)

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["community_id", "-id"]),
            models.Index(fields=["street_id", "-id"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb} {self.target_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("审计记录不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("审计记录不可删除")
