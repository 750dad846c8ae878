"""``spotcheck workdays``: working-day arithmetic and the holiday table from the console.

- ``workdays add DATE N`` prints the N-th working day after DATE (DATE itself not counted);
- ``workdays between A B`` prints the working days in (A, B] (negative when B < A);
- ``workdays holidays list [--year Y]`` prints the override days and, per year, whether the schedule
  is known (chinesecalendar package or holiday table);
- ``workdays holidays set DATE workday|holiday [NOTE]`` adds or changes an override day;
- ``workdays holidays remove DATE`` removes one;
- ``workdays holidays import FILE.csv`` imports rows ``date,kind[,note]`` (all or nothing).

Changes are audit events done by ``cli``. Warnings (a year whose schedule is unknown: Monday to
Friday assumed) go to standard error; they never stop the command. Errors exit with status 2.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from spotcheck.base import uploads
from spotcheck.policy import actions as policy_actions
from spotcheck.policy import calendar as cal

EXIT_ERROR = 2


def _day(text: str) -> dt.date:
    try:
        return cal.parse_day(text)
    except ValueError as exc:
        raise CommandError(str(exc), returncode=EXIT_ERROR)


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "\n".join(f"{k}：{'；'.join(v)}" for k, v in exc.message_dict.items())
    return "\n".join(exc.messages)


class Command(BaseCommand):
    help = "工作日计算与节假日表：add DATE N · between A B · holidays list|set|remove|import"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="verb", required=True, metavar="{add,between,holidays}")
        add = sub.add_parser("add", help="DATE 之后第 N 个工作日")
        add.add_argument("date", help="起算日期 YYYY-MM-DD（当日不计）")
        add.add_argument("n", type=int, help="工作日天数")
        between = sub.add_parser("between", help="(A, B] 之间的工作日数")
        between.add_argument("a")
        between.add_argument("b")
        holidays = sub.add_parser("holidays", help="节假日表")
        hsub = holidays.add_subparsers(dest="hverb", required=True, metavar="{list,set,remove,import}")
        hlist = hsub.add_parser("list", help="列出节假日调整及各年度节假日安排是否已知")
        hlist.add_argument("--year", type=int, default=None)
        hset = hsub.add_parser("set", help="新增或修改一天")
        hset.add_argument("date")
        hset.add_argument("kind", help="workday（调休上班）或 holiday（休息）")
        hset.add_argument("note", nargs="*", help="说明")
        hremove = hsub.add_parser("remove", help="删除一天的调整")
        hremove.add_argument("date")
        himport = hsub.add_parser("import", help="从 CSV 导入：日期,类型[,说明]")
        himport.add_argument("file")

    def _warn(self, warnings: list[str]) -> None:
        for text in warnings:
            self.stderr.write(f"警告：{text}")

    def handle(self, *args: Any, **opts: Any) -> None:
        verb = opts["verb"]
        if verb == "add":
            if opts["n"] < 0:
                raise CommandError("工作日天数不能为负数", returncode=EXIT_ERROR)
            day, warnings = cal.due_date(_day(opts["date"]), opts["n"])
            self._warn(warnings)
            self.stdout.write(day.isoformat())
        elif verb == "between":
            count, warnings = cal.workdays_between(_day(opts["a"]), _day(opts["b"]))
            self._warn(warnings)
            self.stdout.write(str(count))
        else:
            try:
                getattr(self, f"_holidays_{opts['hverb']}")(opts)
            except ValidationError as exc:
                raise CommandError(_messages(exc), returncode=EXIT_ERROR)

    def _holidays_list(self, opts: dict[str, Any]) -> None:
        from spotcheck.policy.models import HolidayOverride

        rows = HolidayOverride.objects.order_by("day")
        year = opts["year"]
        if year is not None:
            rows = rows.filter(day__year=year)
        for row in rows:
            kind = "上班" if row.is_workday else "休息"
            self.stdout.write(f"{row.day.isoformat()}\t{kind}\t{row.note}".rstrip())
        if not rows:
            self.stdout.write("（节假日表中没有调整）")
        today = dt.date.today()
        years = [year] if year is not None else sorted(
            {today.year, today.year + 1, *(d.year for d in rows.values_list("day", flat=True))}
        )
        for status in cal.year_status(years):
            self.stdout.write(f"{status.year} 年：{status.source}")
            if not status.known:
                self.stderr.write(f"警告：{status.warning}")

    def _holidays_set(self, opts: dict[str, Any]) -> None:
        day = _day(opts["date"])
        try:
            is_workday = cal.parse_kind(opts["kind"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=EXIT_ERROR)
        row = policy_actions.set_override("cli", day, is_workday, " ".join(opts["note"]))
        self.stdout.write(f"已保存：{row.day.isoformat()} {'上班' if row.is_workday else '休息'} {row.note}".rstrip())

    def _holidays_remove(self, opts: dict[str, Any]) -> None:
        day = _day(opts["date"])
        if not policy_actions.remove_override("cli", day):
            raise CommandError(f"节假日表中没有 {day.isoformat()}", returncode=1)
        self.stdout.write(f"已删除：{day.isoformat()}")

    def _holidays_import(self, opts: dict[str, Any]) -> None:
        name = opts["file"]
        try:  # the upload check of every import (CSV text by content, size cap) before the file is read
            uploads.check_path(name, "holidays")
            with open(name, "rb") as handle:
                data = handle.read()
        except uploads.UploadRejected as exc:
            raise CommandError(f"{exc}；未作任何修改", returncode=EXIT_ERROR)
        except OSError as exc:
            raise CommandError(f"无法读取文件 {name}：{exc.strerror or exc}", returncode=EXIT_ERROR)
        changed, unchanged = policy_actions.import_overrides("cli", data)
        self.stdout.write(f"已导入：{changed} 天新增或修改，{unchanged} 天未变")
