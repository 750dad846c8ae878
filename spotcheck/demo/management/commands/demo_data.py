"""``spotcheck demo-data``: a deterministic demo city (朔州市 + 阳城县) and the demo accounts.

The generator (``spotcheck.demo.generator``) decides every value from ``--seed``; this command saves
its rows in batches (no per-row ``full_clean`` or audit event: the generated codes are valid by
construction) and appends ONE audit event ``demo_data.generate`` with the counts. Everything runs
in one transaction: on any error nothing is written.

The work is a list of steps (:data:`STEPS`); later demo content (past tasks run through the real
workflow) is added by appending a step.
"""

from __future__ import annotations

import datetime as dt
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import models
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone

from spotcheck import policy
from spotcheck.accounts.models import User
from spotcheck.audit.actions import Pending, record, record_deletions, record_many
from spotcheck.base.transactions import action
from spotcheck.demo import generator as demo
from spotcheck.directory.models import (
    Conflict,
    Department,
    DepartmentKind,
    Inspector,
    InspectorAbsence,
    InspectorStatus,
    Institution,
    Region,
)

BATCH = 5_000
PROGRESS_EVERY = 100_000
#: Days after generation the demo inspector and the staffing warning look at (a task period).
LOOKAHEAD_DAYS = 90
ACTOR = "spotcheck demo-data"


@dataclass
class Run:
    """State shared by the steps of one generation."""

    seed: int
    institutions: int
    inspectors: int | None
    accounts: bool
    today: dt.date
    say: Callable[[str], None]
    warn: Callable[[str], None]
    history: bool = True
    department_ids: dict[tuple[str, str], int] = field(default_factory=dict)
    #: ``{area code: Counter((kind, grade))}`` of the generated institutions.
    strata: dict[str, Counter[tuple[str, str]]] = field(default_factory=lambda: defaultdict(Counter))
    inspector_numbers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    inspector_ids: dict[str, int] = field(default_factory=dict)
    inspectors_by_dept: Counter[tuple[str, str]] = field(default_factory=Counter)
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def _pad(text: str, width: int, right: bool = False) -> str:
    """``text`` aligned in ``width`` terminal columns (CJK characters take two)."""
    fill = " " * max(0, width - sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text))
    return fill + text if right else text + fill


def _bulk(model: type[models.Model], rows: Iterable[models.Model]) -> int:
    """Insert ``rows`` in batches of :data:`BATCH`; returns how many."""
    batch: list[models.Model] = []
    n = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            n += _insert(model, batch)
            batch.clear()
    if batch:
        n += _insert(model, batch)
    return n


def _insert(model: type[models.Model], batch: list[models.Model]) -> int:
    """``bulk_create`` plus one audit event per row with its state (``audit verify`` checks them)."""
    model.objects.bulk_create(batch)
    record_many(ACTOR, [Pending.of(obj, "demo_data.create") for obj in batch])
    return len(batch)


# --------------------------------------------------------------------------------------------
# steps


def create_departments(run: Run) -> None:
    """The five departments of 朔州市 and of every area (existing ones with the same name are reused)."""
    rows = demo.departments()
    existing = {d.name: d for d in Department.objects.filter(name__in=[r[2] for r in rows])}
    _bulk(Department, (
        Department(region_id=code, kind=kind, name=name, short_name=short)
        for code, kind, name, short in rows if name not in existing
    ))
    by_name = {d.name: d for d in Department.objects.filter(name__in=[r[2] for r in rows])}
    run.department_ids = {(code, kind): by_name[name].pk for code, kind, name, _ in rows}
    run.counts["departments"] = len(rows)


def create_institutions(run: Run) -> None:
    """Stream the generator into the database, :data:`BATCH` rows at a time."""
    started = time.perf_counter()

    def counted() -> Iterable[Institution]:
        for n, inst in enumerate(demo.institutions(run.seed, run.institutions, run.today), start=1):
            run.strata[inst.region_id][(inst.kind, inst.credit_grade)] += 1
            yield inst
            if n % PROGRESS_EVERY == 0:
                run.say(f"  已生成 {n:,} / {run.institutions:,} 家机构（{time.perf_counter() - started:.1f} 秒）")

    run.counts["institutions"] = _bulk(Institution, counted())


def _drawn_by_area(run: Run) -> dict[str, int]:
    multipliers = policy.get("draw.grade_multipliers", on=run.today)
    ungraded = policy.get("draw.ungraded_grade", on=run.today)
    return {a.code: demo.task_size(run.strata[a.code], multipliers, ungraded) for a in demo.AREAS}


def create_inspectors(run: Run) -> None:
    """Inspectors sized by the reference task of each area, then their unavailable periods."""
    plan = demo.staff_plan(_drawn_by_area(run), run.inspectors)
    short = [
        f"{c.region_code} {DepartmentKind(c.kind).label} {c.usable}/{c.need}"
        for c in plan if c.kind in demo.DEMO_TEAM and c.usable < c.need
    ]
    if short:
        more = f"等 {len(short)} 个部门" if len(short) > 3 else ""
        run.warn(
            "注意：" + "，".join(short[:3]) + more + "可抽取的检查人员少于 5% 参考任务所需人数（可用/所需）"
            + (f"；默认最多生成 {demo.MAX_DEFAULT_INSPECTORS:,} 名检查人员，可用 --inspectors 指定"
               if run.inspectors is None else "")
        )
    absences: list[tuple[str, dt.date, dt.date, str]] = []

    def rows() -> Iterable[Inspector]:
        for code in demo.DEMO_REGION_CODES:
            cells = [c for c in plan if c.region_code == code]
            ids = {kind: run.department_ids[(code, kind)] for kind in DepartmentKind.values}
            for generated in demo.region_inspectors(run.seed, code, cells, ids, run.today):
                insp = generated.inspector
                run.inspector_numbers[code].append(insp.number)
                run.inspectors_by_dept[(code, generated.kind)] += 1
                absences.extend((insp.number, *a) for a in generated.absences)
                yield insp

    run.counts["inspectors"] = _bulk(Inspector, rows())
    run.inspector_ids = dict(
        Inspector.objects.filter(region_id__in=demo.DEMO_REGION_CODES).values_list("number", "id")
    )
    run.counts["absences"] = _bulk(InspectorAbsence, (
        InspectorAbsence(inspector_id=run.inspector_ids[n], start=s, end=e, reason=r) for n, s, e, r in absences
    ))


def create_conflicts(run: Run) -> None:
    """About 3% of the inspectors get 1-2 conflicts of interest with institutions of their area."""
    kind_counts = {code: _kind_totals(strata) for code, strata in run.strata.items()}
    drafts = demo.conflicts(run.seed, run.inspector_numbers, kind_counts, run.today)
    codes = sorted({d.fixmedins_code for d in drafts})
    inst_ids: dict[str, int] = {}
    for i in range(0, len(codes), 500):
        inst_ids.update(Institution.objects.filter(fixmedins_code__in=codes[i:i + 500]).values_list("fixmedins_code", "id"))
    run.counts["conflicts"] = _bulk(Conflict, (
        Conflict(inspector_id=run.inspector_ids[d.number], institution_id=inst_ids[d.fixmedins_code], reason=d.reason,
                 note=d.note, valid_from=d.valid_from, valid_to=d.valid_to)
        for d in drafts
    ))


def _kind_totals(strata: Counter[tuple[str, str]]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for (kind, _grade), n in strata.items():
        totals[kind] += n
    return totals


def usable_inspectors(region_code: str, kind: str, start: dt.date, end: dt.date) -> models.QuerySet[Inspector]:
    """On-duty inspectors of ``kind`` in ``region_code`` whose certificate covers ``start``..``end`` and
    who have no unavailable period overlapping it."""
    busy = InspectorAbsence.objects.filter(start__lte=end, end__gte=start).values("inspector_id")
    return (
        Inspector.objects.filter(region_id=region_code, department__kind=kind, status=InspectorStatus.ON_DUTY,
                                 cert_valid_to__gte=end)
        .exclude(cert_number="")
        .filter(Q(cert_valid_from__isnull=True) | Q(cert_valid_from__lte=start))
        .exclude(pk__in=busy)
    )


def create_accounts(run: Run) -> None:
    """The demo-* accounts, created or reset in place (password, role, area, names)."""
    if not run.accounts:
        run.say("  跳过（--no-accounts）")
        return
    linked = usable_inspectors(
        "140522", DepartmentKind.HEALTHCARE_SECURITY, run.today, run.today + dt.timedelta(days=LOOKAHEAD_DAYS)
    ).order_by("number").first()
    for account in demo.DEMO_ACCOUNTS:
        user = User.objects.filter(username=account.username).first() or User(username=account.username)
        user.role, user.region_code = account.role, account.region_code
        user.display_name = account.display_name
        user.inspector_number = ""
        if account.linked_inspector:
            if linked is None:
                run.warn(f"注意：阳城县医保局没有可抽取的检查人员，{account.username} 未关联检查人员")
            else:
                user.display_name, user.inspector_number = linked.name, linked.number
        user.is_staff = user.is_superuser = account.superuser
        user.is_active = True
        user.set_password(demo.DEMO_PASSWORD)
        user.save()
        record(ACTOR, "demo_data.account", user, region_code=user.region_code)
        run.logins.append((account.username, user.get_role_display(), user.display_name))
    run.counts["accounts"] = len(demo.DEMO_ACCOUNTS)


def replay_history(run: Run) -> None:
    """The 2023 example tasks run through the real workflow (drawn, inspected, published)."""
    if not (run.accounts and run.history):
        run.say("  跳过（--no-history 或 --no-accounts）")
        return
    from spotcheck.demo import history as demo_history
    from spotcheck.planning.examples import load_examples

    for line in load_examples(User.objects.get(username="demo-admin"), 2023).lines():
        run.say(f"  {line}")
    counts = demo_history.replay(say=run.say)
    run.counts.update({f"history_{k}": v for k, v in counts.items()})


def load_credit(run: Run) -> None:
    """Credit files with 2023 records, the 2023 evaluation and the ``demo-institution`` account."""
    if not (run.accounts and run.history):
        run.say("  跳过（--no-history 或 --no-accounts）")
        return
    from spotcheck.demo.credit import load_demo

    result = load_demo(run.seed)
    if result.get("skipped"):
        run.say("  跳过（已有 2023 年信用评价）")
        return
    run.counts["credit_records"] = result["records"]
    run.say("  2023 年信用等级：" + "、".join(f"{g} {n}" for g, n in result["grades"].items()))
    if result.get("account"):
        run.logins.append((result["account"], "定点医药机构", f"机构 {result['showcase']}"))


def load_screening(run: Run) -> None:
    """A claims batch for the demo institutions with planted cases of every rule, screened once."""
    if not (run.accounts and run.history):
        run.say("  跳过（--no-history 或 --no-accounts）")
        return
    from io import StringIO

    from django.core.management import call_command

    from spotcheck.screening.models import ClaimBatch

    if ClaimBatch.objects.exists():
        run.say("  跳过（已有结算数据批次）")
        return
    out = StringIO()
    call_command("screening", "demo", "--run", stdout=out)
    for line in out.getvalue().splitlines()[:2]:
        run.say(f"  {line}")


#: The generation, in order. Append a step to extend the demo.
STEPS: list[tuple[str, Callable[[Run], None]]] = [
    ("部门", create_departments),
    ("定点医药机构", create_institutions),
    ("检查人员", create_inspectors),
    ("回避登记", create_conflicts),
    ("演示账号", create_accounts),
    ("2023 年示例任务（抽取、检查、公示）", replay_history),
    ("信用档案与 2023 年信用评价", load_credit),
    ("系统数据检查示例（2023 年 10 月结算数据）", load_screening),
]


# --------------------------------------------------------------------------------------------
# reset


def _owned() -> list[tuple[type[models.Model], models.QuerySet[Any]]]:
    """The rows the generator owns, children first: the directory of the demo regions."""
    codes = demo.DEMO_REGION_CODES
    return [
        (Conflict, Conflict.objects.filter(Q(institution__region_id__in=codes) | Q(inspector__region_id__in=codes))),
        (InspectorAbsence, InspectorAbsence.objects.filter(inspector__region_id__in=codes)),
        (Inspector, Inspector.objects.filter(region_id__in=codes)),
        (Institution, Institution.objects.filter(region_id__in=codes)),
        (Department, Department.objects.filter(region_id__in=codes)),
    ]


def foreign_references(owned: list[tuple[type[models.Model], models.QuerySet[Any]]]) -> list[str]:
    """Rows outside ``owned`` that point at an owned row (foreign keys and many-to-many), described."""
    sets = dict(owned)
    problems = []
    for model, qs in owned:
        for rel in model._meta.get_fields(include_hidden=True):
            if not (rel.auto_created and not rel.concrete and rel.is_relation):
                continue
            related = rel.related_model
            if related._meta.auto_created:
                continue  # a many-to-many table: reported through the many-to-many relation itself
            refs = related._default_manager.filter(**{f"{rel.field.name}__in": qs.values("pk")})
            if related in sets:
                refs = refs.exclude(pk__in=sets[related].values("pk"))
            n = refs.count()
            if n:
                problems.append(
                    f"{n} 条{related._meta.verbose_name}（{rel.field.verbose_name}）引用了{model._meta.verbose_name}"
                )
    return problems


def purge() -> dict[str, int]:
    """Delete the generator's rows (see :func:`_owned`); refuses when other rows reference them."""
    from spotcheck.demo.credit import purge as purge_credit

    purge_credit()  # credit files reference institutions; they are demo content too
    owned = _owned()
    problems = foreign_references(owned)
    if problems:
        raise CommandError(
            "无法重置演示数据：其他数据仍引用演示名录（" + "；".join(problems) + "）。请先删除这些数据，或改用新的数据库。"
        )
    deleted = {}
    for model, qs in owned:
        total = 0
        while ids := list(qs.order_by("pk").values_list("pk", flat=True)[:BATCH]):
            try:
                record_deletions(ACTOR, "demo_data.reset", model._default_manager.filter(pk__in=ids))
                model._default_manager.filter(pk__in=ids).delete()
            except (ProtectedError, RestrictedError) as exc:  # a relation the check above could not see
                raise CommandError(f"无法重置演示数据：{model._meta.verbose_name}仍被其他数据引用（{exc.args[0]}）")
            total += len(ids)
        deleted[model._meta.model_name] = total
    return deleted


# --------------------------------------------------------------------------------------------
# the command


class Command(BaseCommand):
    help = (
        "生成确定性的演示数据：朔州市六个县级区域与晋城市阳城县的定点医药机构、部门、检查人员、"
        "不可抽取时段、回避登记和演示账号（密码均为 spotcheck-demo）。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=1, help="随机种子（同一种子生成相同数据），默认 1")
        parser.add_argument("--institutions", type=int, default=2000, metavar="K", help="机构数量，默认 2000")
        parser.add_argument("--inspectors", type=int, default=None, metavar="M",
                            help="检查人员总数（默认按各区域 5%% 参考任务的配置需要计算）")
        parser.add_argument("--no-accounts", action="store_true", help="不创建演示账号（基准测试用）")
        parser.add_argument("--no-history", action="store_true",
                            help="只生成名录与账号：不生成 2023 年示例任务的抽取、检查、公示记录和信用档案")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--if-empty", action="store_true", help="已有机构时什么也不做")
        mode.add_argument("--reset", action="store_true", help="先删除以前生成的演示数据，再重新生成")

    def handle(self, *args: Any, **opts: Any) -> None:
        total, inspectors = opts["institutions"], opts["inspectors"]
        if not 1 <= total <= demo.capacity():
            raise CommandError(
                f"--institutions 应在 1 到 {demo.capacity():,} 之间（{len(demo.AREAS)} 个县级区域 × 2 类机构 × "
                f"{demo.MAX_SEQ:,} 个顺序号），实为 {total:,}"
            )
        if inspectors is not None and inspectors < 0:
            raise CommandError(f"--inspectors 不能为负数，实为 {inspectors}")
        if opts["if_empty"] and Institution.objects.exists():
            self.stdout.write(f"已有 {Institution.objects.count():,} 家机构，跳过演示数据生成（--if-empty）。")
            return
        missing = sorted(set(demo.DEMO_REGION_CODES) - set(Region.objects.values_list("code", flat=True)))
        if missing:
            raise CommandError(f"缺少行政区划 {', '.join(missing)}，请先运行 spotcheck migrate")

        run = Run(
            seed=opts["seed"], institutions=total, inspectors=inspectors, accounts=not opts["no_accounts"],
            history=not opts["no_history"],
            today=timezone.localdate(), say=self._say, warn=lambda m: self.stderr.write(self.style.WARNING(m)),
        )
        started = time.perf_counter()
        action(self._generate)(run, opts, total)
        self._report(run, time.perf_counter() - started)

    def _generate(self, run: Run, opts: dict[str, Any], total: int) -> None:
        """The whole generation: one action (all or nothing, every row audited)."""
        if opts["reset"]:
            deleted: dict[str, int] | None = purge()
        else:
            self._refuse_existing()
            deleted = None
        for label, step in STEPS:
            run.say(f"生成{label}…")
            step(run)
        record(
            ACTOR, "demo_data.generate", object_type="directory.demo_data", object_id=str(run.seed),
            before={"deleted": deleted} if deleted is not None else None,
            after={"seed": run.seed, "counts": run.counts, "institutions_by_region": self._by_region(run)},
            reason=f"spotcheck demo-data --seed {run.seed} --institutions {total}",
        )

    def _say(self, message: str) -> None:
        """Progress line, flushed so that it shows while the run goes on (also when piped)."""
        self.stdout.write(message)
        self.stdout.flush()

    @staticmethod
    def _refuse_existing() -> None:
        codes = demo.DEMO_REGION_CODES
        n_inst = Institution.objects.filter(region_id__in=codes).count()
        n_insp = Inspector.objects.filter(region_id__in=codes).count()
        if n_inst or n_insp:
            raise CommandError(
                f"演示区域（朔州市、阳城县）已有 {n_inst:,} 家机构、{n_insp:,} 名检查人员。"
                "使用 --reset 删除后重新生成，或使用 --if-empty 在已有数据时跳过。"
            )

    @staticmethod
    def _by_region(run: Run) -> dict[str, dict[str, int]]:
        return {code: {f"{k}|{g or '未评级'}": n for (k, g), n in sorted(c.items())} for code, c in run.strata.items()}

    def _report(self, run: Run, seconds: float) -> None:
        w = self.stdout.write
        grades = [g for g, _ in demo.GRADES.pairs]
        w(f"\n演示数据已生成：种子 {run.seed}，用时 {seconds:.1f} 秒。")
        w(_pad("区域", 16) + _pad("类型", 10) + _pad("合计", 10, True) + "".join(_pad(g or "未评级", 9, True) for g in grades))
        totals: Counter[str] = Counter()
        for area in demo.AREAS:
            strata = run.strata[area.code]
            for kind, label in (("H", "医疗机构"), ("P", "零售药店")):
                row = [strata[(kind, g)] for g in grades]
                totals.update({g: strata[(kind, g)] for g in grades})
                w(_pad(f"{area.code} {area.name}", 16) + _pad(label, 10) + f"{sum(row):>10,}"
                  + "".join(f"{n:>9,}" for n in row))
        w(_pad("合计", 26) + f"{sum(totals.values()):>10,}" + "".join(f"{totals[g]:>9,}" for g in grades))
        w("检查人员（医保局 YB · 医保中心 ZX · 市监局 SJ · 卫健 WJ · 公安 GA）：")
        region_names = dict(Region.objects.filter(code__in=demo.DEMO_REGION_CODES).values_list("code", "name"))
        for code in demo.DEMO_REGION_CODES:
            parts = [f"{demo.NUMBER_PREFIX[k]} {run.inspectors_by_dept[(code, k)]}" for k in demo.NUMBER_PREFIX]
            w("  " + _pad(f"{code} {region_names.get(code, '')}", 16) + " · ".join(parts))
        c = run.counts
        w(f"部门 {c.get('departments', 0)} 个，检查人员 {c.get('inspectors', 0):,} 名，不可抽取时段 "
          f"{c.get('absences', 0):,} 条，回避登记 {c.get('conflicts', 0):,} 条。")
        if run.logins:
            w(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
            for username, role, name in run.logins:
                w(f"  {username:<18}" + _pad(role, 14) + name)
