from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class CommunityOwned(TimeStampedModel):
    """Every community-owned row carries community_id: scoping filters on it and sharding would too."""

    community = models.ForeignKey("places.Community", on_delete=models.PROTECT, verbose_name="社区")

    class Meta:
        abstract = True
