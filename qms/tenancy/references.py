"""Human references numbered per organisation and year: F-2026-0001, C-2026-0042."""

from datetime import datetime

from django.db import models, transaction
from django.utils import timezone

from .models import Organization, TenantOwned


class ReferenceCounter(TenantOwned):
    prefix = models.CharField(max_length=16)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "prefix", "year"], name="one_counter_per_prefix_year")
        ]


def next_reference(*, organization: Organization, prefix: str, when: datetime | None = None) -> str:
    """The next number in the organisation's series; the counter row is locked so two writers never share one."""
    year = (when or timezone.now()).year
    with transaction.atomic():
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
            organization=organization, prefix=prefix, year=year
        )
        counter.last += 1
        counter.save(update_fields=["last"])
    return f"{prefix}-{year}-{counter.last:04d}"
