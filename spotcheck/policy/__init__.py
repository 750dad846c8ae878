"""Policy settings: ``get(key, on=None)`` returns the value in force on a date (default today)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def get(key: str, on: dt.date | None = None) -> Any:
    from django.utils import timezone

    from .models import PolicySetting
    from .registry import default

    day = on or timezone.localdate()
    row = PolicySetting.objects.filter(key=key, effective_from__lte=day).order_by("-effective_from", "-id").first()
    return default(key) if row is None else row.value
