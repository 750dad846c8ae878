"""Reading and checking the screening policy settings (declared in ``policy_specs``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from spotcheck import policy

from .policy_specs import SPECS

KEYS: tuple[str, ...] = tuple(s.key for s in SPECS)


def setting(key: str, on: dt.date | None = None) -> Any:
    return policy.get(key, on=on)


def all_settings(on: dt.date | None = None) -> dict[str, Any]:
    """Every screening parameter in force on ``on`` (recorded with each run)."""
    return {key: setting(key, on) for key in KEYS}


class BadParameter(ValueError):
    """A screening policy value with the wrong shape (message in Chinese, naming the key)."""


def check(params: dict[str, Any]) -> None:
    """Refuse malformed values before a run (the policy page checks only the JSON type)."""

    def bad(key: str, what: str) -> BadParameter:
        return BadParameter(f"政策参数 {key} 取值不正确：{what}")

    key = "screening.duplicate_pairs"
    for pair in params[key]:
        if not isinstance(pair, list) or len(pair) < 2 or not all(isinstance(c, str) and c for c in pair[:2]):
            raise bad(key, "每项应为 [A 项目编码, B 项目编码, 名称]")
    key = "screening.gender_items"
    if not all(isinstance(k, str) and k and v in ("1", "2") for k, v in params[key].items()):
        raise bad(key, "应为 {编码或前缀: \"1\"（男）或 \"2\"（女）}")
    key = "screening.child_items"
    if not all(isinstance(c, str) and c for c in params[key]):
        raise bad(key, "应为编码或编码前缀的列表")
    for key in ("screening.child_max_age", "screening.readmission_days"):
        if not isinstance(params[key], int) or isinstance(params[key], bool) or params[key] < 0:
            raise bad(key, "应为非负整数")
    key = "screening.daily_limits"
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in params[key].values()):
        raise bad(key, "应为 {项目编码: 每日最多次数（整数）}")
    key = "screening.prescription_limits"
    for lim in params[key]:
        if (not isinstance(lim, dict) or not isinstance(lim.get("med_types"), list)
                or not isinstance(lim.get("max_days"), int) or isinstance(lim.get("max_days"), bool)):
            raise bad(key, "每项应为 {\"label\": 名称, \"med_types\": [医疗类别代码…], \"max_days\": 天数}")
    key = "screening.inpatient_med_types"
    if not all(isinstance(c, str) and c for c in params[key]):
        raise bad(key, "应为医疗类别代码的列表")
