"""The policy numbers the product knows, with the seed documents' values as defaults.

Code asks ``policy.get(key, on=date)``; an admin changes a value by adding a new
``PolicySetting`` row with an effective date (old values stay for old records).
"""

from __future__ import annotations

from typing import Any

from .spec import Spec  # re-exported: Spec used to live here

__all__ = ["SPECS", "Spec", "default"]


SPECS: dict[str, Spec] = {
    s.key: s
    for s in [
        Spec(
            "draw.grade_multipliers",
            "信用等级抽查比例系数",
            {"优秀": [3, 10], "良好": [1, 2], "中等": [1, 1], "较差": [6, 5], "差": "full"},
            "朔州 附件3 第十一条：优秀 ≤30%、良好 50%、中等 100%、较差 120%、差 全覆盖。"
            "值为 [分子, 分母] 或 \"full\"（全覆盖）。",
        ),
        Spec("draw.rounding", "样本量取整方式", "ceil", "ceil（向上取整，“不低于”）、floor、half_up"),
        Spec("draw.ungraded_grade", "未评级机构按此等级抽取", "中等", "新签协议、尚无信用评价的机构"),
        Spec(
            "draw.strata_dimensions",
            "分层维度",
            ["region", "kind", "grade"],
            "region（区域）、kind（机构类型）、grade（信用等级）、category（机构类别）、level（等级）的组合",
        ),
        Spec("draw.two_person_rule", "提交与揭示须由不同人员审批", True, "抽取的发起人与审批人必须是两个人"),
        Spec("draw.staffing_simulation_runs", "人员配置模拟次数", 200, "提交前用随机密钥模拟揭示的次数"),
        Spec("draw.min_team_size", "检查组最少人数", 2, "《条例》第二十九条：不得少于 2 人"),
        Spec(
            "draw.annual_cap_exempt",
            "年度频次上限的例外",
            ["key_item", "grade_bad"],
            "同一事项每年至多检查一次，但重点检查事项（key_item）、投诉举报（complaint）、信用等级差（grade_bad）除外",
        ),
        Spec("disclosure.deadline_workdays", "结果录入与公示时限（工作日）", 20, "附件2：检查结束之日起 20 个工作日内"),
        Spec(
            "lenience.amount_threshold",
            "包容审慎：单项违规费用阈值（元）",
            "1000",
            "附件5 不予处罚事项清单：单项违规费用小于 1000 元（以字符串保存，按 Decimal 读取）",
        ),
        Spec("lenience.first_offence_lookback_months", "首违不罚：回溯期（月）", 24, "判断“首次发现”时回溯的月数"),
        Spec("credit.model_version", "信用评分模型版本", "default-2023-1", "附件3；分值与分数线见 spotcheck.core.credit"),
    ]
}


#: Apps that add their own settings: each module holds ``SPECS: list[Spec]`` (keys prefixed by the app).
EXTENSION_MODULES = (
    "spotcheck.inspections.policy_specs",
    "spotcheck.credit.policy_specs",
    "spotcheck.portal.policy_specs",
    "spotcheck.screening.policy_specs",
)


def _load_extensions() -> None:
    from importlib import import_module

    for name in EXTENSION_MODULES:
        for spec in import_module(name).SPECS:
            if spec.key in SPECS:
                raise RuntimeError(f"政策参数 {spec.key} 重复定义")
            SPECS[spec.key] = spec


_load_extensions()


def default(key: str) -> Any:
    return SPECS[key].default
