from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from spotcheck.accounts.scope import require
from spotcheck.audit.actions import record
from spotcheck.base.transactions import action

from .models import PolicySetting
from .registry import SPECS


@action
def set_policy(actor: Any, key: str, value: Any, effective_from: dt.date, note: str) -> PolicySetting:
    """Add a new value for ``key`` from ``effective_from`` (admins only; audited)."""
    require(actor, "admin")
    if key not in SPECS:
        raise ValidationError({"key": f"未知的政策参数：{key}"})
    if not note.strip():
        raise ValidationError({"note": "请填写修改原因"})
    default = SPECS[key].default
    if type(value) is not type(default) and not (isinstance(default, dict) and isinstance(value, dict)):
        raise ValidationError({"value": f"取值类型应与默认值一致（{type(default).__name__}）"})
    with transaction.atomic():
        row = PolicySetting.objects.create(
            key=key, value=value, effective_from=effective_from, note=note, created_by=actor
        )
        record(actor, "policy.set", row, after={"key": key, "value": value, "effective_from": effective_from})
    return row
