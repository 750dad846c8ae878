"""Deterministic demo directory: 朔州市 (its six county-level areas) and 晋城市阳城县.

Generators here are pure apart from building unsaved model instances: every choice comes from a
``random.Random`` seeded by ``(seed, step, area…)``, so a seed always gives the same codes, names
and grades, and one area's rows do not depend on how many rows another area gets. Dates are
relative to a ``today`` argument. The ``demo_data`` management command saves what they yield.

Codes come from :mod:`spotcheck.core.codes` and are valid and consistent with their area: the
定点医药机构编码 embeds the area and kind, the 统一社会信用代码's positions 3-8 are the area, and an
inspector's 身份证号 region lies inside the inspector's area.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from spotcheck.base.roles import Role
from spotcheck.core.codes import make_fixmedins_code, make_id_number, make_uscc
from spotcheck.directory.models import (
    ConflictReason,
    ContractStatus,
    DepartmentKind,
    Inspector,
    InspectorRole,
    InspectorStatus,
    Institution,
    InstitutionCategory,
    InstitutionKind,
    InstitutionLevel,
)

# --------------------------------------------------------------------------------------------
# areas


@dataclass(frozen=True)
class Area:
    """One county-level area of the demo, with the place names its rows are built from."""

    code: str
    name: str  # 阳城县
    short: str  # 阳城 (private hospitals, chain stores)
    city: str  # 晋城市
    weight: int  # share of the institutions, per 700
    phone_code: str  # 区号
    seat: str  # 县城所在镇/街道
    subdistricts: tuple[str, ...]  # 街道 (or the seat town) with a 社区卫生服务中心
    towns: tuple[str, ...]  # 乡镇 outside the seat, each with a 卫生院
    streets: tuple[str, ...]  # streets of the seat
    hospitals: tuple[tuple[str, str], ...] = ()  # extra public hospitals (name, level) listed first


CITY_CODE = "140600"
CITY_NAME = "朔州市"

AREAS: tuple[Area, ...] = (
    Area(
        "140602", "朔城区", "朔城", "朔州市", 168, "0349", "北城街道",
        ("北城街道", "南城街道", "北旺庄街道"),
        ("神头镇", "利民镇", "南榆林乡", "窑子头乡", "沙塄河乡", "下团堡乡", "贾庄乡", "张蔡庄乡", "小平易乡", "滋润乡"),
        ("开发北路", "开发南路", "民福东街", "民福西街", "张辽北路", "张辽南路", "鄯阳东街", "鄯阳西街", "文远路",
         "马邑路", "招远路", "新建北路", "新建南路", "北关街"),
        (("朔州市人民医院", InstitutionLevel.LEVEL3), ("朔州市大医院", InstitutionLevel.LEVEL3),
         ("朔州市中医医院", InstitutionLevel.LEVEL3), ("朔州市第二人民医院", InstitutionLevel.LEVEL2),
         ("朔州市妇幼保健院", InstitutionLevel.LEVEL2), ("朔州市第三人民医院", InstitutionLevel.LEVEL2)),
    ),
    Area(
        "140603", "平鲁区", "平鲁", "朔州市", 72, "0349", "井坪镇", ("井坪镇",),
        ("凤凰城镇", "白堂乡", "陶村乡", "向阳堡乡", "下面高乡", "阻虎乡", "高石庄乡", "双碾乡", "下水头乡",
         "西水界乡", "榆岭乡"),
        ("振兴路", "迎宾大道", "凤凰街", "井坪大街", "东关街", "西关街", "南环路", "北环路", "新华街", "建设路"),
    ),
    Area(
        "140621", "山阴县", "山阴", "朔州市", 84, "0349", "岱岳镇", ("岱岳镇",),
        ("古城镇", "玉井镇", "北周庄镇", "吴马营乡", "合盛堡乡", "马营庄乡", "薛圐圙乡", "后所乡", "安荣乡",
         "下喇叭乡"),
        ("桑干河路", "广武街", "新建东街", "新建西街", "文化路", "府前街", "人民路", "南环路", "育才路", "兴业路"),
    ),
    Area(
        "140622", "应县", "应县", "朔州市", 102, "0349", "金城镇", ("金城镇",),
        ("南河种镇", "下社镇", "镇子梁乡", "义井乡", "臧寨乡", "杏寨乡", "下马峪乡", "南泉乡", "大临河乡",
         "白马石乡"),
        ("木塔路", "金城路", "塔南街", "塔北街", "建设路", "文化街", "迎宾路", "东环路", "西环路", "富民街"),
    ),
    Area(
        "140623", "右玉县", "右玉", "朔州市", 48, "0349", "新城镇", ("新城镇",),
        ("右卫镇", "威远镇", "元堡子镇", "牛心堡乡", "白头里乡", "高家堡乡", "丁家窑乡", "杨千河乡", "李达窑乡"),
        ("玉林路", "苍头河路", "生态大街", "长城路", "建设街", "朝阳路", "团结街", "人民路"),
    ),
    Area(
        "140681", "怀仁市", "怀仁", "朔州市", 126, "0349", "云中镇", ("云中镇",),
        ("吴家窑镇", "金沙滩镇", "毛家皂镇", "何家堡乡", "新家园镇", "亲和乡", "海北头乡", "马辛庄乡", "河头乡"),
        ("仁和路", "云中路", "玉龙东街", "玉龙西街", "金沙滩路", "怀安街", "北辰路", "迎宾大道", "文化路",
         "育才街", "胜利街"),
    ),
    Area(
        "140522", "阳城县", "阳城", "晋城市", 100, "0356", "凤城镇", ("凤城镇",),
        ("北留镇", "润城镇", "町店镇", "芹池镇", "次营镇", "横河镇", "河北镇", "蟒河镇", "东冶镇", "白桑乡", "寺头乡",
         "西河乡", "演礼乡", "固隆乡", "董封乡", "驾岭乡"),
        ("新阳东街", "新阳西街", "凤栖路", "凤鸣路", "东关街", "西关街", "沁河路", "析城路", "皇城路", "阳泰路",
         "建设路", "文化街"),
    ),
)

AREA_BY_CODE: dict[str, Area] = {a.code: a for a in AREAS}

#: Every region the generator writes rows into (the seven areas and the city itself).
DEMO_REGION_CODES: tuple[str, ...] = (CITY_CODE, *(a.code for a in AREAS))

class Weighted:
    """A weighted choice among ``pairs`` of (value, integer weight)."""

    def __init__(self, *pairs: tuple[Any, int]) -> None:
        self.pairs = pairs
        self._values = [value for value, _ in pairs]
        self._cumulative = list(itertools.accumulate(weight for _, weight in pairs))

    def pick(self, rng: random.Random) -> Any:
        return rng.choices(self._values, cum_weights=self._cumulative)[0]

    def share(self, value: Any) -> Fraction:
        return Fraction(dict(self.pairs)[value], self._cumulative[-1])


#: Largest 5-digit sequence of a 定点医药机构编码; sequences start at 1.
MAX_SEQ = 99_999

#: Share of each kind (H 医疗机构 62%, P 零售药店 38%) and of each category inside 医疗机构.
KIND_WEIGHTS: tuple[tuple[str, int], ...] = ((InstitutionKind.MEDICAL, 62), (InstitutionKind.PHARMACY, 38))
MEDICAL_CATEGORY_WEIGHTS: tuple[tuple[str, int], ...] = (
    (InstitutionCategory.HOSPITAL, 5),
    (InstitutionCategory.PRIMARY, 12),
    (InstitutionCategory.CLINIC, 15),
    (InstitutionCategory.VILLAGE, 30),
)

#: Credit grades ("" = 未评级, a new contract), contract statuses and private hospitals' levels.
GRADES = Weighted(("优秀", 8), ("良好", 35), ("中等", 45), ("较差", 8), ("差", 2), ("", 3))
CONTRACT_STATUSES = Weighted(
    (ContractStatus.ACTIVE, 95), (ContractStatus.SUSPENDED, 3), (ContractStatus.TERMINATED, 2),
)
PRIVATE_HOSPITAL_LEVELS = Weighted(
    (InstitutionLevel.LEVEL2, 15), (InstitutionLevel.LEVEL1, 50), (InstitutionLevel.UNRATED, 35),
)
#: Probability of ``risk_flag`` (重点监控) by credit grade.
RISK_BY_GRADE: dict[str, float] = {"差": 0.5, "较差": 0.2}
RISK_OTHERWISE = 0.01

# --------------------------------------------------------------------------------------------
# name pools

SURNAMES = (
    "王李张刘赵杨郭武贾郝段田梁高霍任韩阎薛牛乔常申原陈周吴徐孙胡朱马罗宋郑谢唐冯于董程曹袁许"
    "苏吕卢蒋蔡丁魏叶杜范石姚康白崔秦史侯孟尹贺黄温耿闫雷曲"
)
MALE_GIVEN = "建国军伟强磊勇斌杰涛明超鹏华飞刚峰亮宇浩志海文俊平林波辉鑫东晓永春成利忠新荣庆生宏彬"
FEMALE_GIVEN = "芳娜敏静丽艳娟霞燕玲婷雪慧琳萍红梅洁颖莉晶倩佳欣悦璐瑶蓉秀英琴凤兰云丹月娇"
BRANDS = (
    "仁和", "康宁", "同济", "博爱", "华康", "仁爱", "惠民", "安康", "济民", "康泰", "恒康", "益民", "德仁",
    "瑞康", "华夏", "永康", "众康", "百佳", "康馨", "和美", "新康", "福康", "德济", "普济", "济生", "民康",
    "泰康", "惠康", "广济", "天和", "健民", "万民", "同德", "正和", "康源", "国泰", "长安", "益寿", "春晖",
)
HOSPITAL_SPECIALTIES = (
    "骨科", "眼科", "口腔", "妇产", "中西医结合", "康复", "肛肠", "耳鼻喉", "皮肤病", "老年病", "精神专科", "肾病",
)
CLINIC_TYPES = ("诊所", "中医诊所", "口腔诊所", "中西医结合诊所", "内科诊所")
OUTPATIENT_TYPES = ("门诊部", "综合门诊部", "口腔门诊部", "中医门诊部")
PHARMACY_BRANDS = BRANDS + ("仁和堂", "济世堂", "同仁堂", "保和堂", "永安堂", "福寿堂", "德生堂", "万福堂")
PHARMACY_CHAINS = ("百姓康", "万民", "众康", "华佗", "仁和堂", "国泰", "健民", "益寿堂")
COMMUNITIES = (
    "东关", "西关", "南关", "北关", "新华", "建设", "和平", "文化", "东街", "西街", "南街", "北街", "府前",
    "育才", "迎宾", "富民", "朝阳", "阳光", "锦绣", "康乐", "兴华", "站前", "花园", "幸福",
)
TOWN_STREETS = ("中心街", "东街", "西街", "南街", "北街", "正街", "大街", "新街")
VILLAGE_DIRECTIONS = ("东村", "西村", "南村", "北村", "东关村", "西关村", "南关村", "北关村")
VILLAGE_MODIFIERS = "东西南北上下前后大小新老"
VILLAGE_CORES = "庄堡石河泉营寨沟峪窑坪关湾店井坡"
VILLAGE_SUFFIXES = "庄堡沟湾窑坪峪洼屯寨营岭"
VILLAGE_NATURE = (
    "杏寨", "柳林", "桃园", "梨园", "榆林", "杨树", "槐树", "石门", "白马", "黄花", "红崖", "青龙", "水磨",
    "石佛", "龙泉", "凤凰", "金鸡", "马坊", "枣林", "古城", "泉头", "峪口", "河湾", "窑头",
)
MOBILE_PREFIXES = (
    "130", "131", "132", "134", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157",
    "158", "159", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "199",
)
SPECIALTIES = ("医疗", "药学", "财务", "信息")
ABSENCE_REASONS = ("参加省医保局业务培训", "年休假", "病假", "借调市局专项检查", "外出学习", "婚假", "产假")
CONFLICT_REASONS = Weighted(
    (ConflictReason.FORMER_EMPLOYEE, 40), (ConflictReason.RELATIVE, 35), (ConflictReason.INTEREST, 15),
    (ConflictReason.SELF_REQUEST, 10),
)
CONFLICT_NOTES: dict[str, tuple[str, ...]] = {
    ConflictReason.FORMER_EMPLOYEE: ("曾在该机构任职", "曾在该机构从事财务工作", "曾在该机构担任医师"),
    ConflictReason.RELATIVE: ("配偶在该机构任职", "子女在该机构任职", "兄弟姐妹在该机构任职"),
    ConflictReason.INTEREST: ("亲属持有该机构股份", "与该机构负责人存在经济往来"),
    ConflictReason.SELF_REQUEST: ("本人申请回避",),
}

_CN_DIGITS = "零一二三四五六七八九"


def _cn_number(n: int) -> str:
    """Chinese numeral for 1..99 (二, 十二, 二十), Arabic digits beyond."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def _pharmacy_variant(base: str, k: int) -> str:
    """Another branch of a pharmacy: （凤城店） → （凤城二店）, …凤城店 → …凤城二店, …药店 → …药店第二分店."""
    n = _cn_number(k)
    if base.endswith("店）"):
        return f"{base[:-2]}{n}店）"
    if base.endswith("药店"):
        return f"{base}第{n}分店"
    return f"{base[:-1]}{n}店"


def _add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _strip_suffix(place: str) -> str:
    """凤城镇 → 凤城, 北城街道 → 北城, 杏寨乡 → 杏寨 (used in branch names)."""
    for suffix in ("街道", "镇", "乡"):
        if place.endswith(suffix) and len(place) > len(suffix) + 1:
            return place[: -len(suffix)]
    return place


# --------------------------------------------------------------------------------------------
# randomness helpers


def rng_for(seed: int, *parts: str) -> random.Random:
    """An independent, reproducible stream for ``seed`` and a step/area label (str seeding is stable)."""
    return random.Random("|".join([str(seed), *parts]))


def person_name(rng: random.Random, male: bool | None = None) -> str:
    if male is None:
        male = rng.random() < 0.6
    pool = MALE_GIVEN if male else FEMALE_GIVEN
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random, area: Area) -> str:
    return f"{area.phone_code}-{rng.randint(2, 8)}{rng.randrange(10**6):06d}"


# --------------------------------------------------------------------------------------------
# how many of what, where


def allocate(total: int, weights: Sequence[int], caps: Sequence[int] | None = None) -> list[int]:
    """Split ``total`` in proportion to positive integer ``weights`` (largest remainder, ties to the
    lower index), never giving cell ``i`` more than ``caps[i]``: a capped cell's excess is spread over
    the others in proportion. Exact (fractions), so the split is reproducible.

    Raises ``ValueError`` when the caps together are smaller than ``total``.
    """
    limits: list[float] = list(caps) if caps is not None else [math.inf] * len(weights)
    if total > sum(limits):
        raise ValueError(f"{total} exceeds the capacity {sum(limits)}")
    result = [0] * len(weights)
    active = [i for i, w in enumerate(weights) if w > 0]
    remaining = total
    while active:
        weight_sum = sum(weights[i] for i in active)
        shares = {i: Fraction(remaining * weights[i], weight_sum) for i in active}
        full = [i for i in active if shares[i] >= limits[i]]
        if not full:
            floors = {i: math.floor(shares[i]) for i in active}
            left = remaining - sum(floors.values())
            for i in sorted(active, key=lambda i: (floors[i] - shares[i], i))[:left]:
                floors[i] += 1
            for i, n in floors.items():
                result[i] = n
            return result
        for i in full:
            result[i] = int(limits[i])
            remaining -= result[i]
        active = [i for i in active if i not in full]
    return result


def capacity() -> int:
    """Most institutions the demo can hold: every area × kind × 99,999 sequence numbers."""
    return len(AREAS) * len(KIND_WEIGHTS) * MAX_SEQ


def institution_plan(total: int) -> dict[str, dict[str, int]]:
    """``{area code: {category: count}}`` for ``total`` institutions: areas by weight (阳城 1/7),
    kinds 62/38 and medical categories 5/12/15/30, each (area, kind) capped at :data:`MAX_SEQ` with
    the excess spread over the other cells. Raises ``ValueError`` above :func:`capacity`."""
    cells = [(area, kind) for area in AREAS for kind, _ in KIND_WEIGHTS]
    kind_weight = dict(KIND_WEIGHTS)
    counts = allocate(total, [area.weight * kind_weight[kind] for area, kind in cells], [MAX_SEQ] * len(cells))
    plan: dict[str, dict[str, int]] = {area.code: {} for area in AREAS}
    for (area, kind), n in zip(cells, counts, strict=True):
        if kind == InstitutionKind.PHARMACY:
            plan[area.code][InstitutionCategory.PHARMACY] = n
        else:
            split = allocate(n, [w for _, w in MEDICAL_CATEGORY_WEIGHTS])
            plan[area.code].update({cat: k for (cat, _), k in zip(MEDICAL_CATEGORY_WEIGHTS, split, strict=True)})
    return plan


# --------------------------------------------------------------------------------------------
# institutions


@dataclass
class _Named:
    """What a category builder decides: name, address, level, USCC 机构类别 and, for a clinic named
    after its doctor, the owner (who is then the legal representative)."""

    name: str
    address: str
    level: str = InstitutionLevel.UNRATED
    org_type: str = "52"
    owner: str = ""


class _AreaNamer:
    """Builds names and addresses of one area's institutions, names unique within the area."""

    def __init__(self, area: Area, rng: random.Random) -> None:
        self.area, self.rng = area, rng
        self.used: set[str] = set()
        self.next_variant: dict[str, int] = {}  # base name → first variant number worth trying
        self.prefix = f"山西省{area.city}{area.name}"
        self.branches = (_strip_suffix(area.seat), *(s[:2] for s in area.streets), *COMMUNITIES)
        self.public_hospitals = iter([
            *area.hospitals,
            (f"{area.name}人民医院", InstitutionLevel.LEVEL2),
            (f"{area.name}中医医院", InstitutionLevel.LEVEL2),
            (f"{area.name}妇幼保健计划生育服务中心", InstitutionLevel.LEVEL1),
        ])
        towns = list(area.towns)
        rng.shuffle(towns)
        centres = [(f"{area.name}{sd}社区卫生服务中心", "") for sd in area.subdistricts]
        hospitals = [(self._township_hospital(t), t) for t in towns]
        self.primary_canonical = iter(centres + hospitals)

    def _township_hospital(self, town: str) -> str:
        centre = town.endswith("镇") and self.rng.random() < 0.4
        return f"{self.area.name}{town}{'中心卫生院' if centre else '卫生院'}"

    def unique(self, make: Callable[[], _Named], fallback: Callable[[str, int], str], tries: int = 12) -> _Named:
        """A candidate from ``make()`` whose name the area has not used; after ``tries`` clashes the
        last candidate renamed ``fallback(name, k)`` with the smallest free ``k`` ≥ 2."""
        for _ in range(tries):
            named = make()
            if named.name not in self.used:
                break
        else:
            base = named.name
            k = self.next_variant.get(base, 2)
            while fallback(base, k) in self.used:
                k += 1
            self.next_variant[base] = k + 1
            named.name = fallback(base, k)
        self.used.add(named.name)
        return named

    def street_address(self) -> str:
        return f"{self.prefix}{self.rng.choice(self.area.streets)}{self.rng.randint(1, 299)}号"

    def town_address(self, town: str) -> str:
        return f"{self.prefix}{town}{self.rng.choice(TOWN_STREETS)}{self.rng.randint(1, 199)}号"

    def address(self, town: str) -> str:
        return self.town_address(town) if town else self.street_address()

    def maybe_town(self, share: float) -> str:
        """A town (乡镇) with probability ``share``, else ``""`` (the county seat)."""
        return self.rng.choice(self.area.towns) if self.rng.random() < share else ""

    def village(self) -> str:
        r, rng = self.rng.random(), self.rng
        if r < 0.1:
            return rng.choice(VILLAGE_DIRECTIONS)
        if r < 0.45:
            return rng.choice(SURNAMES) + "家" + rng.choice(VILLAGE_SUFFIXES) + "村"
        if r < 0.8:
            return rng.choice(VILLAGE_MODIFIERS) + rng.choice(VILLAGE_CORES) + "村"
        return rng.choice(VILLAGE_NATURE) + "村"

    # one builder per category

    def hospital(self) -> _Named:
        public = next(self.public_hospitals, None)
        if public is not None:
            self.used.add(public[0])
            return _Named(public[0], self.street_address(), public[1], "12")
        a, rng = self.area, self.rng

        def make() -> _Named:
            specialty = rng.choice(HOSPITAL_SPECIALTIES) if rng.random() < 0.5 else ""
            level = PRIVATE_HOSPITAL_LEVELS.pick(rng)
            return _Named(f"{a.short}{rng.choice(BRANDS)}{specialty}医院", self.street_address(), level, "52")

        return self.unique(make, lambda base, k: f"{base}第{_cn_number(k)}分院")

    def primary(self) -> _Named:
        a, rng = self.area, self.rng
        level = InstitutionLevel.LEVEL1 if rng.random() < 0.7 else InstitutionLevel.UNRATED
        canonical = next(self.primary_canonical, None)
        if canonical is not None:
            self.used.add(canonical[0])
            return _Named(canonical[0], self.address(canonical[1]), level, "12")

        def make() -> _Named:
            place = rng.choice(a.subdistricts)
            return _Named(f"{a.name}{place}{rng.choice(COMMUNITIES)}社区卫生服务站", self.street_address(), level, "12")

        return self.unique(make, lambda base, k: base.replace("社区卫生服务站", f"第{_cn_number(k)}社区卫生服务站"))

    def clinic(self) -> _Named:
        a, rng = self.area, self.rng

        def make() -> _Named:
            town = self.maybe_town(0.3)
            address, r = self.address(town), rng.random()
            if r < 0.35:
                name = f"{a.name}{town}{rng.choice(BRANDS)}{rng.choice(OUTPATIENT_TYPES)}"
                return _Named(name, address, org_type=rng.choice(("52", "91")))
            owner = person_name(rng)
            doctor = f"{owner[0]}氏" if r < 0.6 else owner
            return _Named(f"{a.name}{town}{doctor}{rng.choice(CLINIC_TYPES)}", address, org_type="92", owner=owner)

        return self.unique(make, lambda base, k: f"{base}（{_cn_number(k)}部）")

    def village_clinic(self) -> _Named:
        def make() -> _Named:
            place = self.rng.choice(self.area.towns) + self.village()
            return _Named(f"{self.area.name}{place}卫生室", f"{self.prefix}{place}")

        return self.unique(make, lambda base, k: base.replace("卫生室", f"第{_cn_number(k)}卫生室"))

    def pharmacy(self) -> _Named:
        a, rng = self.area, self.rng

        def make() -> _Named:
            town = self.maybe_town(0.35)
            branch = _strip_suffix(town) if town else rng.choice(self.branches)
            address, r = self.address(town), rng.random()
            if r < 0.45:
                return _Named(f"{a.name}{rng.choice(PHARMACY_BRANDS)}大药房（{branch}店）", address, org_type="91")
            if r < 0.75:
                chain = rng.choice(PHARMACY_CHAINS)
                return _Named(f"山西{chain}医药连锁有限公司{a.short}{branch}店", address, org_type="91")
            return _Named(f"{a.name}{town}{rng.choice(PHARMACY_BRANDS)}药店", address, org_type="92")

        return self.unique(make, _pharmacy_variant)


_CATEGORY_BUILDERS: dict[str, Callable[[_AreaNamer], _Named]] = {
    InstitutionCategory.HOSPITAL: _AreaNamer.hospital,
    InstitutionCategory.PRIMARY: _AreaNamer.primary,
    InstitutionCategory.CLINIC: _AreaNamer.clinic,
    InstitutionCategory.VILLAGE: _AreaNamer.village_clinic,
    InstitutionCategory.PHARMACY: _AreaNamer.pharmacy,
}
_LANDLINE_CATEGORIES = frozenset({InstitutionCategory.HOSPITAL, InstitutionCategory.PRIMARY})


def area_institutions(seed: int, area: Area, counts: Mapping[str, int], today: dt.date) -> Iterator[Institution]:
    """Unsaved institutions of one area, ``counts`` per category, streamed (one row in memory at a time
    plus the area's set of names). Sequence numbers run 1.. per kind in a shuffled category order.
    Only the contract dates depend on ``today``; codes, names and grades depend on the seed alone."""
    rng = rng_for(seed, "institutions", area.code)
    namer = _AreaNamer(area, rng)
    # USCC serials: an affine bijection of the row index modulo 10^8 - unique, not sequential-looking.
    uscc_step, uscc_offset = rng.randrange(1, 10**7) * 10 + rng.choice((1, 3, 7, 9)), rng.randrange(10**8)
    earliest = dt.date(2010, 1, 1).toordinal()
    recent = (today - dt.timedelta(days=30)).toordinal()
    index = 0
    for kind, _ in KIND_WEIGHTS:
        categories = [
            cat for cat, n in counts.items() for _ in range(n)
            if (cat == InstitutionCategory.PHARMACY) == (kind == InstitutionKind.PHARMACY)
        ]
        rng.shuffle(categories)
        for seq, category in enumerate(categories, start=1):
            named = _CATEGORY_BUILDERS[category](namer)
            grade = GRADES.pick(rng)
            legal = named.owner or person_name(rng)
            contact = legal if category == InstitutionCategory.VILLAGE or rng.random() < 0.3 else person_name(rng)
            # rng.random(), not randint: how much randomness is used must not depend on ``today``
            span = 365 if grade == "" else recent - 365 - earliest
            signed = recent - (0 if grade == "" else 365) - int(rng.random() * span)
            yield Institution(
                fixmedins_code=make_fixmedins_code(kind, area.code, seq),
                name=named.name,
                uscc=make_uscc(area.code, (uscc_offset + uscc_step * index) % 10**8, named.org_type),
                kind=kind,
                category=category,
                level=named.level,
                region_id=area.code,
                address=named.address,
                legal_representative=legal,
                contact_person=contact,
                contact_phone=landline(rng, area) if category in _LANDLINE_CATEGORIES else mobile(rng),
                contract_status=CONTRACT_STATUSES.pick(rng),
                credit_grade=grade,
                risk_flag=rng.random() < RISK_BY_GRADE.get(grade, RISK_OTHERWISE),
                contract_date=dt.date.fromordinal(signed),
            )
            index += 1


def institutions(seed: int, total: int, today: dt.date) -> Iterator[Institution]:
    """All demo institutions for ``total`` (see :func:`institution_plan`), area by area."""
    plan = institution_plan(total)
    for area in AREAS:
        yield from area_institutions(seed, area, plan[area.code], today)


# --------------------------------------------------------------------------------------------
# departments


#: Public-id prefixes of inspectors by department kind (YB-140522-001).
NUMBER_PREFIX: dict[str, str] = {
    DepartmentKind.HEALTHCARE_SECURITY: "YB",
    DepartmentKind.INSURANCE_CENTER: "ZX",
    DepartmentKind.MARKET_REGULATION: "SJ",
    DepartmentKind.HEALTH_COMMISSION: "WJ",
    DepartmentKind.PUBLIC_SECURITY: "GA",
}
_DEPARTMENT_SUFFIXES: dict[str, tuple[str, str]] = {
    DepartmentKind.HEALTHCARE_SECURITY: ("医疗保障局", "医保局"),
    DepartmentKind.INSURANCE_CENTER: ("医疗保险服务中心", "医保中心"),
    DepartmentKind.MARKET_REGULATION: ("市场监督管理局", "市监局"),
    DepartmentKind.HEALTH_COMMISSION: ("卫生健康局", "卫健局"),
    DepartmentKind.PUBLIC_SECURITY: ("公安局", "公安局"),
}
#: Areas whose health department has another name.
_HEALTH_NAMES: dict[str, tuple[str, str]] = {
    CITY_CODE: ("卫生健康委员会", "卫健委"),
    "140522": ("卫生健康和体育局", "卫体局"),
}


def departments() -> list[tuple[str, str, str, str]]:
    """``(region code, kind, name, short name)`` of the five departments of the city and every area."""
    rows = []
    for code, area_name in [(CITY_CODE, CITY_NAME), *((a.code, a.name) for a in AREAS)]:
        for kind, (suffix, short) in _DEPARTMENT_SUFFIXES.items():
            if kind == DepartmentKind.HEALTH_COMMISSION:
                suffix, short = _HEALTH_NAMES.get(code, (suffix, short))
            rows.append((code, kind, f"{area_name}{suffix}", f"{area_name}{short}"))
    return rows


# --------------------------------------------------------------------------------------------
# inspectors

#: The demo's reference task (阳城 2023 work plan): 5% of an area's institutions, flat or
#: credit-scaled, teams of 2 医保局 + 1 市监局 + 1 卫健/卫体局, at most 3 institutions per inspector.
DEMO_TASK_RATIO = Fraction(5, 100)
DEMO_TEAM: dict[str, int] = {
    DepartmentKind.HEALTHCARE_SECURITY: 2, DepartmentKind.MARKET_REGULATION: 1, DepartmentKind.HEALTH_COMMISSION: 1,
}
#: The city's reference task covers all of its areas at once (the 朔州 2023 example: teams of
#: 1 市医保局 + 1 市医保中心): those two city departments are sized for the sum of the areas' tasks.
CITY_TEAM: dict[str, int] = {DepartmentKind.HEALTHCARE_SECURITY: 1, DepartmentKind.INSURANCE_CENTER: 1}
DEMO_CAP = 3
#: At least this many usable inspectors in every 市监局 and 卫健 department.
MIN_JOINT_STAFF = 3
#: Departments outside the reference team: one usable inspector per this many drawn institutions.
OTHER_STAFF_DIVISOR: dict[str, int] = {DepartmentKind.INSURANCE_CENTER: 8, DepartmentKind.PUBLIC_SECURITY: 15}
#: Inspectors who cannot be drawn (certificate expired, none, on leave, transferred) come on top of
#: the usable ones, about 20% of the total; weights among them.
UNUSABLE_SHARE = Fraction(1, 4)  # of the usable count
UNUSABLE_STATES = Weighted(("expired", 8), ("no_cert", 5), ("on_leave", 5), ("transferred", 2))
#: Spare usable inspectors (may have a current absence or a conflict), as a share of the need.
SPARE_SHARE = Fraction(10, 100)
#: Default total is what the staffing rule asks for, but never more than this (benchmarks; the
#: 100,000-institution benchmark directory asks for about 21,300).
MAX_DEFAULT_INSPECTORS = 25_000
CERT_YEARS = 5
#: Certificates of drawable inspectors are valid from on or before this day (the loadable example
#: plans of ``spotcheck planning load-examples`` are for 2023) to at least a year after ``today``.
CERT_COVERS_FROM = dt.date(2023, 1, 1)
#: Share of inspectors with a past absence, and of spare inspectors with a current/upcoming one.
PAST_ABSENCE_SHARE = 0.05
CURRENT_ABSENCE_SHARE = 0.4
#: Share of inspectors with 1-2 conflicts of interest.
CONFLICT_SHARE = 0.03


def task_size(strata: Mapping[tuple[str, str], int], multipliers: Mapping[str, Any], ungraded_grade: str,
              ratio: Fraction = DEMO_TASK_RATIO) -> int:
    """Upper bound of how many institutions a draw at ``ratio`` takes from one area, credit-scaled
    or flat (the 阳城 2023 task is flat, the 朔州 one credit-scaled).

    ``strata`` maps ``(kind, credit grade)`` → population (grade ``""`` = 未评级, drawn as
    ``ungraded_grade``); ``multipliers`` is the ``draw.grade_multipliers`` policy (``[num, den]`` or
    ``"full"``). Each stratum takes the larger of its flat and credit-scaled sizes, rounded up (the
    largest any rounding policy gives).
    """
    total = 0
    for (_kind, grade), population in strata.items():
        factor = multipliers.get(grade or ungraded_grade, [1, 1])
        flat = math.ceil(population * ratio)
        scaled = population if factor == "full" else math.ceil(population * ratio * Fraction(factor[0], factor[1]))
        total += min(population, max(flat, scaled))
    return total


@dataclass(frozen=True)
class StaffCell:
    """Inspectors of one department: ``usable`` (certified, on duty), ``spare`` (usable but may be
    absent now or conflicted) and ``unusable`` ones."""

    region_code: str
    kind: str
    usable: int
    spare: int
    unusable: int
    need: int  # usable inspectors the reference task needs (:func:`staff_need`)

    @property
    def total(self) -> int:
        return self.usable + self.spare + self.unusable


def team_need(drawn: int, team: Mapping[str, int]) -> dict[str, int]:
    """Usable inspectors each department kind of ``team`` (kind → people per team) needs so that
    ``drawn`` institutions can be staffed at :data:`DEMO_CAP` institutions per inspector."""
    return {kind: max(per_team, math.ceil(per_team * drawn / DEMO_CAP)) for kind, per_team in team.items()}


def staff_need(drawn: int) -> dict[str, int]:
    """Usable inspectors each department kind needs so that ``drawn`` institutions can be staffed."""
    need = team_need(drawn, DEMO_TEAM)
    for kind in (DepartmentKind.MARKET_REGULATION, DepartmentKind.HEALTH_COMMISSION):
        need[kind] = max(need[kind], MIN_JOINT_STAFF)
    for kind, divisor in OTHER_STAFF_DIVISOR.items():
        need[kind] = max(1, math.ceil(drawn / divisor))
    return need


def city_need(drawn_by_area: Mapping[str, int]) -> dict[str, int]:
    """The city's departments: like an average area, but its 医保局 and 医保中心 (:data:`CITY_TEAM`)
    can staff one task over all of the city's areas (the sum of their :func:`task_size`)."""
    average = math.ceil(Fraction(sum(drawn_by_area.values()), max(1, len(drawn_by_area))))
    city_wide = sum(n for code, n in drawn_by_area.items()
                    if code in AREA_BY_CODE and AREA_BY_CODE[code].city == CITY_NAME)
    need = staff_need(average)
    for kind, n in team_need(city_wide, CITY_TEAM).items():
        need[kind] = max(need[kind], n)
    return need


def staff_plan(drawn_by_area: Mapping[str, int], total: int | None = None) -> list[StaffCell]:
    """Inspector counts per (region, department kind) for the city and each area.

    ``drawn_by_area`` is :func:`task_size` per area code; the city is staffed by :func:`city_need`.
    Without ``total`` the plan is what those functions ask for (capped at
    :data:`MAX_DEFAULT_INSPECTORS`); with ``total`` the cells are scaled to it, which may leave
    departments short of the need.
    """
    cells = []
    for code in DEMO_REGION_CODES:
        need = city_need(drawn_by_area) if code == CITY_CODE else staff_need(drawn_by_area.get(code, 0))
        for kind, usable in need.items():
            spare = max(1, math.ceil(usable * SPARE_SHARE))
            cells.append(StaffCell(code, kind, usable, spare, math.ceil((usable + spare) * UNUSABLE_SHARE), usable))
    planned = sum(c.total for c in cells)
    target = total if total is not None else min(planned, MAX_DEFAULT_INSPECTORS)
    if target == planned:
        return cells
    scaled = []
    for cell, n in zip(cells, allocate(target, [c.total for c in cells]), strict=True):
        unusable = round(Fraction(n * cell.unusable, cell.total))
        spare = min(n - unusable, round(Fraction(n * cell.spare, cell.total)))
        scaled.append(StaffCell(cell.region_code, cell.kind, n - unusable - spare, spare, unusable, cell.need))
    return scaled


@dataclass
class GeneratedInspector:
    """An unsaved inspector and the unavailable periods ``(start, end, reason)`` it gets."""

    inspector: Inspector
    kind: str  # department kind
    absences: list[tuple[dt.date, dt.date, str]]


def _birth(rng: random.Random, today: dt.date) -> dt.date:
    return dt.date(today.year - rng.randint(25, 58), rng.randint(1, 12), rng.randint(1, 28))


def _specialties(rng: random.Random, kind: str) -> str:
    if kind == DepartmentKind.MARKET_REGULATION:
        return "药学"
    if kind == DepartmentKind.HEALTH_COMMISSION:
        return "医疗"
    if kind == DepartmentKind.PUBLIC_SECURITY:
        return rng.choice(("财务", "信息"))
    return "、".join(sorted(rng.sample(SPECIALTIES, rng.randint(1, 2)), key=SPECIALTIES.index))


def region_inspectors(seed: int, region_code: str, cells: Sequence[StaffCell], department_ids: Mapping[str, int],
                      today: dt.date) -> Iterator[GeneratedInspector]:
    """Unsaved inspectors of one region (city or area), department by department.

    ``department_ids`` maps department kind → pk. Usable and spare inspectors hold a certificate
    valid from on or before :data:`CERT_COVERS_FROM` (and before ``today``) to at least a year after
    ``today``, so they can be drawn for the 2023 example tasks as well as for a task starting now;
    only spare ones get an absence that overlaps the coming two months, so the usable ones alone meet
    :func:`staff_need`.
    """
    rng = rng_for(seed, "inspectors", region_code)
    city = region_code == CITY_CODE
    id_regions = [a.code for a in AREAS if a.city == CITY_NAME] if city else [region_code]
    # city staff carry 朔州 areas' ID regions: disjoint sequence halves keep their ID numbers apart
    id_serials = (250, 500) if city else (0, 250)
    used_ids: set[str] = set()
    cert_serials: Counter[int] = Counter()
    for cell in cells:
        states = ["usable"] * cell.usable + ["spare"] * cell.spare
        states += [UNUSABLE_STATES.pick(rng) for _ in range(cell.unusable)]
        rng.shuffle(states)
        for seq, state in enumerate(states, start=1):
            male = rng.random() < 0.65
            birth = _birth(rng, today)
            id_number = make_id_number(rng.choice(id_regions), birth, rng.randrange(*id_serials), male)
            while id_number in used_ids:
                id_number = make_id_number(id_number[:6], birth, rng.randrange(*id_serials), male)
            used_ids.add(id_number)
            if state == "no_cert":
                cert, valid_from, valid_to = "", None, None
            else:
                if state == "expired":
                    valid_to = today - dt.timedelta(days=rng.randint(1, 700))
                    valid_from = _add_years(valid_to, -CERT_YEARS) + dt.timedelta(days=1)
                else:
                    valid_from = min(today - dt.timedelta(days=rng.randint(30, 365 * (CERT_YEARS - 1))),
                                     CERT_COVERS_FROM - dt.timedelta(days=rng.randint(0, 365 * 2)))
                    valid_to = max(_add_years(valid_from, CERT_YEARS) - dt.timedelta(days=1),
                                   today + dt.timedelta(days=rng.randint(365, 365 * CERT_YEARS)))
                cert_serials[valid_from.year] += 1
                cert = f"晋{region_code}{valid_from.year}{cert_serials[valid_from.year]:04d}"
            role = InspectorRole.ENFORCEMENT
            if cell.kind == DepartmentKind.INSURANCE_CENTER:
                role = InspectorRole.EXPERT if rng.random() < 0.1 else InspectorRole.AUDIT
            status = {"on_leave": InspectorStatus.ON_LEAVE, "transferred": InspectorStatus.TRANSFERRED}.get(
                state, InspectorStatus.ON_DUTY
            )
            absences = []
            if rng.random() < PAST_ABSENCE_SHARE:
                start = today - dt.timedelta(days=rng.randint(60, 400))
                absences.append((start, start + dt.timedelta(days=rng.randint(3, 30)), rng.choice(ABSENCE_REASONS)))
            if state == "spare" and rng.random() < CURRENT_ABSENCE_SHARE:
                start = today + dt.timedelta(days=rng.randint(-10, 60))
                absences.append((start, start + dt.timedelta(days=rng.randint(5, 30)), rng.choice(ABSENCE_REASONS)))
            inspector = Inspector(
                number=f"{NUMBER_PREFIX[cell.kind]}-{region_code}-{seq:03d}",
                name=person_name(rng, male),
                department_id=department_ids[cell.kind],
                region_id=region_code,
                id_number=id_number,
                phone=mobile(rng),
                role=role,
                specialties=_specialties(rng, cell.kind),
                cert_number=cert,
                cert_valid_from=valid_from,
                cert_valid_to=valid_to,
                status=status,
                notes="已调离原单位" if status == InspectorStatus.TRANSFERRED else "",
            )
            yield GeneratedInspector(inspector, cell.kind, absences)


# --------------------------------------------------------------------------------------------
# conflicts of interest


@dataclass(frozen=True)
class ConflictDraft:
    """A conflict between inspector ``number`` and the institution with ``fixmedins_code``."""

    number: str
    fixmedins_code: str
    reason: str
    note: str
    valid_from: dt.date
    valid_to: dt.date | None


def conflicts(seed: int, numbers_by_region: Mapping[str, Sequence[str]],
              kind_counts: Mapping[str, Mapping[str, int]], today: dt.date) -> list[ConflictDraft]:
    """About :data:`CONFLICT_SHARE` of the inspectors get 1-2 conflicts with distinct institutions of
    their area (city inspectors: any 朔州 area). ``kind_counts`` is ``{area: {kind: count}}``, the
    sequence numbers 1..count that exist per kind."""
    drafts = []
    for region_code in DEMO_REGION_CODES:
        rng = rng_for(seed, "conflicts", region_code)
        areas = [a.code for a in AREAS if a.city == CITY_NAME] if region_code == CITY_CODE else [region_code]
        pool = [(code, kind, n) for code in areas for kind, n in kind_counts.get(code, {}).items() if n]
        if not pool:
            continue
        for number in numbers_by_region.get(region_code, ()):
            if rng.random() >= CONFLICT_SHARE:
                continue
            codes: set[str] = set()
            for _ in range(rng.randint(1, 2)):
                code, kind, n = rng.choices(pool, weights=[p[2] for p in pool])[0]
                codes.add(make_fixmedins_code(kind, code, rng.randint(1, n)))
            for fixmedins_code in sorted(codes):
                reason = CONFLICT_REASONS.pick(rng)
                valid_from = today - dt.timedelta(days=rng.randint(30, 1500))
                valid_to = None if rng.random() < 0.7 else today + dt.timedelta(days=rng.randint(180, 1000))
                drafts.append(ConflictDraft(number, fixmedins_code, reason, rng.choice(CONFLICT_NOTES[reason]),
                                            valid_from, valid_to))
    return drafts


# --------------------------------------------------------------------------------------------
# demo accounts

DEMO_PASSWORD = "spotcheck-demo"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    region_code: str
    display_name: str
    superuser: bool = False
    #: Linked (``inspector_number``) to a usable 阳城县医疗保障局 inspector, whose name it then shows.
    linked_inspector: bool = False


#: The only accounts the generator creates (``demo-county-lead`` approves what ``demo-county``
#: proposes, so the two-person rule can be shown in 阳城).
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("demo-admin", Role.ADMIN, "", "安装管理员", superuser=True),
    DemoAccount("demo-sysadmin", Role.ADMIN, "", "系统管理员"),
    DemoAccount("demo-security", Role.SECURITY_ADMIN, "", "安全管理员"),
    DemoAccount("demo-audit-admin", Role.AUDIT_ADMIN, "", "审计管理员"),
    DemoAccount("demo-city", Role.CITY_ADMIN, CITY_CODE, "朔州市局管理员"),
    DemoAccount("demo-county", Role.COUNTY_STAFF, "140522", "阳城县医保局业务人员"),
    DemoAccount("demo-county-lead", Role.CITY_ADMIN, "140522", "阳城县医保局负责人"),
    DemoAccount("demo-inspector", Role.INSPECTOR, "140522", "检查人员", linked_inspector=True),
    DemoAccount("demo-auditor", Role.AUDITOR, "", "审计/纪检"),
)
