"""Pick an inspector or an institution by typing part of a name or code (the 回避登记 form).

``search`` answers the search box's JSON endpoint (``directory:lookup``); ``resolve`` turns what the form
received — a code picked from the list, a code typed by hand (the no-JavaScript way) or a whole name — into
the row. Both read only ``Model.objects.restrict(user, action)``: a county user never finds another county's
people or institutions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

from spotcheck.core.masking import fold_fullwidth

from .models import Inspector, Institution

#: Most suggestions one answer carries (the list says when there are more: type more of the name).
LIMIT = 20
#: Longest search text taken (a name is at most 100 characters).
MAX_QUERY = 100


@dataclass(frozen=True)
class Lookup:
    model: type[Model]
    code_field: str
    label: str  # what the code is called: 人员编号 / 定点医药机构编码
    noun: str  # 人员 / 机构
    related: tuple[str, ...]

    def rows(self, user: Any, action: str) -> QuerySet:
        return self.model.objects.restrict(user, action).select_related(*self.related)

    def code_of(self, row: Any) -> str:
        return str(getattr(row, self.code_field))

    def detail(self, row: Any) -> str:
        if isinstance(row, Inspector):
            return f"{row.department.short_name or row.department.name} · {row.get_status_display()}"
        return f"{row.region.name} · {row.get_kind_display()}"


LOOKUPS: dict[str, Lookup] = {
    "inspectors": Lookup(Inspector, "number", "人员编号", "人员", ("department",)),
    "institutions": Lookup(Institution, "fixmedins_code", "定点医药机构编码", "机构", ("region",)),
}


def clean_query(text: str) -> str:
    """Full-width digits and letters folded (typed with a Chinese input method), spaces trimmed."""
    return fold_fullwidth(text or "").strip()[:MAX_QUERY]


def search(user: Any, kind: str, text: str, action: str = "change") -> dict[str, Any]:
    """Up to :data:`LIMIT` rows of ``kind`` in the user's scope whose name or code contains ``text``.

    Exact code matches first, then by name. An empty text finds nothing (the box asks for a few characters)."""
    lookup = LOOKUPS[kind]
    query = clean_query(text)
    if not query:
        return {"results": [], "more": False}
    code = query.upper() if lookup.model is Institution else query
    found = list(
        lookup.rows(user, action)
        .filter(Q(name__icontains=query) | Q(**{f"{lookup.code_field}__icontains": code}))
        .order_by("name", lookup.code_field)[: LIMIT + 1]
    )
    found.sort(key=lambda r: lookup.code_of(r) != code)  # stable: an exact code first, the rest by name
    return {
        "results": [
            {"code": lookup.code_of(r), "name": r.name, "detail": lookup.detail(r)} for r in found[:LIMIT]
        ],
        "more": len(found) > LIMIT,
    }


def resolve(user: Any, kind: str, text: str, action: str = "change") -> Model:
    """The row named by ``text``: its code, or its whole name when that is unique in the user's scope."""
    lookup = LOOKUPS[kind]
    query = clean_query(text)
    if not query:
        raise ValidationError(f"请填写{lookup.label}或名称")
    rows = lookup.rows(user, action)
    code = query.upper() if lookup.model is Institution else query
    row = rows.filter(**{lookup.code_field: code}).first()
    if row is not None:
        return row
    named = list(rows.filter(name=query)[:3])
    if len(named) == 1:
        return named[0]
    if named:
        raise ValidationError(f"名称为“{query}”的{lookup.noun}不止一个，请填写{lookup.label}")
    if any(ch.isdigit() for ch in query):
        raise ValidationError(f"{lookup.label} {query} 不存在或不在您的管辖范围内")
    raise ValidationError(f"名称为“{query}”的{lookup.noun}不存在或不在您的管辖范围内")
