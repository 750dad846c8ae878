"""Publications (一公开): immutable published versions of one inspection's result.

A :class:`Publication` is written once by ``portal.actions`` and never changed or deleted: ``save()``
on an existing row, ``delete()`` and the queryset's ``update``/``delete`` raise
:class:`ImmutableError`. ``snapshot`` holds exactly what the public sees (built by
``portal.snapshot``); the other columns are copies of it for filtering. A correction is a new
version whose ``supersedes`` points at the previous one; the old version is then 已更正 (derived from
the reverse relation, so the old row itself is never touched). Area scope follows the inspecting area
(谁检查、谁公示): ``region`` = ``Inspection.region``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery

from spotcheck.base.models import ScopedModel
from spotcheck.base.scope import ScopedQuerySet
from spotcheck.directory.models import Institution, Region
from spotcheck.inspections.models import Inspection, ResultType
from spotcheck.planning.models import Task


class ImmutableError(RuntimeError):
    """Raised when code tries to change or delete a publication."""


class PublicationQuerySet(ScopedQuerySet):
    def delete(self) -> Any:  # type: ignore[override]
        raise ImmutableError("公示记录不能删除")

    def update(self, **kwargs: Any) -> int:
        raise ImmutableError("公示记录不能修改，请发布更正")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise ImmutableError("公示记录不能修改，请发布更正")

    def current(self) -> PublicationQuerySet:
        """Versions not superseded by a correction."""
        return self.filter(correction__isnull=True)

    def with_correction_pk(self) -> PublicationQuerySet:
        """Annotate ``correction_pk`` (id of the version that corrects this one, or None), so lists can show
        已更正 without joining the correcting row (``is_corrected`` reads the annotation when present)."""
        correcting = Publication.objects.filter(supersedes=OuterRef("pk")).order_by().values("pk")[:1]
        return self.annotate(correction_pk=Subquery(correcting))


PublicationManager = models.Manager.from_queryset(PublicationQuerySet)


class Publication(ScopedModel):
    """One published version of an inspection's result."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, related_name="publications", verbose_name="现场检查"
    )
    version = models.PositiveSmallIntegerField("版本")
    snapshot = models.JSONField("公示内容")

    # Copies of snapshot fields for search and filters (never edited either).
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="publications", verbose_name="抽查任务")
    institution = models.ForeignKey(  # indexed by pub_search_institution
        Institution, on_delete=models.PROTECT, related_name="publications", verbose_name="检查对象", db_index=False,
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="公示区域", help_text="= 检查区域（谁检查、谁公示）"
    )
    institution_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="机构所在区域",
        help_text="检查对象公示时所在的县级区域（区域筛选用）", db_index=False,  # indexed by pub_search_area
    )
    year = models.PositiveSmallIntegerField("年度")  # indexed by pub_search_year
    result_type = models.CharField("检查结果", max_length=14, choices=ResultType.choices)

    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="发布人"
    )
    published_at = models.DateTimeField("公示时间")  # indexed by pub_search_recent
    deadline = models.DateField("公示截止日", null=True, blank=True)
    met_deadline = models.BooleanField("按期公示", default=True)

    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="correction", verbose_name="更正的版本"
    )
    correction_reason = models.TextField("更正原因", blank=True, default="")

    objects = PublicationManager()
    scope_field = "region__code"

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = "公示记录"
        verbose_name_plural = "公示记录"
        constraints = [
            models.UniqueConstraint(fields=["inspection", "version"], name="publication_unique_version"),
        ]
        indexes = [
            models.Index(fields=["region", "year", "result_type"], name="pub_region_year_result"),
            # Only corrections (about 1 %) are in it, so planners see it as selective: the "current version"
            # anti-join probes it instead of building a temporary index (SQLite's ANALYZE counts the NULLs of
            # the unique supersedes index as one value and then judges that index useless).
            models.Index(fields=["supersedes"], condition=Q(supersedes__isnull=False), name="pub_corrections"),
            # Covering indexes of the public search (portal.public.filter_publications): counting and picking a
            # page's ids never read the rows, whose 3 KB snapshot would otherwise be read past for every match.
            models.Index(fields=["institution", "institution_region", "year", "result_type", "published_at"],
                         name="pub_search_institution"),
            models.Index(fields=["institution_region", "year", "result_type", "published_at"], name="pub_search_area"),
            models.Index(fields=["year", "result_type", "published_at"], name="pub_search_year"),
            models.Index(fields=["published_at", "id", "year", "result_type", "institution_region", "institution"],
                         name="pub_search_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot.get('institution', {}).get('name', '')} 第{self.version}版"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError("公示记录不能修改，请发布更正")
        if self.institution_region_id is None:
            self.institution_region_id = Institution.objects.values_list("region_id", flat=True).get(pk=self.institution_id)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError("公示记录不能删除")

    @property
    def is_corrected(self) -> bool:
        """True when a later version corrects this one (已更正)."""
        if "correction_pk" in self.__dict__:
            return self.correction_pk is not None
        try:
            return self.correction is not None
        except Publication.DoesNotExist:
            return False

    @property
    def corrected_by_pk(self) -> int | None:
        """Id of the version that corrects this one (None while it is current)."""
        if "correction_pk" in self.__dict__:
            return self.correction_pk  # type: ignore[no-any-return]
        return self.correction.pk if self.is_corrected else None

    @property
    def result_label(self) -> str:
        return ResultType(self.result_type).label if self.result_type in ResultType.values else self.result_type
