"""Encrypted model fields for personal data (身份证号, phone numbers), on top of :mod:`spotcheck.base.crypto`.

``EncryptedCharField`` stores a token (``sm4gcm:v1:<key id>:…``) and gives the plaintext back on load, as a
:class:`Sealed` string that remembers its token (saving an unchanged value writes the same token, so the row and
its audit fingerprint do not change). ``max_length`` is the plaintext's (forms, API, ``full_clean``); the column is
``varchar(255)``. An empty value stays empty. Its companion ``DigestField`` holds the HMAC-SM3 digest of the
normalised value under the same key, computed on save::

    id_number = EncryptedCharField("身份证号", max_length=18, blank=True, default="", kind="id_number",
                                   digest_field="id_number_digest")
    id_number_digest = DigestField(source="id_number")

Lookups: ``Inspector.objects.filter(id_number__matches="14052219800101001X")`` (the digests under every key in
the key file); ``filter(id_number="")`` finds the empty ones. Any other lookup on an encrypted field is refused:
it would compare ciphertexts and silently find nothing. Bulk writes that skip ``save`` (``bulk_update``) call
:func:`prepare_bulk` first. Reading the stored tokens without decrypting them: :func:`raw_column`.

The audit chain records a *fingerprint* of the token (its SHA-256, ``audit/state.py``), never the plaintext; audit
snapshots (before/after) get :func:`for_snapshot`'s masked values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldError
from django.db import models
from django.db.models import Lookup
from django.db.models.lookups import Exact, IsNull

from spotcheck.core.masking import mask_id_number, mask_phone

from . import crypto

#: Column length of an encrypted field: the token of 30 characters of plaintext is about 100.
TOKEN_MAX_LENGTH = 255
#: kind → mask used for display and audit snapshots
MASKS: dict[str, Callable[[str], str]] = {"id_number": mask_id_number, "phone": mask_phone}


class Sealed(str):
    """A decrypted value that remembers the token it was read from (and its column)."""

    token: str
    context: str

    def __new__(cls, plaintext: str, token: str, context: str) -> Sealed:
        obj = super().__new__(cls, plaintext)
        obj.token = token
        obj.context = context
        return obj

    def __reduce__(self) -> Any:
        return (Sealed, (str(self), self.token, self.context))

    @property
    def key_id(self) -> str:
        return crypto.token_key_id(self.token)


class Masked:
    """A value of an audit snapshot: compares like the plaintext, serialises (``str``) as its mask."""

    __slots__ = ("value", "masked")

    def __init__(self, value: str, masked: str) -> None:
        self.value, self.masked = value, masked

    def __eq__(self, other: object) -> bool:
        return str(self.value) == str(other.value if isinstance(other, Masked) else other)

    def __hash__(self) -> int:
        return hash(str(self.value))

    def __str__(self) -> str:
        return self.masked

    __repr__ = __str__


class EncryptedCharField(models.CharField):
    description = "加密存储的文本（SM4-GCM）"

    def __init__(self, *args: Any, kind: str = "", digest_field: str = "", **kwargs: Any) -> None:
        self.kind = kind
        self.digest_field = digest_field
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.kind:
            kwargs["kind"] = self.kind
        if self.digest_field:
            kwargs["digest_field"] = self.digest_field
        return name, path, args, kwargs

    @property
    def context(self) -> str:
        """The associated data's column name: ``app_label.model.field``."""
        return f"{self.model._meta.label_lower}.{self.name}"

    def db_type(self, connection: Any) -> str:
        data = {"max_length": TOKEN_MAX_LENGTH}
        column_type = connection.data_types["CharField"]
        return column_type(data) if callable(column_type) else column_type % data

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if not value:
            return value
        return Sealed(crypto.decrypt(value, self.context), value, self.context)

    def seal(self, value: Any) -> Any:
        """``value`` as a :class:`Sealed` (its token reused when it belongs to this column), or "" / None."""
        if value is None or value == "":
            return value
        if isinstance(value, Sealed) and value.context == self.context:
            return value
        text = str(value)
        return Sealed(text, crypto.encrypt(text, self.context), self.context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        sealed = self.seal(value)
        return sealed.token if isinstance(sealed, Sealed) else sealed

    def digest_of(self, value: Any) -> str:
        """The digest column's value for ``value`` (under the key of its token)."""
        sealed = self.seal(value)
        if not sealed:
            return ""
        return crypto.digest(self.kind, str(sealed), kid=sealed.key_id)

    def prepare(self, instance: models.Model) -> Any:
        """Seal the instance's value and set its digest; returns the sealed value."""
        sealed = self.seal(getattr(instance, self.attname))
        setattr(instance, self.attname, sealed)
        if self.digest_field:
            setattr(instance, self.model._meta.get_field(self.digest_field).attname, self.digest_of(sealed))
        return sealed

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        return self.prepare(model_instance)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in ALLOWED_LOOKUPS:
            raise FieldError(
                f"{self.verbose_name}（{self.name}）加密存储，不能按“{lookup_name}”查询；"
                f"精确查找请用 {self.name}__matches"
            )
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        return None  # no Lower, Upper, Substr … of ciphertext


class DigestField(models.CharField):
    """HMAC-SM3 digest (hex) of the encrypted field ``source``, computed on save (not editable)."""

    description = "加密字段的摘要（HMAC-SM3，精确查找和唯一约束用）"

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for k, v in (("max_length", 64), ("blank", True), ("default", ""), ("editable", False), ("db_index", True)):
            if kwargs.get(k, v) == v:
                kwargs.pop(k, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        source = model_instance._meta.get_field(self.source)
        source.prepare(model_instance)  # type: ignore[attr-defined]
        return getattr(model_instance, self.attname)


class EncryptedExact(Exact):
    """``field=""`` / ``field=None`` only: equality on a ciphertext would never match."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None) and not hasattr(self.rhs, "resolve_expression"):
            name = getattr(self.lhs, "target", None)
            raise FieldError(f"加密字段 {getattr(name, 'name', '')} 不能按明文相等查询；请用 __matches")
        return super().get_prep_lookup()


class Matches(Lookup):
    """``field__matches=value``: the digest column equals the digest of ``value`` under one of the keys."""

    lookup_name = "matches"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        field = self.lhs.target
        digest_field = field.model._meta.get_field(field.digest_field)
        values = crypto.digests(field.kind, str(self.rhs or ""))
        if not values:
            return "1 = 0", []
        sql, params = compiler.compile(digest_field.get_col(self.lhs.alias))
        return f"{sql} IN ({', '.join(['%s'] * len(values))})", [*params, *values]


ALLOWED_LOOKUPS = {"exact", "isnull", "matches"}
EncryptedCharField.register_lookup(EncryptedExact)
EncryptedCharField.register_lookup(IsNull)
EncryptedCharField.register_lookup(Matches)


# --- helpers --------------------------------------------------------------------------------------


def encrypted_fields(model: type[models.Model]) -> list[EncryptedCharField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)]


def encrypted_models() -> list[type[models.Model]]:
    """Every installed model with an encrypted field (label order)."""
    found = [m for m in apps.get_models() if encrypted_fields(m)]
    return sorted(found, key=lambda m: m._meta.label_lower)


def raw_column(name: str) -> models.Expression:
    """The stored token of column ``name``, for ``values_list``/``annotate``, without decrypting it."""
    return models.ExpressionWrapper(models.F(name), output_field=models.CharField())


def prepare_bulk(objs: Iterable[models.Model], names: Iterable[str]) -> list[str]:
    """Before ``bulk_update(objs, names)``: seal the encrypted fields among ``names`` on every object and set
    their digests; returns ``names`` with the digest fields added."""
    objs = list(objs)
    names = list(names)
    if not objs:
        return names
    meta = objs[0]._meta
    out = list(names)
    for name in names:
        f = meta.get_field(name)
        if isinstance(f, EncryptedCharField):
            for obj in objs:
                f.prepare(obj)
            if f.digest_field and f.digest_field not in out:
                out.append(f.digest_field)
    return out


def for_snapshot(f: models.Field, value: Any) -> Any:
    """An audit snapshot's value of field ``f``: encrypted values masked (compared by plaintext)."""
    if isinstance(f, EncryptedCharField) and value:
        mask = MASKS.get(f.kind, lambda v: "*" * len(v))
        return Masked(str(value), mask(str(value)))
    return value


def is_digest(f: models.Field) -> bool:
    return isinstance(f, DigestField)


def stale_filter(model: type[models.Model], header: str) -> tuple[dict[str, Any], models.Q]:
    """Annotations and a filter selecting the rows with a value not under ``header`` (the current key and
    cipher), reading the tokens without decrypting them."""
    annotations: dict[str, Any] = {}
    q = models.Q()
    for f in encrypted_fields(model):
        alias = f"_raw_{f.attname}"
        annotations[alias] = raw_column(f.attname)
        q |= ~models.Q(**{alias: ""}) & models.Q(**{f"{alias}__isnull": False}) & ~models.Q(
            **{f"{alias}__startswith": header + ":"})
    return annotations, q


# --- migrations of existing plaintext ------------------------------------------------------------


def encrypt_plaintext_rows(model: type[models.Model], *, batch: int = 500) -> list[Any]:
    """Encrypt the plaintext values of ``model``'s encrypted fields in place and fill their digests (a data
    migration with the historical model; the key at migrate time). Values that are already tokens are left
    alone, so running it twice changes nothing. Returns the primary keys of the rows changed."""
    fields = encrypted_fields(model)
    pk = model._meta.pk.attname
    changed = []
    rows = list(model._base_manager.order_by(pk).values_list(pk, *[raw_column(f.attname) for f in fields]))
    for row in rows:
        updates: dict[str, Any] = {}
        for f, value in zip(fields, row[1:], strict=True):
            if not value or crypto.is_token(value):
                continue
            context = f"{model._meta.label_lower}.{f.name}"
            token = crypto.encrypt(value, context)
            updates[f.attname] = models.Value(token, output_field=models.CharField())
            if f.digest_field:
                updates[model._meta.get_field(f.digest_field).attname] = crypto.digest(
                    f.kind, value, kid=crypto.token_key_id(token))
        if updates:
            model._base_manager.filter(**{pk: row[0]}).update(**updates)
            changed.append(row[0])
    return changed


def decrypt_to_plaintext_rows(model: type[models.Model]) -> list[Any]:
    """The reverse of :func:`encrypt_plaintext_rows`: tokens back to plaintext, digests emptied."""
    fields = encrypted_fields(model)
    pk = model._meta.pk.attname
    changed = []
    rows = list(model._base_manager.order_by(pk).values_list(pk, *[raw_column(f.attname) for f in fields]))
    for row in rows:
        updates: dict[str, Any] = {}
        for f, value in zip(fields, row[1:], strict=True):
            if not value or not crypto.is_token(value):
                continue
            plain = crypto.decrypt(value, f"{model._meta.label_lower}.{f.name}")
            updates[f.attname] = models.Value(plain, output_field=models.CharField())
            if f.digest_field:
                updates[model._meta.get_field(f.digest_field).attname] = ""
        if updates:
            model._base_manager.filter(**{pk: row[0]}).update(**updates)
            changed.append(row[0])
    return changed


def key_usage() -> dict[type[models.Model], Counter[str]]:
    """Per model with encrypted fields: how many stored values each key (and cipher) encrypted, as
    ``"<key id>（<cipher prefix>）" → count`` (``"（不是密文）"`` for a value that is not a token)."""
    out: dict[type[models.Model], Counter[str]] = {}
    for model in encrypted_models():
        counts: Counter[str] = Counter()
        for f in encrypted_fields(model):
            qs = model._base_manager.annotate(_t=raw_column(f.attname)).exclude(_t="").exclude(_t__isnull=True)
            for token in qs.values_list("_t", flat=True).iterator(chunk_size=2000):
                t = crypto.parse_token(token)
                counts[f"{t.kid}（{t.prefix}）" if t else "（不是密文）"] += 1
        out[model] = counts
    return out
