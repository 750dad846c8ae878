"""Default data of the editable catalogues: violation types (阳城 方案) and the 包容审慎清单 (附件5).

``ensure_defaults()`` is idempotent: it creates missing rows and never overwrites an admin's edits.
Called by the data migration (with the historical ``apps``) and by ``demo-data``. An admin's edits
are the action ``inspections.actions.save_catalogue_row``.

Each violation type names an act code of :mod:`spotcheck.core.lenience` (``"<条例 article>-<slug>"``),
which links it to the lenience lists and to the statutory range of its article:

- 38 (造成基金损失): 分解/超标准/重复/套用项目收费 → ``38-duplicate-charge``; 串换 → ``38-substitution``;
  不合理诊疗、超量配药 → ``38-over-treatment``; 协助开药变现 (为参保人员转卖药品提供便利) → ``38-resale``;
  其他 → ``38-other-loss``;
- 39 (管理制度): 未建立财务或盘库制度 → ``39-no-internal-system``;
- 40 (骗取): 诱导住院、盗刷、挂床/虚构/伪造、虚记多记、套现、代刷卡、虚开发票、伪造进销存 → ``40-fraud-fund``.

The mapping is a default an admin edits on the catalogue page.
"""

from __future__ import annotations

from typing import Any, Final

from spotcheck.core.lenience import DEFAULT_CIRCUMSTANCES, DEFAULT_ENTRIES, Entry, act_article

#: (seq, name, act_code) for hospitals (kind "H"), 阳城 方案 三(一).
HOSPITAL_VIOLATIONS: Final[tuple[tuple[int, str, str], ...]] = (
    (1, "通过虚假宣传、以体检等名义诱导、骗取参保人员住院等行为", "40-fraud-fund"),
    (2, "留存、盗刷参保人员医保卡等行为", "40-fraud-fund"),
    (3, "人证不符、恶意挂床住院、虚构医疗服务、伪造医疗文书或票据行为", "40-fraud-fund"),
    (4, "协助参保人员开具药物用于变现，从而套取医保基金等不法行为", "38-resale"),
    (5, "虚记、多记药品、诊疗项目、医用耗材、医疗服务设施费用的行为", "40-fraud-fund"),
    (6, "串换药品、器械、诊疗项目等行为", "38-substitution"),
    (7, "分解收费、超标准收费、重复收费、套用项目收费等违规收费行为", "38-duplicate-charge"),
    (8, "不合理诊疗行为", "38-over-treatment"),
    (9, "其他违法违规及欺诈骗保行为", "38-other-loss"),
)

#: (seq, name, act_code) for pharmacies (kind "P"), 阳城 方案 三(二).
PHARMACY_VIOLATIONS: Final[tuple[tuple[int, str, str], ...]] = (
    (
        1,
        "盗刷医疗保障凭证，为参保人员套取现金或购买营养保健品、食品、化妆品、生活用品等非医疗用品等行为",
        "40-fraud-fund",
    ),
    (2, "为参保人员串换药品、耗材、物品等骗取医疗保障基金支出的行为", "38-substitution"),
    (3, "私自将非定点机构接入医保信息系统；为非定点医药机构刷卡代结算等行为", "40-fraud-fund"),
    (4, "为参保人员虚开发票、提供虚假发票行为", "40-fraud-fund"),
    (5, "超量配药、更改处方配药、违反医疗保险用药范围、用药品种规定配药行为", "38-over-treatment"),
    (
        6,
        "伪造、编造、涂改药品进货单的；篡改药品“进、销、存”数据的；提供虚假医疗费用凭据、账本、结算报表、资料等行为",
        "40-fraud-fund",
    ),
    (7, "未建立规范财务制度的；未规范开展盘库制度的", "39-no-internal-system"),
    (8, "执业药师（药师）不在岗销售处方药的", "38-other-loss"),
    (9, "其他违法违规及欺诈骗保行为", "38-other-loss"),
)


def conditions_json(entry: Entry) -> list[dict[str, str]]:
    """An entry's conditions as stored in ``LenienceEntry.conditions``."""
    return [{"kind": str(c.kind), "article": c.article} for c in entry.conditions]


def _model(apps: Any, name: str) -> Any:
    if apps is not None:
        return apps.get_model("inspections", name)
    from spotcheck.inspections import models

    return getattr(models, name)


def ensure_defaults(apps: Any = None) -> dict[str, int]:
    """Create the default violation catalogue, lenience entries and circumstances when missing.

    ``apps``: a migration's historical app registry (default: the live models). A default row is
    created only when neither its key nor its slot is taken: violation types by (kind, seq), lenience
    entries by (list, act code) or (list, number), circumstances by code. Existing rows are never
    changed. Returns the number of rows created per table.
    """
    violation_type = _model(apps, "ViolationType")
    lenience_entry = _model(apps, "LenienceEntry")
    circumstance = _model(apps, "LenienceCircumstance")
    created = {"violation_types": 0, "lenience_entries": 0, "circumstances": 0}

    for kind, rows in (("H", HOSPITAL_VIOLATIONS), ("P", PHARMACY_VIOLATIONS)):
        for seq, name, act_code in rows:
            if not violation_type.objects.filter(kind=kind, seq=seq).exists():
                violation_type.objects.create(
                    kind=kind, seq=seq, name=name, act_code=act_code, article=act_article(act_code)
                )
                created["violation_types"] += 1

    for entry in DEFAULT_ENTRIES:
        kind = str(entry.kind)
        taken = lenience_entry.objects.filter(kind=kind, act_code=entry.act_code).exists() or (
            lenience_entry.objects.filter(kind=kind, number=entry.number).exists()
        )
        if not taken:
            lenience_entry.objects.create(
                kind=kind,
                number=entry.number,
                act_code=entry.act_code,
                act_text=entry.act_text,
                setting_basis=entry.setting_basis,
                basis=entry.basis,
                conditions=conditions_json(entry),
            )
            created["lenience_entries"] += 1

    for item in DEFAULT_CIRCUMSTANCES:
        if not circumstance.objects.filter(code=item.code).exists():
            circumstance.objects.create(code=item.code, article=item.article, text=item.text)
            created["circumstances"] += 1
    return created
