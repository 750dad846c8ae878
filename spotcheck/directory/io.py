"""Excel (.xlsx) and CSV import/export of the directories (检查对象, 检查人员, 回避登记) and regions.

The export format IS the import template: the same Chinese headers, enum cells as Chinese labels,
dates as real Excel dates (``YYYY-MM-DD`` in CSV), codes written as text. CSV is written as UTF-8
with a BOM (so Excel/WPS open it) and read as UTF-8 (with or without BOM) or GB18030.

Import is all-or-nothing: every row is parsed and validated (the models' ``full_clean``, i.e. the
same rules as the forms: check digits, 定点编码 region = 区划代码, department of the region, phone numbers …),
every error of every row is collected (:class:`RowError`: a bad cell does not stop the checks of the row's
other cells; the report keeps the first :data:`MAX_REPORTED_ERRORS` by row and counts the rest), and only when
there are none is anything written: ``bulk_create``/``bulk_update`` in one transaction, plus one audit event per created or
changed row (before/after of the changed fields only) through ``record_many``. Rows are matched
by their key (定点医药机构编码; 人员编号; 人员编号 + 机构编码 + 回避原因 + 有效期起); unchanged rows write
nothing. A cell of a personal-data column containing ``*`` (a masked export) keeps the stored value.

Draw-relevant fields (``directory.ownership``): the 信用等级 and 重点监控 columns may only repeat the
stored value (a new row: 未评级 / 否), anything else is an error on that row and column; a file that
changes 机构类型, 机构类别, 医院等级, 区划代码 or 协议状态 of an existing institution needs the import's
``reason`` (one 变更原因 for the whole file), which goes into every event of the import.

Python entry points::

    export_file(kind, rows, fmt="xlsx", *, mask=False) -> bytes
    export_for(actor, kind, params, fmt="xlsx", *, mask=False) -> bytes   # filtered list, audited
    export_queryset(kind, queryset) -> QuerySet          # adds the joins an export needs
    template_file(kind, fmt="xlsx") -> bytes
    import_file(kind, data, filename, *, actor, progress=None, reason="") -> ImportResult
    import_regions(data, filename, *, actor) -> ImportResult
    error_report_xlsx(errors, unlisted=0) -> bytes
    run_import_job(job) -> dict                           # body of a background import Job

``actor`` is a user (permission ``change`` and area scope apply) or :data:`SYSTEM_ACTOR`, the CLI
without ``--user``: unrestricted and recorded in the audit chain as ``cli``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from spotcheck.audit.actions import Pending, record, record_many, record_rows
from spotcheck.audit.guard import check_rows
from spotcheck.base import tabular
from spotcheck.base.actions import SYSTEM_ACTOR
from spotcheck.base.fields import prepare_bulk
from spotcheck.base.permissions import can
from spotcheck.base.scope import require
from spotcheck.base.transactions import action, atomic_action
from spotcheck.core import masking
from spotcheck.core.codes import CodeError, validate_region_code
from spotcheck.core.regions import parse_region_csv

from . import filters, ownership
from .actions import changed_fields, snapshot
from .models import (
    Conflict,
    ConflictReason,
    ContractStatus,
    CreditGrade,
    Department,
    Inspector,
    InspectorRole,
    InspectorStatus,
    Institution,
    InstitutionCategory,
    InstitutionKind,
    InstitutionLevel,
    Region,
)
from .regions import upsert_regions

KINDS = ("institutions", "inspectors", "conflicts")
FORMATS = ("xlsx", "csv")
INSTRUCTIONS_SHEET = "填写说明"
#: Errors kept (those of the lowest rows) in a result, a Job and on the status page; the count is always complete.
MAX_REPORTED_ERRORS = 1000
_BATCH = 500  # rows per bulk statement / per progress report
_TRUE = {"是", "Y", "YES", "TRUE", "1", "√", "✓"}
_FALSE = {"否", "N", "NO", "FALSE", "0"}
_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]0{1,2}:00(?::00)?)?$")

_PHONE_HELP = "手机号（11 位）或带区号的固定电话，如 0356-4222000；多个号码用顿号分隔"
#: ``progress(done, total, message)``; ``total`` 0 while the row count is not known yet.
Progress = Callable[[int, int, str], None]




def resolve_actor(username: str | None) -> Any:
    """The CLI's actor: the active user ``username``, or :data:`SYSTEM_ACTOR` when ``None``.

    Raises ``LookupError`` (Chinese message) for an unknown or inactive user."""
    if username is None:
        return SYSTEM_ACTOR
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise LookupError(f"用户 {username} 不存在或已停用")
    return user


# --------------------------------------------------------------------------------------------
# column specifications


@dataclass(frozen=True)
class Column:
    """One column of a sheet. ``field`` is the model attribute set on import, ``source`` the dotted
    attribute path read on export (default ``field``)."""

    header: str
    field: str
    type: str = "text"  # text | enum | bool | date | region | lookup
    choices: type[models.TextChoices] | None = None
    required: bool = False
    width: int = 14
    help: str = ""
    example: str = ""
    mask: Callable[[str], str] | None = None
    upper: bool = False
    source: str = ""

    def export_value(self, obj: Any) -> Any:
        value: Any = obj
        for part in (self.source or self.field).split("."):
            value = getattr(value, part)
        if self.type == "enum":
            return self.choices(value).label if value else ""  # type: ignore[misc]
        if self.type == "bool":
            return "是" if value else "否"
        return value if value is not None else ("" if self.type != "date" else None)

    def allowed(self) -> str:
        if self.type == "enum":
            labels = "、".join(str(label) for label in self.choices.labels)  # type: ignore[union-attr]
            return labels + ("；留空 = 未评级" if self.field == "credit_grade" else "")
        return {"bool": "是、否（留空 = 否）", "date": "日期，如 2024-03-01", "region": "6 位数字"}.get(self.type, "")


@dataclass(frozen=True)
class Spec:
    kind: str
    model: type[models.Model]
    sheet: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # fields of the upsert key (lookup fields as their cell text)
    filterset: type[Any]
    list_url: str
    related: tuple[str, ...] = ()

    @property
    def key_headers(self) -> str:
        by_field = {c.field: c.header for c in self.columns}
        return " + ".join(by_field[f] for f in self.key)

    def column(self, field_name: str) -> Column | None:
        return next((c for c in self.columns if c.field == field_name), None)


_REGION_HELP = "6 位行政区划代码（GB/T 2260），须在本人管辖范围内"

SPECS: dict[str, Spec] = {
    "institutions": Spec(
        kind="institutions",
        model=Institution,
        sheet="检查对象名录库",
        key=("fixmedins_code",),
        filterset=filters.InstitutionFilter,
        list_url="directory:institution-list",
        columns=(
            Column("定点医药机构编码", "fixmedins_code", required=True, width=16, upper=True, example="H14052200001",
                   help="H（医疗机构）或 P（零售药店）+ 6 位区划代码 + 5 位顺序号；其中区划须与「区划代码」一致。"
                        "导入时按此编码新增或更新"),
            Column("机构名称", "name", required=True, width=30, example="阳城县人民医院"),
            Column("统一社会信用代码", "uscc", required=True, width=22, upper=True, example="12140522000000019J",
                   help="18 位，含校验位"),
            Column("机构类型", "kind", "enum", InstitutionKind, required=True, width=10, example="医疗机构",
                   help="须与定点医药机构编码首字母一致"),
            Column("机构类别", "category", "enum", InstitutionCategory, required=True, width=16, example="医院",
                   help="零售药店的机构类别为“零售药店”"),
            Column("医院等级", "level", "enum", InstitutionLevel, width=10, example="二级", help="留空 = 未定级"),
            Column("区划代码", "region_id", "region", required=True, width=10, example="140522", help=_REGION_HELP),
            Column("地址", "address", width=30, example="阳城县凤城镇新阳东街 1 号"),
            Column("法定代表人", "legal_representative", width=12, example="王某某"),
            Column("联系人", "contact_person", width=12, example="李某某"),
            Column("联系电话", "contact_phone", width=16, mask=masking.mask_phone, example="0356-4222000",
                   help=_PHONE_HELP),
            Column("协议状态", "contract_status", "enum", ContractStatus, width=10, example="在协议",
                   help="留空 = 在协议"),
            Column("信用等级", "credit_grade", "enum", CreditGrade, width=10, example="",
                   help="只读：由信用评价产生。导入时须与系统中的值一致（导出的文件原样导入即可），"
                        "新增机构留空（未评级）；也可删除此列"),
            Column("重点监控", "risk_flag", "bool", width=10, example="否",
                   help="只读：只能由系统数据检查的决定或机构页面的“设置重点监控”（须填写理由）修改。"
                        "导入时须与系统中的值一致，新增机构为“否”；也可删除此列"),
            Column("定点协议签订日期", "contract_date", "date", width=16, example="2023-01-01"),
            Column("备注", "notes", width=30, example=""),
        ),
    ),
    "inspectors": Spec(
        kind="inspectors",
        model=Inspector,
        sheet="执法检查人员名录库",
        key=("number",),
        filterset=filters.InspectorFilter,
        list_url="directory:inspector-list",
        related=("department",),
        columns=(
            Column("人员编号", "number", required=True, width=16, example="YC-0001",
                   help="人员的唯一编号（执法证号或工号）；导入时按此编号新增或更新"),
            Column("姓名", "name", required=True, width=10, example="张某某"),
            Column("所属部门", "department", "lookup", required=True, width=26, source="department.name",
                   example="阳城县医疗保障局", help="系统中已有部门的全称，须属于「区划代码」所指区域"),
            Column("区划代码", "region_id", "region", required=True, width=10, example="140522", help=_REGION_HELP),
            Column("身份证号", "id_number", width=22, mask=masking.mask_id_number, upper=True,
                   example="140522198506010250", help="18 位，含校验位"),
            Column("联系电话", "phone", width=16, mask=masking.mask_phone, example="13912345678", help=_PHONE_HELP),
            Column("人员类别", "role", "enum", InspectorRole, width=10, example="执法", help="留空 = 执法"),
            Column("专业领域", "specialties", width=20, example="医疗、药学", help="医疗、药学、财务、信息，用顿号分隔"),
            Column("执法证号", "cert_number", width=18, example="14052200001"),
            Column("执法证有效期起", "cert_valid_from", "date", width=14, example="2022-01-01"),
            Column("执法证有效期止", "cert_valid_to", "date", width=14, example="2027-12-31"),
            Column("状态", "status", "enum", InspectorStatus, width=8, example="在岗", help="留空 = 在岗"),
            Column("备注", "notes", width=30, example=""),
        ),
    ),
    "conflicts": Spec(
        kind="conflicts",
        model=Conflict,
        sheet="回避登记",
        key=("inspector", "institution", "reason", "valid_from"),
        filterset=filters.ConflictFilter,
        list_url="directory:conflict-list",
        related=("inspector", "institution"),
        columns=(
            Column("人员编号", "inspector", "lookup", required=True, width=16, source="inspector.number",
                   example="YC-0001", help="执法检查人员名录库中的人员编号"),
            Column("机构编码", "institution", "lookup", required=True, width=16, upper=True,
                   source="institution.fixmedins_code", example="H14052200001",
                   help="定点医药机构编码，须在本人管辖范围内"),
            Column("回避原因", "reason", "enum", ConflictReason, required=True, width=18, example="亲属任职"),
            Column("说明", "note", width=30, example="配偶在该院任职"),
            Column("有效期起", "valid_from", "date", required=True, width=12, example="2024-01-01"),
            Column("有效期止", "valid_to", "date", width=12, example="", help="留空 = 长期有效"),
        ),
    ),
}


def get_spec(kind: str) -> Spec:
    """The spec of ``kind``; ``KeyError`` for anything but institutions | inspectors | conflicts."""
    return SPECS[kind]


# --------------------------------------------------------------------------------------------
# export


def export_queryset(kind: str, queryset: models.QuerySet) -> models.QuerySet:
    """``queryset`` with the joins an export of ``kind`` reads (no query per row)."""
    spec = get_spec(kind)
    return queryset.select_related(*spec.related) if spec.related else queryset


def _export_rows(spec: Spec, objs: Iterable[Any], mask: bool) -> Iterator[list[Any]]:
    for obj in objs:
        row = []
        for col in spec.columns:
            value = col.export_value(obj)
            if mask and col.mask is not None and value:
                value = col.mask(value)
            row.append(value)
        yield row


def export_file(kind: str, objs: Iterable[Any], fmt: str = "xlsx", *, mask: bool = False) -> bytes:
    """The rows ``objs`` of ``kind`` as an .xlsx or .csv file (``mask`` hides 身份证号 and phones)."""
    spec = get_spec(kind)
    rows = _export_rows(spec, objs, mask)
    if fmt == "csv":
        return _write_csv(spec, rows)
    if fmt == "xlsx":
        return _write_xlsx(spec, rows)
    raise ValueError(f"unknown format {fmt!r}")


def _export_filterset(actor: Any, kind: str, params: Mapping[str, Any]) -> Any:
    spec = get_spec(kind)
    require(actor, "export")
    filterset = spec.filterset(params, queryset=spec.model.objects.restrict(actor, "export"))
    if not filterset.is_valid():
        raise ValidationError(filterset.errors.get_json_data())
    return filterset


def export_count(actor: Any, kind: str, params: Mapping[str, Any]) -> int:
    """How many rows :func:`export_for` would write (same checks and errors)."""
    return int(_export_filterset(actor, kind, params).qs.count())


def export_for(actor: Any, kind: str, params: Mapping[str, Any], fmt: str = "xlsx", *, mask: bool = False,
               progress: Progress | None = None) -> bytes:
    """What ``actor`` may export of ``kind``, filtered by ``params`` exactly like the web list
    (the FilterSet of ``directory.filters``), as a file. Personal data is masked when ``mask`` is
    set or the actor lacks ``change``. Records one ``export`` audit event. ``progress(done, total,
    message)`` hears every 2,000 rows.

    Raises ``PermissionDenied`` without ``export`` and ``ValidationError`` for invalid filters."""
    spec = get_spec(kind)
    filterset = _export_filterset(actor, kind, params)
    mask = mask or not can(actor, "change")
    total = filterset.qs.count() if progress is not None else 0
    count = 0

    def counted() -> Iterator[Any]:
        nonlocal count
        for obj in export_queryset(kind, filterset.qs).iterator(chunk_size=2000):
            count += 1
            if progress is not None and count % 2000 == 0:
                progress(count, total, f"正在导出：已写入 {count} / {total} 行")
            yield obj

    data = export_file(kind, counted(), fmt, mask=mask)
    if progress is not None:
        progress(count, count, f"已写入 {count} 行")
    used = {k: v for k, v in filterset.form.cleaned_data.items() if v not in (None, "", [])}
    with atomic_action():
        record(actor, "export", object_type=spec.model._meta.label_lower, object_id="",
               region_code=getattr(actor, "region_code", ""),
               after={"rows": count, "format": fmt, "masked": mask, "filters": {k: str(v) for k, v in used.items()}})
    return data


def template_file(kind: str, fmt: str = "xlsx") -> bytes:
    """An empty import template: the header row (+ the 填写说明 sheet in .xlsx)."""
    return export_file(kind, [], fmt)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # the writer puts "'" before = + - @; the import strips it again


def _write_csv(spec: Spec, rows: Iterable[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = tabular.SafeCsvWriter(buf, lineterminator="\r\n")
    writer.writerow([c.header for c in spec.columns])
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")


def _fill(cell: Any, value: Any, col: Column) -> None:
    """Put ``value`` in a styled cell: a real date (yyyy-mm-dd), or text even when it starts with "="."""
    if col.type == "date" or value in ("", None):
        cell.value = value or None
        return
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell.data_type = "s"


def _write_xlsx(spec: Spec, rows: Iterable[list[Any]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(spec.sheet)
    for index, col in enumerate(spec.columns, start=1):
        dim = ws.column_dimensions[get_column_letter(index)]
        dim.width = col.width
        dim.number_format = "yyyy-mm-dd" if col.type == "date" else "@"
    ws.freeze_panes = "A2"
    header = []
    for col in spec.columns:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        header.append(cell)
    ws.append(header)
    # One styled cell per column, refilled for every row: a write-only append() writes the row at
    # once, and a new styled cell per value would double the time of a large export.
    cells = []
    for col in spec.columns:
        cell = WriteOnlyCell(ws)
        cell.number_format = "yyyy-mm-dd" if col.type == "date" else "@"
        cells.append(cell)
    count = 0
    for row in rows:
        for cell, value, col in zip(cells, row, spec.columns, strict=True):
            _fill(cell, value, col)
        ws.append(cells)
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(spec.columns))}{count + 1}"
    _write_instructions(wb.create_sheet(INSTRUCTIONS_SHEET), spec)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def instruction_lines(spec: Spec) -> list[str]:
    """The general rules printed on the 填写说明 sheet (also shown on the upload page)."""
    masked = "、".join(c.header for c in spec.columns if c.mask is not None)
    return [
        f"第一张工作表“{spec.sheet}”的第 1 行是表头，请勿修改列名；数据从第 2 行开始，每行一条记录。",
        f"导入时按「{spec.key_headers}」匹配：系统中已有的记录更新有变化的字段，没有的新增；"
        "每条新增或修改都记入审计日志，没有变化的行不做任何修改。",
        "全部成功或全部不写入：系统先逐行校验整个文件，只要有一处错误就不写入任何数据，"
        "并列出每处错误的行号、列名和原因；改正后重新导入整个文件即可。",
        f"同一文件中「{spec.key_headers}」相同的行只能出现一次。",
        "只能导入本人管辖区域内的数据；需要“修改名录库”权限。",
        "日期列在 Excel 中填写日期（或文本 YYYY-MM-DD），CSV 中写 YYYY-MM-DD。",
        "编码、身份证号、电话等列是文本格式，请勿改为数字格式（超过 15 位的数字会被 Excel 截断）。",
        *([f"{masked}中含 * 的值（脱敏导出的结果）表示“保留系统中原有的值”；新增记录须填写完整号码。"]
          if masked else []),
        "非必填列可以整列删除：删除的列在更新时保留原值，新增时取默认值。",
        "也可以导入 CSV 文件（第一行为同样的表头），编码为 UTF-8 或 GB18030（GBK）。",
        *(["信用等级由信用评价产生、重点监控由系统数据检查的决定或“设置重点监控”操作产生，导入时只能与系统中的值"
           "一致（新增机构为未评级、否），不同的值整个文件不予导入。",
           "修改已有机构的机构类型、机构类别、医院等级、区划代码或协议状态会影响随机抽取的概率：导入时须填写"
           "变更原因，变更将在该区域下次抽取审批时逐条列出。"] if spec.kind == "institutions" else []),
    ]


def _write_instructions(ws: Any, spec: Spec) -> None:
    for letter, width in zip("ABCDE", (18, 8, 60, 40, 24), strict=True):
        ws.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")

    def text_row(values: list[str], bold: bool = False) -> list[Any]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type, cell.alignment = "s", wrap
            if bold:
                cell.font = _HEADER_FONT
            cells.append(cell)
        return cells

    ws.append(text_row([f"{spec.sheet} 导入模板填写说明"], bold=True))
    lines = [*instruction_lines(spec), "下表“示例”一栏是一条示例记录，仅供参考，请勿填入数据表。"]
    for number, line in enumerate(lines, start=1):
        ws.append(text_row([f"{number}.", "", line]))
    ws.append([])
    ws.append(text_row(["列名", "必填", "说明", "可填写的值", "示例"], bold=True))
    for col in spec.columns:
        ws.append(text_row([col.header, "是" if col.required else "", col.help, col.allowed(), col.example]))


# --------------------------------------------------------------------------------------------
# reading files


@dataclass(frozen=True)
class RowError:
    """One problem: Excel row number (0 = the file as a whole), column header, Chinese message."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        where = f"第 {self.row} 行" + (f"「{self.column}」" if self.column else "")
        return f"{where}：{self.message}"


def unlisted_text(count: int) -> str:
    """The line under a report that lists only the first :data:`MAX_REPORTED_ERRORS` errors."""
    return f"还有 {count} 个错误未列出" if count > 0 else ""


class _Errors(list):  # type: ignore[type-arg]
    """The errors of one import: every error counted, the first ``cap`` by row kept (memory stays bounded
    however many rows are wrong). Errors of one row keep the order they were found in (cells left to right)."""

    def __init__(self, cap: int | None = None) -> None:
        super().__init__()
        self.cap, self.dropped = cap or MAX_REPORTED_ERRORS, 0

    def append(self, error: RowError) -> None:  # type: ignore[override]
        super().append(error)
        if len(self) >= 2 * self.cap:
            self.trim()

    def trim(self) -> None:
        self.sort(key=lambda e: e.row)  # stable
        self.dropped += max(0, len(self) - self.cap)
        del self[self.cap:]

    @property
    def total(self) -> int:
        return len(self) + self.dropped


class ImportFileError(Exception):
    """The file cannot be read at all (format, encoding, type): the reader's message, in Chinese."""


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (Excel row number, cells), blank rows dropped
    csv: bool = False


def read_table(data: bytes, filename: str, sheet: str | None = None, progress: Progress | None = None,
               header_ok: Callable[[list[str]], bool] | None = None) -> Table:
    """The header row and the non-blank data rows of an .xlsx (sheet ``sheet`` or the first sheet
    other than 填写说明) or .csv file (``spotcheck.base.tabular``). ``progress`` hears every few
    thousand rows read (.xlsx). When ``header_ok(headers)`` is false the rows are not read at all (a
    file whose header already shows it cannot be imported fails at once). More than
    ``SPOTCHECK_IMPORT_MAX_ROWS`` rows (blank ones included) is an ``ImportFileError``."""

    def reading(number: int) -> None:
        if progress is not None:
            progress(0, 0, f"正在读取文件：已读取 {number} 行")

    try:
        rows = tabular.iter_rows(data, filename, max_rows=settings.SPOTCHECK_IMPORT_MAX_ROWS, sheet=sheet,
                                 skip_sheets=[INSTRUCTIONS_SHEET], progress=reading)
        first = next(rows, None)
        headers = ["" if h is None else str(h) for h in first[1]] if first else []
        body = [] if header_ok is not None and not header_ok(headers) else list(rows)
    except tabular.UnreadableFile as exc:
        raise ImportFileError(str(exc)) from None
    return Table(headers, body, csv=filename.lower().endswith(".csv"))


# --------------------------------------------------------------------------------------------
# parsing cells


class _CellError(Exception):
    pass


_KEEP = object()  # a masked personal-data cell: keep the stored value


def _cell_text(value: Any, from_csv: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if abs(value) >= 1e15:
            raise _CellError("该单元格是数字格式，超过 15 位的数字已被 Excel 截断；请将该列设置为文本格式后重新填写")
        return str(int(value)) if float(value).is_integer() else str(value)
    text = str(value).strip()
    if from_csv and len(text) > 1 and text[0] == "'" and text[1] in tabular.FORMULA_START:
        text = text[1:]
    return text


def _parse_date(value: Any, text: str) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        return from_excel(value).date()
    if not text:
        return None
    match = _DATE_RE.match(text) or re.match(r"^(\d{4})(\d{2})(\d{2})$", text)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise _CellError(f"“{text}”不是有效日期，请写成 YYYY-MM-DD，如 2024-03-01")


def _parse_cell(col: Column, value: Any, from_csv: bool) -> Any:
    """The model value of one cell: ``_KEEP`` for a masked personal-data cell, ``""`` for an empty
    enum cell (the importer substitutes the field default)."""
    text = "" if isinstance(value, dt.date) else _cell_text(value, from_csv)
    if col.upper:
        text = text.upper()
    if col.required and not text and not isinstance(value, dt.date):
        raise _CellError("不能为空")
    if col.type == "date":
        return _parse_date(value, text)
    if col.mask is not None and masking.MASK_CHAR in text:
        return _KEEP
    if col.type == "bool":
        upper = text.upper()
        if upper in _TRUE:
            return True
        if not text or upper in _FALSE:
            return False
        raise _CellError(f"“{text}”应为“是”或“否”")
    if col.type == "enum":
        if not text:
            return ""
        choices = col.choices
        assert choices is not None
        for value_, label in choices.choices:
            if text in (str(label), value_):
                return value_
        raise _CellError(f"“{text}”不是可选值，应为：{'、'.join(str(x) for x in choices.labels)}")
    if col.type == "region" and text:
        try:
            return validate_region_code(text)
        except CodeError as exc:
            raise _CellError(exc.message)
    return text


# --------------------------------------------------------------------------------------------
# validation


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    key: tuple[Any, ...] | None  # None when a key cell is wrong
    #: Fields whose cell or lookup was already reported wrong (their model errors would repeat it).
    bad: set[str] = field(default_factory=set)


@dataclass
class ImportResult:
    """Outcome of an import. ``errors`` non-empty means nothing was written."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: The first ``MAX_REPORTED_ERRORS`` errors by row; ``error_count`` counts them all.
    errors: list[RowError] = field(default_factory=list)
    unlisted: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.unlisted

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (at most ``MAX_REPORTED_ERRORS`` errors; ``error_count`` is complete)."""
        return {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_count": self.error_count,
            "errors": [[e.row, e.column, e.message] for e in self.errors[:MAX_REPORTED_ERRORS]],
        }


def _chunks(items: list[Any], size: int = _BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Importer:
    """Validates the rows of one file for one actor; subclasses load and resolve the lookups."""

    #: The field whose column an out-of-area row is reported in.
    scope_field = "region_id"

    def __init__(self, spec: Spec, actor: Any) -> None:
        self.spec, self.actor = spec, actor
        self.present: list[tuple[int, Column]] | None = None  # header index → column (check_header)
        self.errors = _Errors()
        #: (row number, field) of every change to an editable draw-relevant field (needs a reason).
        self.draw_changes: list[tuple[int, str]] = []
        self.existing: dict[tuple[Any, ...], Any] = {}
        self.regions: set[str] = set()
        self.headers = {c.field: c.header for c in spec.columns}
        for f in spec.model._meta.concrete_fields:
            self.headers.setdefault(f.name, self.headers.get(f.attname, str(f.verbose_name)))
        self.fk_names = [f.name for f in spec.model._meta.concrete_fields if f.is_relation]
        self.enum_defaults = {
            c.field: spec.model._meta.get_field(c.field).get_default() for c in spec.columns if c.type == "enum"
        }

    def error(self, row: int, field_name: str, message: str) -> None:
        self.errors.append(RowError(row, self.headers.get(field_name, ""), message))

    def row_error(self, row: _Row, field_name: str, message: str) -> None:
        """Report an error of ``row`` (once per field: a wrong cell is not reported again by the model)."""
        if field_name and field_name in row.bad:
            return
        self.error(row.number, field_name, message)
        row.bad.add(field_name or NON_FIELD_ERRORS)

    # -- hooks --------------------------------------------------------------------------------
    def load(self, rows: list[_Row]) -> None:
        """Fetch the existing rows and lookup targets the file refers to (in chunks)."""
        if self.spec.column("region_id"):
            self.regions = set(Region.objects.values_list("code", flat=True))

    def resolve(self, row: _Row) -> str | None:
        """Replace lookup texts in ``row.values`` by objects; return the row's region code (or ``None``).

        A lookup that fails is reported and its value removed, so the row's other cells are still checked."""
        code = row.values.get("region_id")
        if code is None:
            return None
        if code not in self.regions:
            self.row_error(row, "region_id", f"区划代码 {code} 不存在，请先导入行政区划")
            del row.values["region_id"]
            return None
        return code

    @staticmethod
    def region_of(obj: Any) -> str:
        return obj.audit_region_code

    def new_object(self) -> models.Model:
        return self.spec.model()

    def vet(self, row: _Row, before: dict[str, Any], obj: Any, creating: bool) -> bool:
        """Extra checks of a valid row (after ``full_clean``); report errors and return False to drop it."""
        return True

    # -- the generic pass ---------------------------------------------------------------------
    def check_header(self, headers: list[str]) -> bool:
        """Map the header row to columns (errors: unknown, repeated or missing required columns)."""
        by_header = {c.header: c for c in self.spec.columns}
        present: list[tuple[int, Column]] = []
        seen_headers: set[str] = set()
        for index, raw in enumerate(headers):
            header = raw.strip()
            if not header:
                continue
            if header in seen_headers:
                self.errors.append(RowError(1, header, "列名重复"))
            elif header not in by_header:
                self.errors.append(RowError(1, header, f"未知的列名，请使用模板中的列名：{'、'.join(by_header)}"))
            else:
                present.append((index, by_header[header]))
            seen_headers.add(header)
        for col in self.spec.columns:
            if col.required and col.header not in seen_headers:
                self.errors.append(RowError(1, col.header, "缺少必填列"))
        self.present = present
        return not self.errors

    def parse(self, table: Table) -> list[_Row] | None:
        """Map the header (unless :meth:`check_header` did), parse every cell, reject duplicate keys;
        ``None`` for a bad header."""
        if self.present is None:
            self.check_header(table.headers)
        if self.errors:
            return None
        present = self.present or []
        rows: list[_Row] = []
        first_row: dict[tuple[Any, ...], int] = {}
        for number, cells in table.rows:
            row = _Row(number, {}, None)
            for index, col in present:  # every cell, also after a wrong one
                try:
                    value = _parse_cell(col, cells[index] if index < len(cells) else None, table.csv)
                except _CellError as exc:
                    self.errors.append(RowError(number, col.header, str(exc)))
                    row.bad.add(col.field)
                    continue
                row.values[col.field] = self.enum_defaults[col.field] if value == "" and col.type == "enum" else value
            if not row.bad.intersection(self.spec.key):
                row.key = tuple(row.values[f] for f in self.spec.key)
                if row.key in first_row:
                    self.row_error(row, self.spec.key[0],
                                   f"「{self.spec.key_headers}」与第 {first_row[row.key]} 行重复，同一文件中只能出现一次")
                    row.key = None  # checked like a new row, never written
                else:
                    first_row[row.key] = number
            rows.append(row)
        return rows

    def check(self, rows: list[_Row], plan: _Plan, progress: Progress | None, total: int) -> None:
        """Resolve, scope-check and ``full_clean`` every row, filling ``plan``."""
        self.load(rows)
        step = max(_BATCH, total // 50)
        for done, row in enumerate(rows, start=1):
            self.check_row(row, plan)
            if progress is not None and done % step == 0:
                progress(done, total, f"正在校验：已校验 {done} / {total} 行")

    def check_row(self, row: _Row, plan: _Plan) -> None:
        """Every check of the row, each reporting its errors (a wrong cell does not hide the others); a row
        with any error is not planned. A row outside the user's area is checked as a new row: its messages
        never tell anything about the stored row."""
        region = self.resolve(row)
        in_scope = True
        if region is not None and not self.actor.in_scope(region):
            self.row_error(row, self.scope_field, f"区划代码 {region} 不在您的管辖范围内")
            in_scope = False
        obj = self.existing.get(row.key) if row.key is not None else None
        if obj is not None and not self.actor.in_scope(self.region_of(obj)):
            self.row_error(row, self.spec.key[0],
                           f"该记录已存在于区域 {self.region_of(obj)}，不在您的管辖范围内，不能修改")
            obj, in_scope = None, False
        creating = obj is None
        if creating:
            obj = self.new_object()
        before = {} if creating else snapshot(obj)
        for name, value in row.values.items():
            if value is _KEEP:
                if creating:
                    self.row_error(row, name, "含 * 的脱敏值只能用于更新已有记录，新增记录请填写完整号码")
                continue
            setattr(obj, name, value)
        exclude = [*self.fk_names, *(n for n in row.bad if n != NON_FIELD_ERRORS)]
        try:
            obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    if name not in row.bad:
                        self.error(row.number, "" if name == NON_FIELD_ERRORS else name, message)
                row.bad.add(name)
        if not in_scope:
            return
        if not self.vet(row, before, obj, creating) or row.bad:
            return
        if creating:
            plan.creates.append((row.number, obj))
            return
        diff = changed_fields(before, snapshot(obj))
        if diff:
            plan.updates.append((row.number, obj, {k: before[k] for k in diff}, diff))
        else:
            plan.unchanged += 1

    def load_existing(self, lookup: str, keys: list[Any], key_of: Callable[[Any], tuple[Any, ...]]) -> None:
        qs = self.spec.model.objects.select_related(*self.spec.related)
        for chunk in _chunks(sorted(set(keys))):
            for obj in qs.filter(**{f"{lookup}__in": chunk}):
                self.existing[key_of(obj)] = obj


class _InstitutionImporter(_Importer):
    def load(self, rows: list[_Row]) -> None:
        super().load(rows)
        self.load_existing("fixmedins_code", [r.key[0] for r in rows if r.key is not None],
                           lambda o: (o.fixmedins_code,))

    def vet(self, row: _Row, before: dict[str, Any], obj: Any, creating: bool) -> bool:
        """信用等级 and 重点监控 only repeat the stored value; note changes of the other draw fields."""
        given = {n: row.values[n] for n in ownership.OWNED_FIELDS if n in row.values}
        problems = ownership.owned_problems(None if creating else before, given, where="导入", source="文件中")
        for name, message in problems.items():
            self.error(row.number, name, message)
        if problems:
            return False
        if not creating:
            after = {n: getattr(obj, n) for n in ownership.EDITABLE_DRAW_FIELDS}
            self.draw_changes += [(row.number, n) for n in ownership.changed_draw_fields(before, after)]
        return True


class _InspectorImporter(_Importer):
    def load(self, rows: list[_Row]) -> None:
        super().load(rows)
        self.departments = {d.name: d for d in Department.objects.all()}
        self.load_existing("number", [r.key[0] for r in rows if r.key is not None], lambda o: (o.number,))

    def resolve(self, row: _Row) -> str | None:
        region = super().resolve(row)
        name = row.values.get("department")
        if name is not None:
            department = self.departments.get(name)
            if department is None:
                self.row_error(row, "department", f"部门“{name}”不存在，请核对部门全称或先建立该部门")
                del row.values["department"]
            else:
                row.values["department"] = department
        return region


class _ConflictImporter(_Importer):
    scope_field = "institution"

    def load(self, rows: list[_Row]) -> None:
        super().load(rows)
        numbers = sorted({r.values["inspector"] for r in rows if "inspector" in r.values})
        codes = sorted({r.values["institution"] for r in rows if "institution" in r.values})
        visible_inspectors = Inspector.objects.restrict(self.actor, "view")
        visible_institutions = Institution.objects.restrict(self.actor, "view")
        self.inspectors = {o.number: o for c in _chunks(numbers) for o in visible_inspectors.filter(number__in=c)}
        self.institutions = {
            o.fixmedins_code: o for c in _chunks(codes) for o in visible_institutions.filter(fixmedins_code__in=c)
        }
        self.load_existing(
            "institution__fixmedins_code", codes,
            lambda o: (o.inspector.number, o.institution.fixmedins_code, o.reason, o.valid_from),
        )

    def resolve(self, row: _Row) -> str | None:
        found: dict[str, Any] = {}
        for name, rows_by_code, label in (("inspector", self.inspectors, "人员编号"),
                                          ("institution", self.institutions, "机构编码")):
            if name not in row.values:  # its cell was wrong (reported)
                continue
            code = row.values.pop(name)
            found[name] = rows_by_code.get(code)
            if found[name] is None:
                self.row_error(row, name, f"{label} {code} 不存在或不在您的管辖范围内")
            else:
                row.values[name] = found[name]
        institution = found.get("institution")
        return institution.region_id if institution is not None else None

    def new_object(self) -> models.Model:
        return Conflict(recorded_by=self.actor if getattr(self.actor, "pk", None) else None)


_IMPORTERS: dict[str, type[_Importer]] = {
    "institutions": _InstitutionImporter,
    "inspectors": _InspectorImporter,
    "conflicts": _ConflictImporter,
}


@dataclass
class _Plan:
    creates: list[tuple[int, Any]] = field(default_factory=list)
    updates: list[tuple[int, Any, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0


# --------------------------------------------------------------------------------------------
# import


def import_file(
    kind: str, data: bytes, filename: str, *, actor: Any, progress: Progress | None = None, reason: str = ""
) -> ImportResult:
    """Validate the whole file, then (only if every row is valid) write it in one transaction.

    Raises ``PermissionDenied`` when ``actor`` lacks ``change``; everything else wrong is in
    ``ImportResult.errors``. ``progress(done, total, message)`` is called every few hundred rows
    while reading and validating; the write is one transaction, invisible to other connections
    until it commits, so it is reported as one step. ``reason`` (变更原因) is required when the
    file changes a draw-relevant field of an existing institution; it is added to the audit reason
    of every event (``批量导入 <文件名>：<reason>``).
    """
    spec = get_spec(kind)
    require(actor, "change")
    result = ImportResult(kind)
    with translation.override(settings.LANGUAGE_CODE):
        importer = _IMPORTERS[kind](spec, actor)
        try:
            table = read_table(data, filename, spec.sheet, progress, header_ok=importer.check_header)
        except ImportFileError as exc:
            result.errors.append(RowError(0, "", str(exc)))
            return result
        result.rows = total = len(table.rows)
        rows = importer.parse(table)
        plan = _Plan()
        if rows is not None:
            importer.check(rows, plan, progress, total)
        reason = (reason or "").strip()
        if importer.draw_changes and not reason:
            importer.errors.append(RowError(0, "", _reason_needed(importer)))
        if importer.errors:
            importer.errors.trim()
            result.errors, result.unlisted = list(importer.errors), importer.errors.dropped
            return result
        if progress is not None:
            progress(total, total, "校验通过，正在写入数据库…")
        _write(spec, actor, plan, reason=f"批量导入 {Path(filename).name}" + (f"：{reason}" if reason else ""))
    result.created, result.updated, result.unchanged = len(plan.creates), len(plan.updates), plan.unchanged
    return result


def _reason_needed(importer: _Importer) -> str:
    changes = importer.draw_changes
    shown = "、".join(f"第 {n} 行“{importer.headers.get(f, f)}”" for n, f in changes[:5])
    more = f"等 {len(changes)} 处" if len(changes) > 5 else ""
    return (f"文件修改了已有机构影响随机抽取的字段（{shown}{more}），请填写变更原因后重新导入；"
            "变更及原因将在该区域下次抽取审批时逐条列出")


@action
def _write(spec: Spec, actor: Any, plan: _Plan, reason: str) -> None:
    """Write a checked import (the action of an import: one durable transaction)."""
    model = spec.model
    names = {f.attname: f.name for f in model._meta.concrete_fields}
    stamp = "updated_at" if "updated_at" in names else None
    now = timezone.now()
    groups: dict[tuple[str, ...], list[Any]] = {}
    for _, obj, _, after in plan.updates:  # only the changed fields are written
        groups.setdefault(tuple(sorted(names[a] for a in after)), []).append(obj)
        if stamp:
            obj.updated_at = now
    with atomic_action():
        check_rows(model, [obj.pk for objs in groups.values() for obj in objs])
        model.objects.bulk_create([obj for _, obj in plan.creates], batch_size=_BATCH)
        for fields_, objs in groups.items():
            names = prepare_bulk(objs, fields_)  # encrypts 身份证号/phones and adds their digest columns
            model.objects.bulk_update(objs, [*names, stamp] if stamp else names, batch_size=_BATCH)
        # Created objects hold exactly what was written (bulk_create sets pk and created_at on them). Updated
        # rows are read back: bulk_update wrote only the changed fields, and the other fields may have been
        # changed by someone else since the file was validated.
        events = [(n, Pending.of(o, "create", after=snapshot(o), reason=reason)) for n, o in plan.creates]
        pks = [o.pk for _, o, _, _ in plan.updates]
        fresh = {}
        for i in range(0, len(pks), _BATCH):
            fresh.update(model._base_manager.in_bulk(pks[i:i + _BATCH]))
        events += [(n, Pending.of(fresh[o.pk], "update", before=b, after=a, reason=reason))
                   for n, o, b, a in plan.updates]
        record_many(actor, [p for _, p in sorted(events, key=lambda e: e[0])])


def import_regions(data: bytes, filename: str, *, actor: Any) -> ImportResult:
    """Import a GB/T 2260 table (CSV ``code,name[,parent]``) all-or-nothing; one summary audit event.

    Needs the ``admin`` permission (regions are shared by every area)."""
    require(actor, "admin")
    result = ImportResult("regions")
    try:
        rows = parse_region_csv(io.StringIO(tabular.decode_text(data), newline=""))
    except (tabular.UnreadableFile, CodeError) as exc:
        result.errors.append(RowError(0, "", getattr(exc, "message", str(exc))))
        return result
    stored = {code: (name, parent) for code, name, parent in Region.objects.values_list("code", "name", "parent_id")}
    result.rows = len(rows)
    result.created = sum(1 for code, _, _ in rows if code not in stored)
    result.updated = sum(1 for code, name, parent in rows if code in stored and stored[code] != (name, parent))
    result.unchanged = result.rows - result.created - result.updated
    try:
        with atomic_action():
            upsert_regions(Region, rows)
            if result.created or result.updated:
                record(actor, "import", object_type="directory.region", object_id="", region_code="",
                       after={"file": Path(filename).name, "rows": result.rows, "created": result.created,
                              "updated": result.updated},
                       reason=f"导入行政区划 {Path(filename).name}")
                written = [code for code, name, parent in rows if stored.get(code) != (name, parent)]
                for i in range(0, len(written), 1000):
                    record_rows(actor, "import", Region.objects.filter(code__in=written[i:i + 1000]),
                                reason=f"导入行政区划 {Path(filename).name}")
    except CodeError as exc:
        result.errors.append(RowError(0, "", exc.message))
        result.created = result.updated = result.unchanged = 0
    return result


def error_report_xlsx(errors: Iterable[RowError], unlisted: int = 0) -> bytes:
    """The per-row error report (行号, 列, 错误说明) as an .xlsx file; ``unlisted`` errors beyond the report's
    cap are counted in a last line."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误报告")
    for letter, width in zip("ABC", (8, 20, 80), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.append(["行号", "列", "错误说明"])
    for e in errors:
        ws.append(tabular.xlsx_cells(ws, [e.row or "", e.column, e.message]))
    if unlisted > 0:
        ws.append(tabular.xlsx_cells(ws, ["", "", unlisted_text(unlisted)]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run_import_job(job: Any) -> dict[str, Any]:
    """Body of an import ``Job`` (kind ``import:<kind>``): import ``job.file_path`` as
    ``job.created_by``, report progress on the job, delete the file afterwards. The 变更原因 typed
    on the upload form travels in the queued job's ``result`` as ``{"reason": …}`` (replaced by the
    outcome when the job ends).

    Raises ``JobFailed`` carrying :meth:`ImportResult.as_dict` when the file has errors."""
    from spotcheck.jobs.runner import JobFailed

    kind = job.kind.split(":", 1)[1]
    path = Path(job.file_path)
    reason = str((job.result or {}).get("reason", "")) if isinstance(job.result, dict) else ""
    try:
        data = path.read_bytes()
        job.set_progress(0, 0, "正在读取文件…")
        result = import_file(kind, data, job.file_name or path.name, actor=job.created_by, progress=job.set_progress,
                             reason=reason)
    finally:
        path.unlink(missing_ok=True)
    if not result.ok:
        raise JobFailed(f"导入失败：共 {result.error_count} 处错误，未写入任何数据", result.as_dict())
    job.set_progress(result.rows, result.rows, "导入完成", final=True)
    return result.as_dict()


def run_export_job(job: Any) -> dict[str, Any]:
    """Body of an export ``Job`` (kind ``export:<kind>``): the list as ``job.created_by`` filtered it
    (``{"query": [[name, [values]], …], "format": "xlsx"|"csv"}`` in the queued job's ``result``),
    written under ``MEDIA_ROOT/exports/`` and attached to the job; the worker removes it after
    ``SPOTCHECK_JOB_FILES_KEEP_DAYS``. Returns the rows written and the download name."""
    import uuid

    from django.http import QueryDict

    kind = job.kind.split(":", 1)[1]
    spec = get_spec(kind)
    params = job.result if isinstance(job.result, dict) else {}
    fmt = params.get("format") if params.get("format") in FORMATS else "xlsx"
    query = QueryDict(mutable=True)
    for name, values in params.get("query", []):
        query.setlist(str(name), [str(v) for v in values])
    job.set_progress(0, 0, "正在读取数据…")
    data = export_for(job.created_by, kind, query, fmt, progress=job.set_progress)
    folder = Path(settings.MEDIA_ROOT) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.{fmt}"
    path.write_bytes(data)
    job.attach_file(str(path))
    rows = job.done
    job.set_progress(rows, rows, "导出完成", final=True)
    return {"name": f"{spec.sheet}-{timezone.localdate():%Y%m%d}.{fmt}", "rows": rows, "format": fmt,
            "masked": not can(job.created_by, "change")}
