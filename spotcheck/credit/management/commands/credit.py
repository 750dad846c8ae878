"""``spotcheck credit evaluate [--year Y]`` · ``spotcheck credit explain CODE`` ·
``spotcheck credit create-account FIXMEDINS_CODE USERNAME [--password P]`` · ``spotcheck credit add-model FILE.json``.

- ``evaluate`` grades every subject for a natural year (default: last year) and prints the count per grade.
- ``explain`` takes a USCC or a fixmedins code and prints the grade and the records that moved the score.
- ``create-account`` makes an institution login (role ``institution``) for a designated institution.
- ``add-model`` stores a new scoring model version (switch to it with policy ``credit.model_version``).

Writes are recorded in the audit chain as done by ``cli``.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from spotcheck.credit import actions
from spotcheck.credit.models import CreditSubject

EXIT_ERROR = 1


class Command(BaseCommand):
    help = "信用分级分类监管：evaluate 年度评价，explain 查看评分说明，create-account 创建机构账号，add-model 新增评分模型"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        ev = sub.add_parser("evaluate", help="按自然年度评价全部信用主体")
        ev.add_argument("--year", type=int, default=None, help="评价年度（默认上一年度）")
        ev.add_argument("--region", default="", help="只评价该区划代码（前缀）内的主体")
        ex = sub.add_parser("explain", help="显示信用等级与影响得分的信用信息")
        ex.add_argument("code", help="统一社会信用代码或定点医药机构编码")
        ca = sub.add_parser("create-account", help="为定点医药机构创建机构账号")
        ca.add_argument("fixmedins_code")
        ca.add_argument("username")
        ca.add_argument("--password", default="", help="不填则生成随机密码并打印")
        am = sub.add_parser("add-model", help="新增评分模型版本（JSON）")
        am.add_argument("file")
        am.add_argument("--note", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, "_" + opts["verb"].replace("-", "_"))(opts)
        except actions.ActionRefused as exc:
            raise CommandError(exc.message, returncode=EXIT_ERROR)

    def _evaluate(self, opts: dict[str, Any]) -> None:
        year = opts["year"] or timezone.localdate().year - 1
        counts = actions.evaluate_cycle("cli", year, opts["region"] or None)
        total = sum(counts.values())
        self.stdout.write(f"{year} 年度信用评价：共 {total} 个信用主体（模型 {actions.current_model().version}）")
        for grade in ("优秀", "良好", "中等", "较差", "差"):
            self.stdout.write(f"{grade}\t{counts.pop(grade, 0)}")
        for grade, n in sorted(counts.items()):
            self.stdout.write(f"{grade}\t{n}")

    def _explain(self, opts: dict[str, Any]) -> None:
        code = opts["code"].strip().upper()
        subject = CreditSubject.objects.filter(Q(uscc=code) | Q(institution__fixmedins_code=code)).first()
        if subject is None:
            raise CommandError(f"没有代码为 {code} 的信用主体", returncode=EXIT_ERROR)
        ev = actions.latest_evaluation(subject)
        self.stdout.write(f"{subject.name}（{subject.identifier or subject.fixmedins_code}）")
        if ev is None:
            self.stdout.write("尚未评价")
            return
        self.stdout.write(f"信用等级：{ev.grade}　得分：{ev.score}　周期：{ev.cycle}　基准日：{ev.as_of}"
                          f"　模型：{ev.model_version}")
        for line in ev.explanation:
            if line["ref"] is None and line["label"] == "基础分":
                self.stdout.write(f"{line['points']:>+5}  基础分")
                continue
            title = f" {line['title']}" if line.get("title") else ""
            self.stdout.write(f"{line['points']:>+5}  {line['ref'] or '—'} {line['label']}{title}")

    def _create_account(self, opts: dict[str, Any]) -> None:
        password = opts["password"] or secrets.token_urlsafe(12)
        user = actions.create_institution_account("cli", opts["fixmedins_code"], opts["username"], password)
        self.stdout.write(f"已创建机构账号 {user.username}（机构 {user.institution_code}）")
        if not opts["password"]:
            self.stdout.write(f"初始密码：{password}")

    def _add_model(self, opts: dict[str, Any]) -> None:
        try:
            with open(opts["file"], encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取评分模型文件：{exc}", returncode=EXIT_ERROR)
        row = actions.add_model("cli", data, opts["note"])
        self.stdout.write(f"已新增评分模型 {row.version}；在政策参数 credit.model_version 中启用")
