"""Pagination helpers shared by list pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


class IdFirstPaginator(Paginator):
    """A paginator for tables with wide rows: a page first selects only the primary keys of its rows (in the
    queryset's order, which a covering index can serve without reading the rows), then ``load(ids)`` fetches
    those rows. ``object_list`` must be an ordered queryset; ``count`` is ``count_rows()`` when given (a
    cheaper way to the same number), else the queryset's ``count()``."""

    def __init__(self, object_list: QuerySet[Any], per_page: int, load: Callable[[list[Any]], Iterable[Any]],
                 count_rows: Callable[[], int] | None = None, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.load = load
        self.count_rows = count_rows

    @cached_property
    def count(self) -> int:
        return self.count_rows() if self.count_rows is not None else int(self.object_list.count())

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.load(ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)
