"""Abstract model bases every app uses: area-scoped rows, and rows that may only be appended.

``ScopedModel`` — a row whose area is found by following ``scope_field`` (a lookup path ending in a
6-digit region code, e.g. ``"region__code"`` or ``"inspection__region__code"``). It gives the
``restrict()`` manager and ``audit_region_code`` (the area its audit events are filed under).

``AppendOnlyModel`` — a scoped row that is never deleted (neither one by one nor by queryset); with
``immutable = True`` it is not changed after insert either. ``append_only_noun`` names the rows in
the refusal ("抽取记录只能追加，不能删除").
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from .scope import ScopedManager, ScopedQuerySet


class AppendOnlyError(RuntimeError):
    """Code tried to delete (or, for an immutable table, change) a row that must be kept."""


def _region_path(scope_field: str) -> list[str]:
    """Attribute path to the region code: ``x__region__code`` reads ``x.region_id`` (no query for it)."""
    parts = scope_field.split("__")
    if parts[-2:] == ["region", "code"]:
        parts = [*parts[:-2], "region_id"]
    return parts


class ScopedModel(models.Model):
    """An area-scoped row: ``Model.objects.restrict(user, action)`` and ``audit_region_code``."""

    scope_field: ClassVar[str]

    objects: Any = ScopedManager()

    class Meta:
        abstract = True

    @property
    def audit_region_code(self) -> str:
        value: Any = self
        for name in _region_path(self.scope_field):
            value = getattr(value, name, None)
            if value is None:
                return ""
        return str(value)


class AppendOnlyQuerySet(ScopedQuerySet):
    def delete(self) -> Any:  # type: ignore[override]
        raise AppendOnlyError(self.model.refusal("删除"))  # type: ignore[attr-defined]

    def update(self, **kwargs: Any) -> int:
        if self.model.immutable:  # type: ignore[attr-defined]
            raise AppendOnlyError(self.model.refusal("修改"))  # type: ignore[attr-defined]
        return super().update(**kwargs)


AppendOnlyManager = models.Manager.from_queryset(AppendOnlyQuerySet)


class AppendOnlyModel(ScopedModel):
    """A scoped row that is kept for good: never deleted; never changed when ``immutable``."""

    append_only_noun: ClassVar[str] = "该记录"
    #: How the rows may change, in the refusal of a delete (e.g. "只能追加和更正").
    append_only_rule: ClassVar[str] = "只能追加"
    immutable: ClassVar[bool] = False

    objects: Any = AppendOnlyManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.immutable and not self._state.adding:
            raise AppendOnlyError(self.refusal("修改"))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(self.refusal("删除"))

    @classmethod
    def refusal(cls, verb: str) -> str:
        rule = cls.append_only_rule if verb == "删除" else "只能追加"
        return f"{cls.append_only_noun}{rule}，不能{verb}"
