"""Policy settings of on-site inspections (collected by ``spotcheck.policy.registry``)."""

from spotcheck.policy.spec import Spec

SPECS: list[Spec] = [
    Spec("inspection.photo_max_mb", "现场照片大小上限（MB）", 20, "单个照片文件的大小上限"),
    Spec("inspection.video_max_mb", "现场视频大小上限（MB）", 300, "单个视频文件的大小上限"),
    Spec(
        "inspection.evidence_types",
        "允许上传的证据文件类型",
        ["image/jpeg", "image/png", "image/heic", "image/webp", "video/mp4", "video/quicktime", "application/pdf"],
        "按文件内容识别的 MIME 类型",
    ),
    Spec("inspection.rectification_days", "整改期限默认天数（自然日）", 30, "下达整改时默认的期限"),
    Spec(
        "inspection.notice_number_format",
        "检查告知书文号格式",
        "{short}医保检告〔{year}〕{seq}号",
        "{short} 区域简称（如 阳城县 → 阳），{year} 年度，{seq} 当年序号",
    ),
    Spec(
        "inspection.result_number_format",
        "检查结果告知书文号格式",
        "{short}医保检结〔{year}〕{seq}号",
        "{short} 区域简称，{year} 年度，{seq} 当年序号",
    ),
    Spec("inspection.statement_workdays", "陈述申辩期限（工作日）", 5, "检查结果告知书中告知的陈述、申辩期限"),
    Spec("inspection.contact", "本局联系电话", "", "印在检查告知书上的联系电话（单位电话，不填个人手机）"),
    Spec("inspection.bureau_address", "本局地址", "", "印在检查告知书上的地址"),
    Spec("inspection.overdue_warning_workdays", "临期提醒（工作日）", 5, "距截止日不足该工作日数时在看板上提示"),
]
