"""Which tables the audit chain vouches for, and the recorded state of one row.

Every write to a *tracked* table records, in its audit event, the full state it leaves the row in
(``AuditEvent.state``) or that it deleted the row (``AuditEvent.row_deleted``). ``audit verify``
then holds the tables to the chain: each row must equal the state of its newest event.

This module is the one place that declares, per table:

- ``key``: the business key named in reports (定点医药机构编码, 人员编号, 账号 …);
- ``exclude``: fields that are derived or volatile and therefore not vouched for (``updated_at``,
  a phone draft that is autosaved without an event);
- ``m2m``: many-to-many relations recorded as the sorted list of related primary keys (a task's
  items, joint departments and directed list; the evidence of a rectification);
- ``digest``: fields recorded as a SHA-256 of their canonical JSON instead of their value (large
  JSON documents, secrets and password hashes): a change is still detected, the value is not
  copied into the log.

Encrypted fields (``base.fields.EncryptedCharField``: 身份证号, phone numbers) need no entry: every such
field is recorded as the SHA-256 *fingerprint of its stored token* (``sha256:…``), never the plaintext nor
a hash of it, and read from the database without decrypting (:func:`state_select`), so ``audit verify``
and the guard need no key. Their companion digest columns (keyed HMAC-SM3) are recorded as they are. A
re-encryption under a new key changes the token, so it is a recorded write: ``keys.reencrypt`` events.

Tables left out on purpose (see docs/architecture.md § Audit): sessions, login attempts, API tokens,
job progress rows, the document number counters and the claims rows and hits of a screening batch
(bulk source data, vouched for by their batch's counts and source digest).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models

from spotcheck.base.fields import EncryptedCharField, Sealed, raw_column

DIGEST_PREFIX = "sha256:"


@dataclass(frozen=True)
class Tracked:
    label: str
    key: str = "pk"
    exclude: frozenset[str] = field(default_factory=frozenset)
    digest: frozenset[str] = field(default_factory=frozenset)
    m2m: tuple[str, ...] = ()


def _t(label: str, key: str = "pk", exclude: tuple[str, ...] = (), digest: tuple[str, ...] = (),
       m2m: tuple[str, ...] = ()) -> Tracked:
    return Tracked(label, key, frozenset(exclude), frozenset(digest), m2m)


#: Every tracked table, lowest layer first. Add a new model here when it holds data of record.
TRACKED: dict[str, Tracked] = {t.label: t for t in [
    _t("accounts.user", key="username", exclude=("last_login",), digest=("password",)),
    _t("policy.policysetting"),
    _t("policy.holidayoverride", key="day"),
    _t("directory.region", key="code"),
    _t("directory.department", key="name"),
    _t("directory.institution", key="fixmedins_code", exclude=("updated_at",)),
    _t("directory.inspector", key="number", exclude=("updated_at",)),
    _t("directory.inspectorabsence"),
    _t("directory.conflict"),
    _t("planning.itemlist"),
    _t("planning.checkitem"),
    _t("planning.plan"),
    _t("planning.task", m2m=("items", "scope_list", "joint_departments")),
    _t("planning.teamslot"),
    _t("draws.draw", key="draw_id", digest=(
        "units", "strata", "teams", "pair_reasons", "inspector_exclusions", "staffing", "package")),
    _t("draws.drawsecret", digest=("secret",)),
    _t("draws.drawexclusion"),
    _t("draws.drawevent"),
    _t("draws.assignment"),
    _t("draws.assignmentmember"),
    _t("inspections.violationtype"),
    _t("inspections.lenienceentry", exclude=("updated_at",)),
    _t("inspections.leniencecircumstance", key="code"),
    _t("inspections.inspection", exclude=("updated_at", "draft", "draft_saved_at")),
    _t("inspections.checklistentry"),
    _t("inspections.finding"),
    _t("inspections.findingcorrection"),
    _t("inspections.evidence"),
    _t("inspections.referral"),
    _t("inspections.rectification", m2m=("evidence",)),
    _t("credit.creditsubject"),
    _t("credit.creditrecord"),
    _t("credit.evaluation", digest=("explanation",)),
    _t("credit.scoringmodelversion", key="version", digest=("definition",)),
    _t("credit.objection"),
    _t("credit.repairapplication"),
    _t("credit.measure"),
    _t("credit.appliedmeasure"),
    _t("portal.publication", digest=("snapshot",)),
    _t("screening.claimbatch"),
    _t("screening.screeningrun"),
]}


def spec_for(obj_or_model: Any) -> Tracked | None:
    return TRACKED.get(obj_or_model._meta.label_lower)


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def digest_of(value: Any) -> str:
    # round-trip first so a tuple and the list it is stored as digest alike
    plain = json.loads(canonical_json(value))
    return DIGEST_PREFIX + hashlib.sha256(canonical_json(plain).encode("utf-8")).hexdigest()


def field_value(f: models.Field, value: Any, *, digest: bool = False) -> Any:
    """``value`` of field ``f`` as the chain records it (JSON types, UTC times, exact decimals).

    For an encrypted field ``value`` is the stored token (or a :class:`Sealed` value that carries it)."""
    if isinstance(f, EncryptedCharField):
        return token_fingerprint(value)
    if digest:
        return None if value is None else digest_of(value)
    if value is None:
        return None
    if isinstance(f, models.DateTimeField) and isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat(timespec="microseconds")
    if isinstance(f, models.DecimalField):
        quantum = Decimal(1).scaleb(-(f.decimal_places or 0))
        return str(Decimal(str(value)).quantize(quantum))
    if isinstance(f, models.FileField):
        return str(getattr(value, "name", value) or "")
    if isinstance(f, models.JSONField):
        return json.loads(canonical_json(value))
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def token_fingerprint(value: Any) -> str:
    """What the chain records of an encrypted field: "" when empty, else the SHA-256 of the stored token."""
    token = value.token if isinstance(value, Sealed) else value
    if not token:
        return ""
    return DIGEST_PREFIX + hashlib.sha256(str(token).encode("utf-8")).hexdigest()


def _stored_tokens(obj: models.Model, names: list[str]) -> dict[str, Any]:
    row = type(obj)._base_manager.filter(pk=obj.pk).values_list(*[raw_column(n) for n in names]).first()
    return dict(zip(names, row or [""] * len(names), strict=True))


def capture(obj: models.Model, spec: Tracked | None = None) -> dict[str, Any]:
    """The full state of a saved row of a tracked table, as recorded in ``AuditEvent.state``."""
    spec = spec or spec_for(obj)
    if spec is None:
        raise ValueError(f"{obj._meta.label_lower} is not a tracked table")
    if obj.pk is None:
        raise ValueError(f"cannot record the state of an unsaved {obj._meta.label_lower}")
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in spec.exclude}
    # an encrypted value that is not known as its token (set, then written by bulk_update/update): the
    # token is read back from the row, never fingerprinted from the plaintext
    unsealed = [f.attname for f in obj._meta.concrete_fields if isinstance(f, EncryptedCharField)
                and f.attname in values and values[f.attname] and not isinstance(values[f.attname], Sealed)]
    if unsealed:
        values.update(_stored_tokens(obj, unsealed))
    state = {
        f.attname: field_value(f, values[f.attname], digest=f.attname in spec.digest)
        for f in obj._meta.concrete_fields
        if f.attname not in spec.exclude
    }
    for name in spec.m2m:
        state[name] = sorted(getattr(obj, name).values_list("pk", flat=True))
    return state


def m2m_lists(model: type[models.Model], spec: Tracked, pks: list[Any]) -> dict[str, dict[Any, list[Any]]]:
    """For :func:`capture_values`: per relation of ``spec.m2m``, pk → sorted related pks (one query each)."""
    out: dict[str, dict[Any, list[Any]]] = {}
    for name in spec.m2m:
        f = model._meta.get_field(name)
        through = f.remote_field.through  # type: ignore[union-attr]
        src, dst = f.m2m_field_name() + "_id", f.m2m_reverse_field_name() + "_id"  # type: ignore[union-attr]
        lists: dict[Any, list[Any]] = {}
        for a, b in through._default_manager.filter(**{f"{src}__in": pks}).values_list(src, dst):
            lists.setdefault(a, []).append(b)
        out[name] = {k: sorted(v) for k, v in lists.items()}
    return out


def state_fields(model: type[models.Model], spec: Tracked) -> list[models.Field]:
    """The concrete fields of ``model`` that its recorded state holds, in a fixed order."""
    return [f for f in model._meta.concrete_fields if f.attname not in spec.exclude]


def state_select(fields: list[models.Field]) -> list[Any]:
    """What to pass to ``values_list`` to read ``fields`` for :func:`capture_values`: the attribute names,
    encrypted fields as their stored tokens (not decrypted)."""
    return [raw_column(f.attname) if isinstance(f, EncryptedCharField) else f.attname for f in fields]


def capture_values(fields: list[models.Field], values: tuple[Any, ...], spec: Tracked) -> dict[str, Any]:
    """Like :func:`capture`, from a ``values_list(*state_select(fields))`` row."""
    return {f.attname: field_value(f, v, digest=f.attname in spec.digest) for f, v in zip(fields, values, strict=True)}


def business_key(obj: models.Model, spec: Tracked | None = None) -> str:
    spec = spec or spec_for(obj)
    name = "pk" if spec is None else spec.key
    value = obj.pk if name == "pk" else getattr(obj, name if name != "user" else "user_id", "")
    return str(value)
