"""Policy settings of the public portal (collected by ``spotcheck.policy.registry``)."""

from spotcheck.policy.spec import Spec

SPECS: list[Spec] = [
    Spec(
        "portal.show_inspector_names",
        "公示检查人员姓名",
        True,
        "公示检查组时显示检查人员姓名（不显示身份证号、电话）",
    ),
    Spec("portal.show_certificate_numbers", "公示执法证号", True, "公示检查组时显示执法证号"),
    Spec("portal.rate_limit_per_minute", "公众页面每分钟请求上限（每个 IP）", 120, "超过后返回 429"),
]
