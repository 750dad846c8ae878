"""Query lookups of the public portal."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Lookup


class InIdList(Lookup):
    """``InIdList(F("field"), ids)``: ``field`` is one of ``ids``, with the whole list passed as one query
    parameter (SQLite ``json_each``, PostgreSQL ``= ANY(array)``). Unlike ``__in``, a list of thousands of
    ids costs no per-element SQL compilation, and the statement stays the same whatever the list's length."""

    lookup_name = "in_id_list"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[int]:
        if not all(type(x) is int for x in self.rhs):  # noqa: E721 — bools and strings are not ids
            raise TypeError("InIdList needs a list of int ids")
        return list(self.rhs)

    #: SQLite only: keep the planner from driving the query through an index on ``field`` (unary ``+``), so an
    #: ordered query scans its ordering index and checks membership instead — for a list holding a large share
    #: of all values. SQLite cannot see the list's length; PostgreSQL can, and gets no hint.
    scan = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*params, self.rhs]
        return f"{'+' if self.scan else ''}{lhs} IN (SELECT value FROM json_each(%s))", [*params, json.dumps(self.rhs)]


class InLongIdList(InIdList):
    """:class:`InIdList` for a list that holds a large share of the values (see ``scan``)."""

    lookup_name = "in_long_id_list"
    scan = True
