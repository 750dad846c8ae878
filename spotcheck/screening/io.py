"""Import of one claims batch: ``mdtrt_d``, ``setl_d`` and ``fee_list_d`` as CSV or xlsx.

All or nothing: every row of the three tables is parsed and checked first (required fields, dates,
Decimal money, known ``fixmedins_code`` in the importer's area, visits referenced by settlements and
fee lines, duplicate ids); any error stops the import before anything is written, and the errors name
the file, the row (as numbered in the file, header = row 1) and the field. Then the rows are written
with bulk inserts in one transaction, with one audit event for the batch.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from spotcheck.base import tabular

TABLES = ("mdtrt_d", "setl_d", "fee_list_d")
TABLE_NAMES = {"mdtrt_d": "就诊信息", "setl_d": "结算信息", "fee_list_d": "费用明细"}
REQUIRED = {
    "mdtrt_d": ("mdtrt_id", "psn_no", "fixmedins_code", "begntime", "med_type"),
    "setl_d": ("setl_id", "mdtrt_id", "psn_no", "fixmedins_code", "setl_time", "medfee_sumamt"),
    "fee_list_d": ("feedetl_sn", "mdtrt_id", "fixmedins_code", "fee_ocur_time", "hilist_code", "hilist_name",
                   "cnt", "pric", "det_item_fee_sumamt"),
}
FIELD_LABELS = {
    "mdtrt_id": "就诊ID", "psn_no": "人员编号", "gend": "性别", "brdy": "出生日期", "fixmedins_code": "定点医药机构编码",
    "begntime": "开始时间", "endtime": "结束时间", "med_type": "医疗类别", "dscg_maindiag_code": "出院主诊断代码",
    "setl_id": "结算ID", "setl_time": "结算时间", "medfee_sumamt": "医疗费总额", "inscp_amt": "符合范围金额",
    "fund_pay_sumamt": "基金支付总额", "feedetl_sn": "费用明细流水号", "fee_ocur_time": "费用发生时间",
    "hilist_code": "医保目录编码", "hilist_name": "医保目录名称", "cnt": "数量", "pric": "单价",
    "det_item_fee_sumamt": "明细项目费用总额", "pric_uplmt_amt": "最高限价", "prd_days": "周期天数",
    "vali_flag": "有效标志",
}
TZ = ZoneInfo("Asia/Shanghai")
PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_ERRORS = 200
QUANTS = {2: Decimal("0.01"), 4: Decimal("0.0001")}
LIMITS = {2: Decimal(10) ** 12, 4: Decimal(10) ** 10}  # max_digits 14


class ImportFailed(Exception):
    """The import was refused; ``errors`` are Chinese messages naming file, row and field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Source:
    """One table's rows: ``rows`` yields (row number, {field: text}) pairs."""

    table: str
    filename: str
    rows: Iterable[tuple[int, dict[str, str]]]


def table_of(filename: str) -> str | None:
    stem = Path(filename).name.lower()
    for table in sorted(TABLES, key=len, reverse=True):
        if stem.startswith(table):
            return table
    return None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _records(rows: Iterator[tuple[int, list[Any]]], filename: str) -> Iterator[tuple[int, dict[str, str]]]:
    """``(row number, {column: text})`` from the shared reader's rows (header: lower-case names)."""
    try:
        first = next(rows, None)
        if first is None:
            return
        header = [_cell(h).lower() for h in first[1]]
        for number, values in rows:
            yield number, dict(zip(header, (_cell(v) for v in values), strict=False))
    except tabular.UnreadableFile as exc:
        raise ImportFailed([f"{filename}：{exc}"]) from None


def read_csv(data: bytes | BinaryIO, filename: str, max_rows: int | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file (UTF-8 or GB18030); ``data`` may be an open binary file, read as a stream."""
    return _records(tabular.iter_csv(data, max_rows=max_rows), filename)


def read_xlsx(data: bytes | BinaryIO, filename: str, max_rows: int | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of the first sheet of a workbook (``data`` may be an open binary file, read as a stream)."""
    return _records(tabular.iter_xlsx(data, max_rows=max_rows), filename)


def source_from_bytes(filename: str, data: bytes | BinaryIO, max_rows: int | None = None) -> Source:
    """One table's rows from a file already through the upload check (``base.uploads``, kind ``claims``);
    past ``max_rows`` rows (blank ones included) reading stops with ``ImportFailed``."""
    table = table_of(filename)
    if table is None:
        raise ImportFailed([f"{filename}：无法识别的文件名，应以 mdtrt_d、setl_d 或 fee_list_d 开头"])
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return Source(table, filename, read_csv(data, filename, max_rows))
    if suffix == ".xlsx":
        return Source(table, filename, read_xlsx(data, filename, max_rows))
    raise ImportFailed([f"{filename}：只支持 CSV 或 xlsx 文件"])


def sources_from_paths(paths: Iterable[str | Path], max_rows: int | None = None) -> list[Source]:
    """Files, or directories whose mdtrt_d*/setl_d*/fee_list_d* files are taken. Every file first passes the
    upload check of imports (``base.uploads.check_path``, kind ``claims``: type by content, size cap); the
    first refusal is an ``ImportFailed`` naming the file, before any file is read."""
    from spotcheck.base import uploads

    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(f for f in p.iterdir() if f.is_file() and table_of(f.name)))
        elif p.exists():
            files.append(p)
        else:
            raise ImportFailed([f"{p}：文件不存在"])
    errors = []
    for f in files:
        try:
            uploads.check_path(f, "claims")
        except uploads.UploadRejected as exc:
            errors.append(str(exc))
    if errors:
        raise ImportFailed(errors)
    return [source_from_bytes(f.name, f.open("rb"), max_rows) for f in files]


# ── parsing of one value ────────────────────────────────────────────────────

_DT_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y%m%d%H%M%S")


def parse_datetime(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        value = None
        for fmt in _DT_FORMATS + ("%Y/%m/%d", "%Y%m%d"):
            try:
                value = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if value is None:
            raise ValueError(text)
    return value.replace(tzinfo=TZ) if value.tzinfo is None else value.astimezone(TZ)


def parse_date(text: str) -> dt.date:
    return parse_datetime(text).date()


def parse_decimal(text: str) -> Decimal:
    value = Decimal(text.replace(",", ""))
    if not value.is_finite():
        raise InvalidOperation(text)
    return value


class _Row:
    """Parses the fields of one row, collecting errors named by file, row and field."""

    def __init__(self, errors: list[str], filename: str, n: int, data: dict[str, str]) -> None:
        self.errors, self.filename, self.n, self.data = errors, filename, n, data
        self.ok = True

    def error(self, name: str, message: str) -> None:
        self.ok = False
        self.errors.append(f"{self.filename} 第 {self.n} 行 {name}（{FIELD_LABELS.get(name, name)}）：{message}")

    def text(self, name: str, required: bool = False, max_length: int = 40) -> str:
        value = self.data.get(name, "") or ""
        if required and not value:
            self.error(name, "不能为空")
        elif len(value) > max_length:
            self.error(name, f"长度不能超过 {max_length} 个字符")
        return value

    def when(self, name: str, required: bool = False) -> dt.datetime | None:
        value = self.data.get(name, "") or ""
        if not value:
            if required:
                self.error(name, "不能为空")
            return None
        try:
            return parse_datetime(value)
        except ValueError:
            self.error(name, f"“{value}”不是有效的日期时间（应为 YYYY-MM-DD HH:MM:SS）")
            return None

    def money(self, name: str, required: bool = False, places: int = 2) -> Decimal | None:
        value = self.data.get(name, "") or ""
        if not value:
            if required:
                self.error(name, "不能为空")
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            try:
                amount = parse_decimal(value)
            except (InvalidOperation, ValueError):
                self.error(name, f"“{value}”不是有效的数字")
                return None
        if not amount.is_finite():
            self.error(name, f"“{value}”不是有效的数字")
            return None
        exponent = amount.as_tuple().exponent
        if exponent < -places and amount != amount.quantize(QUANTS[places]):  # type: ignore[operator]
            self.error(name, f"“{value}”最多保留 {places} 位小数")  # "25.480" is fine, "1.234" is not
            return None
        if abs(amount) >= LIMITS[places]:
            self.error(name, f"“{value}”超出允许范围")
            return None
        return amount

    def integer(self, name: str) -> int | None:
        value = self.data.get(name, "") or ""
        if not value:
            return None
        try:
            number = int(Decimal(value))
            if number < 0 or Decimal(value) != number:
                raise ValueError(value)
        except (InvalidOperation, ValueError):
            self.error(name, f"“{value}”不是有效的非负整数")
            return None
        return number


@dataclass
class Parsed:
    counts: dict[str, int]  # rows per table
    regions: list[str]
    region_counts: dict[str, list[int]]  # region -> [visits, settlements, fee lines]


Sink = Callable[[str, list[dict[str, Any]]], None]
CHUNK = 5000


def parse_sources(sources: list[Source], institutions: dict[str, tuple[int, str]],
                  in_scope: Any = None, sink: Sink | None = None) -> Parsed:
    """Parse and check everything. ``institutions`` maps fixmedins_code → (pk, region code);
    ``in_scope(region)`` says whether the importer may import that institution's data.

    Checked rows go to ``sink(table, rows)`` in chunks while no error has been found (afterwards
    rows are only checked, to report more errors); the caller runs this inside a transaction and
    rolls it back when :class:`ImportFailed` is raised, so memory stays bounded at any size."""
    errors: list[str] = []
    by_table: dict[str, list[Source]] = {t: [] for t in TABLES}
    for s in sources:
        by_table[s.table].append(s)
    for t in TABLES:
        if not by_table[t]:
            errors.append(f"缺少{TABLE_NAMES[t]}表 {t}（文件名以 {t} 开头）")
    if errors:
        raise ImportFailed(errors)

    seen_codes: dict[str, str | None] = {}

    def institution(row: _Row) -> tuple[int, str] | None:
        code = row.text("fixmedins_code", required=True, max_length=12)
        if not code:
            return None
        if code not in seen_codes:
            inst = institutions.get(code)
            if inst is None:
                seen_codes[code] = "未在检查对象名录库中找到该定点医药机构"
            elif in_scope is not None and not in_scope(inst[1]):
                seen_codes[code] = "该机构不在您的管辖范围内"
            else:
                seen_codes[code] = None
        problem = seen_codes[code]
        if problem:
            row.error("fixmedins_code", f"“{code}”{problem}")
            return None
        return institutions[code]

    def flag(row: _Row) -> str:
        value = row.text("vali_flag") or "1"
        if value not in ("0", "1"):
            row.error("vali_flag", f"“{value}”应为 1（有效）或 0（无效）")
        return value

    counts = {t: 0 for t in TABLES}
    region_counts: dict[str, list[int]] = {}
    buffers: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}

    def emit(table: str, row: dict[str, Any]) -> None:
        counts[table] += 1
        region_counts.setdefault(row["region_code"], [0, 0, 0])[TABLES.index(table)] += 1
        if errors or sink is None:
            return
        buf = buffers[table]
        buf.append(row)
        if len(buf) >= CHUNK:
            sink(table, buf)
            buffers[table] = []

    visit_index: set[str] = set()  # mdtrt_id
    for src in by_table["mdtrt_d"]:
        for n, data in src.rows:
            if len(errors) >= MAX_ERRORS:
                break
            r = _Row(errors, src.filename, n, data)
            mdtrt_id = r.text("mdtrt_id", required=True)
            psn_no = r.text("psn_no", required=True)
            inst = institution(r)
            gend = r.text("gend", max_length=1)
            if gend and gend not in ("0", "1", "2", "9"):
                r.error("gend", f"“{gend}”应为 1（男）、2（女）、0 或 9（未知）")
            brdy = r.when("brdy")
            begntime = r.when("begntime", required=True)
            endtime = r.when("endtime")
            if begntime and endtime and endtime < begntime:
                r.error("endtime", "结束时间早于开始时间")
            med_type = r.text("med_type", required=True, max_length=6)
            diag = r.text("dscg_maindiag_code", max_length=30)
            vali = flag(r)
            if mdtrt_id and mdtrt_id in visit_index:
                r.error("mdtrt_id", f"“{mdtrt_id}”重复")
            if r.ok and inst:
                visit_index.add(mdtrt_id)
                emit("mdtrt_d", {
                    "mdtrt_id": mdtrt_id, "psn_no": psn_no, "gend": gend, "brdy": brdy.date() if brdy else None,
                    "institution_id": inst[0], "region_code": inst[1], "begntime": begntime, "endtime": endtime,
                    "med_type": med_type, "dscg_maindiag_code": diag, "vali_flag": vali,
                })

    def visit_of(r: _Row) -> None:
        mdtrt_id = r.data.get("mdtrt_id", "")
        if mdtrt_id and mdtrt_id not in visit_index:
            r.error("mdtrt_id", f"“{mdtrt_id}”在就诊信息表 mdtrt_d 中不存在")

    setl_ids: set[str] = set()
    for src in by_table["setl_d"]:
        for n, data in src.rows:
            if len(errors) >= MAX_ERRORS:
                break
            r = _Row(errors, src.filename, n, data)
            setl_id = r.text("setl_id", required=True)
            mdtrt_id = r.text("mdtrt_id", required=True)
            psn_no = r.text("psn_no", required=True)
            inst = institution(r)
            setl_time = r.when("setl_time", required=True)
            medfee = r.money("medfee_sumamt", required=True)
            inscp = r.money("inscp_amt")
            fund = r.money("fund_pay_sumamt")
            vali = flag(r)
            visit_of(r)
            if setl_id and setl_id in setl_ids:
                r.error("setl_id", f"“{setl_id}”重复")
            if r.ok and inst:
                setl_ids.add(setl_id)
                emit("setl_d", {
                    "setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": psn_no, "institution_id": inst[0],
                    "region_code": inst[1], "setl_time": setl_time, "medfee_sumamt": medfee,
                    "inscp_amt": inscp or Decimal(0), "fund_pay_sumamt": fund or Decimal(0), "vali_flag": vali,
                })

    fee_ids: set[str] = set()
    for src in by_table["fee_list_d"]:
        for n, data in src.rows:
            if len(errors) >= MAX_ERRORS:
                break
            r = _Row(errors, src.filename, n, data)
            sn = r.text("feedetl_sn", required=True)
            mdtrt_id = r.text("mdtrt_id", required=True)
            setl_id = r.text("setl_id")
            inst = institution(r)
            when = r.when("fee_ocur_time", required=True)
            code = r.text("hilist_code", required=True, max_length=50)
            name = r.text("hilist_name", required=True, max_length=200)
            cnt = r.money("cnt", required=True, places=4)
            pric = r.money("pric", required=True, places=4)
            total = r.money("det_item_fee_sumamt", required=True)
            limit = r.money("pric_uplmt_amt", places=4)
            inscp = r.money("inscp_amt")
            days = r.integer("prd_days")
            vali = flag(r)
            visit_of(r)
            if setl_id and setl_id not in setl_ids:
                r.error("setl_id", f"“{setl_id}”在结算信息表 setl_d 中不存在")
            if sn and sn in fee_ids:
                r.error("feedetl_sn", f"“{sn}”重复")
            if r.ok and inst:
                fee_ids.add(sn)
                emit("fee_list_d", {
                    "feedetl_sn": sn, "mdtrt_id": mdtrt_id, "setl_id": setl_id, "institution_id": inst[0],
                    "region_code": inst[1], "fee_ocur_time": when, "fee_day": when.date(),  # type: ignore[union-attr]
                    "hilist_code": code, "hilist_name": name, "cnt": cnt, "pric": pric,
                    "det_item_fee_sumamt": total, "pric_uplmt_amt": limit, "inscp_amt": inscp or Decimal(0),
                    "prd_days": days, "vali_flag": vali,
                })
    if errors:
        if len(errors) >= MAX_ERRORS:
            errors.append(f"错误过多，仅列出前 {MAX_ERRORS} 条")
        raise ImportFailed(errors)
    if not counts["mdtrt_d"]:
        raise ImportFailed(["就诊信息表 mdtrt_d 没有数据"])
    for table in TABLES:
        if buffers[table] and sink is not None:
            sink(table, buffers[table])
    return Parsed(counts, sorted(region_counts), region_counts)
