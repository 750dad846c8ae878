"""Policy settings of 系统数据检查 (collected by ``spotcheck.policy.registry`` once listed in
``EXTENSION_MODULES``). Read them with :func:`spotcheck.screening.params.setting`."""

from spotcheck.policy.spec import Spec

SPECS: list[Spec] = [
    Spec(
        "screening.duplicate_pairs",
        "重复收费：包含关系项目对",
        [
            ["001102000010000", "001102000010001", "一般诊疗费已包含挂号费"],
            ["250101015000000", "250101001000000", "血细胞分析（全血细胞计数+五分类）已包含血常规"],
            ["310100013000000", "310100008000000", "动态心电图已包含常规心电图"],
        ],
        "每项为 [A 项目编码, B 项目编码, 名称]：A 已包含 B，同一次就诊同一天既收 A 又收 B 即为重复收费（B 的费用计为风险金额）",
    ),
    Spec(
        "screening.gender_items",
        "限性别项目（编码或编码前缀 → 允许的性别）",
        {"311201": "2", "311300": "2", "XG03": "2", "311100": "1", "XG04B": "1"},
        "性别代码 1 男、2 女；按最长前缀匹配。如妇产科诊疗（3112/3113）限女性，前列腺相关项目限男性",
    ),
    Spec(
        "screening.child_items",
        "限儿童项目（编码或编码前缀）",
        ["XR05CBX0001", "120400006000001"],
        "医保目录中标注“限儿童”的药品和诊疗项目",
    ),
    Spec(
        "screening.child_max_age",
        "限儿童：最大年龄（周岁）",
        17,
        "费用发生时年龄（周岁）大于该值即为违规；目录凡例中“儿童”指 18 周岁以下，即不超过 17 周岁",
    ),
    Spec(
        "screening.daily_limits",
        "单日限定频次（项目编码 → 每人每日最多次数）",
        {"001102000010000": 1, "310100008000000": 2, "250101015000000": 2},
        "同一人同一天同一项目的数量合计超过该值即为超频次（超出部分按均价计为风险金额）",
    ),
    Spec(
        "screening.prescription_limits",
        "超量开药：处方天数上限",
        [
            {"label": "门诊", "med_types": ["11"], "max_days": 7},
            {"label": "急诊", "med_types": ["13"], "max_days": 3},
        ],
        "《处方管理办法》第十九条：门诊处方一般不超过 7 日用量，急诊处方一般不超过 3 日用量；"
        "med_types 为医疗类别代码（11 普通门诊、13 急诊）",
    ),
    Spec("screening.readmission_days", "分解住院：再入院间隔（天）", 15, "同一参保人出院后该天数内在同一机构再次入院"),
    Spec(
        "screening.inpatient_med_types",
        "分解住院：住院医疗类别代码",
        ["21", "22", "24"],
        "21 普通住院、22 外伤住院、24 急诊转住院",
    ),
]
