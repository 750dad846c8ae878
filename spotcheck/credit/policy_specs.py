"""Policy settings of credit files and grading (collected by ``spotcheck.policy.registry``)."""

from spotcheck.policy.spec import Spec

SPECS: list[Spec] = [
    Spec("credit.cycle", "信用评价周期", "natural_year", "natural_year（自然年度）"),
    Spec("credit.objection_deadline_workdays", "异议处理时限（工作日）", 15, "附件3 第十条：收到异议后按时核查并答复"),
    Spec("credit.repair_clean_period_months", "信用修复：无新不良信息的期限（月）", 6, "整改完成且该期限内无新的不良信息方可申请修复"),
    Spec("credit.repair_review_workdays", "信用修复审核时限（工作日）", 15, "收到修复申请后的审核时限"),
]
SPECS += [
    Spec(
        "credit.severity_amounts",
        "检查发现问题与处罚的严重程度分界（元）",
        {"moderate": "1000", "major": "10000"},
        "涉及金额（处罚为罚款金额）达到 moderate 为“一般”、达到 major 为“严重”，其余为“轻微”；金额以字符串保存",
    ),
]
