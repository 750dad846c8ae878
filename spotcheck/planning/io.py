"""Excel for item lists (export = import template) and the uploaded list of a directed task.

Item-list columns follow 附件4. ``检查对象类型`` is optional on import: when blank it is inferred
from ``检查对象`` ("全市定点零售药店" → 定点零售药店). A blank ``抽查类别`` repeats the one above
(the official table merges that column). Parsing here checks each row on its own; the database
checks (items used by tasks, unknown institutions) are in ``actions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from spotcheck.core.codes import CodeError, validate_fixmedins_code

from .models import CheckItem, ItemList, ItemType, TargetKind
from .ratios import RatioError, parse_ratio
from .tabular import ImportRejected, RowError, missing_columns, read_rows, write_xlsx

#: Column header → CheckItem attribute, in file order.
ITEM_COLUMNS: dict[str, str] = {
    "序号": "seq",
    "抽查类别": "category",
    "抽查事项": "name",
    "检查对象": "target",
    "检查对象类型": "target_kind",
    "事项类别": "item_type",
    "检查比例": "ratio_text",
    "检查频次": "frequency",
    "检查方式": "methods",
    "检查主体": "subjects",
    "检查依据": "basis",
}
ITEM_REQUIRED = ("序号", "抽查类别", "抽查事项", "检查对象", "事项类别")
ITEM_ALIASES = {"抽查事项（内容）": "抽查事项", "抽查事项(内容)": "抽查事项", "抽查内容": "抽查事项"}

_ENUM_FIELDS = ("target_kind", "item_type")  # cells hold labels, mapped below
_ITEM_TYPES = {label: value for value, label in ItemType.choices} | {"一般": ItemType.GENERAL, "重点": ItemType.KEY}
_TARGET_KINDS = {label: value for value, label in TargetKind.choices} | {v: v for v in TargetKind.values}

SCOPE_CODE_COLUMN = "定点医药机构编码"
SCOPE_ALIASES = {"定点编码": SCOPE_CODE_COLUMN, "机构编码": SCOPE_CODE_COLUMN, "fixmedins_code": SCOPE_CODE_COLUMN}


@dataclass(frozen=True)
class ItemRow:
    row: int
    data: dict[str, Any]


def infer_target_kind(target: str) -> str | None:
    """The kind of inspected object named by a 检查对象 text, or ``None`` when unclear."""
    if "经办" in target:
        return TargetKind.AGENCY
    if "药店" in target:
        return TargetKind.PHARMACY
    if "医药机构" in target:
        return TargetKind.ALL
    if "医疗机构" in target:
        return TargetKind.MEDICAL
    return None


def export_items(item_list: ItemList) -> bytes:
    """The list as .xlsx; the file imports back unchanged."""
    rows = (
        [item.seq, item.category, item.name, item.target, item.get_target_kind_display(),
         item.get_item_type_display(), item.ratio_text, item.frequency, item.methods, item.subjects, item.basis]
        for item in item_list.items.order_by("seq")
    )
    return write_xlsx("抽查事项清单", list(ITEM_COLUMNS), rows)


def _max_length(attr: str) -> int | None:
    return getattr(CheckItem._meta.get_field(attr), "max_length", None)


def _parse_item_row(number: int, cells: dict[str, str], category_above: str) -> tuple[dict[str, Any], list[RowError]]:
    """One row's CheckItem values and its problems (a blank 抽查类别 takes ``category_above``)."""
    problems: list[RowError] = []
    data: dict[str, Any] = {}
    for column, attr in ITEM_COLUMNS.items():
        value = cells.get(column, "")
        limit = None if attr in _ENUM_FIELDS else _max_length(attr)
        if limit and len(value) > limit:
            problems.append(RowError(number, column, f"不能超过 {limit} 个字"))
        data[attr] = value
    data["category"] = data["category"] or category_above
    for column in ("抽查类别", "抽查事项", "检查对象", "事项类别"):
        if not data[ITEM_COLUMNS[column]]:
            problems.append(RowError(number, column, "不能为空"))
    seq = data["seq"]
    if not seq.isdigit() or not 1 <= int(seq) <= 32767:
        problems.append(RowError(number, "序号", f"“{seq}”不是有效的序号（正整数）" if seq else "不能为空"))
    else:
        data["seq"] = int(seq)
    if data["item_type"] and data["item_type"] not in _ITEM_TYPES:
        problems.append(RowError(number, "事项类别", f"“{data['item_type']}”应为“一般检查事项”或“重点检查事项”"))
    data["item_type"] = _ITEM_TYPES.get(data["item_type"], "")
    kind_text = data["target_kind"]
    kind = _TARGET_KINDS.get(kind_text) if kind_text else infer_target_kind(data["target"])
    if kind is None and (kind_text or data["target"]):
        choices = "、".join(TargetKind.labels)
        problems.append(RowError(number, "检查对象类型", f"“{kind_text}”不合法，应为{choices}之一" if kind_text
                                 else f"无法从检查对象判断类型，请填写：{choices}"))
    data["target_kind"] = kind or ""
    data["ratio_num"] = data["ratio_den"] = None
    if data["ratio_text"]:
        try:
            ratio = parse_ratio(data["ratio_text"])
            data["ratio_num"], data["ratio_den"] = ratio.num, ratio.den
        except RatioError as exc:
            problems.append(RowError(number, "检查比例", str(exc)))
    return data, problems


def parse_items(upload: Any) -> list[ItemRow]:
    """Rows of an item-list file as CheckItem field values; :class:`ImportRejected` lists every bad cell."""
    table = read_rows(upload, "抽查事项", ITEM_ALIASES)
    errors = missing_columns(table, ITEM_REQUIRED)
    if errors:
        raise ImportRejected(errors)
    rows: list[ItemRow] = []
    seen: dict[int, int] = {}
    category = ""
    for number, cells in table.rows:
        data, problems = _parse_item_row(number, cells, category)
        category = data["category"]
        seq = data["seq"]
        if isinstance(seq, int):
            if seq in seen:
                problems.append(RowError(number, "序号", f"序号 {seq} 与第 {seen[seq]} 行重复"))
            seen.setdefault(seq, number)
        errors.extend(problems)
        rows.append(ItemRow(number, data))
    if not rows and not errors:
        errors.append(RowError(0, "", "文件中没有数据行"))
    if errors:
        raise ImportRejected(errors)
    return rows


def check_codes(pairs: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """Validate ``(row, text)`` institution codes; returns them normalised or raises :class:`ImportRejected`."""
    errors: list[RowError] = []
    codes: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, raw in pairs:
        if not str(raw or "").strip():
            errors.append(RowError(number, SCOPE_CODE_COLUMN, "不能为空"))
            continue
        try:
            code = validate_fixmedins_code(str(raw))
        except CodeError as exc:
            errors.append(RowError(number, SCOPE_CODE_COLUMN, exc.message))
            continue
        if code in seen:
            errors.append(RowError(number, SCOPE_CODE_COLUMN, f"{code} 与第 {seen[code]} 行重复"))
            continue
        seen[code] = number
        codes.append((number, code))
    if not codes and not errors:
        errors.append(RowError(0, SCOPE_CODE_COLUMN, "没有机构编码"))
    if errors:
        raise ImportRejected(errors)
    return codes


def parse_scope_codes(upload: Any) -> list[tuple[int, str]]:
    """``(row, fixmedins_code)`` pairs of an uploaded directed-scope list (column 定点医药机构编码)."""
    table = read_rows(upload, SCOPE_CODE_COLUMN, SCOPE_ALIASES)
    return check_codes((number, cells.get(SCOPE_CODE_COLUMN, "")) for number, cells in table.rows)
