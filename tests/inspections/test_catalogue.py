"""Default catalogues (spotcheck.inspections.catalogue), loaded by the data migration 0002."""

from __future__ import annotations

import pytest

from spotcheck.core.lenience import DEFAULT_ENTRIES, DEFAULT_STATUTES, Condition, act_article
from spotcheck.inspections.catalogue import HOSPITAL_VIOLATIONS, PHARMACY_VIOLATIONS, ensure_defaults
from spotcheck.inspections.models import LenienceCircumstance, LenienceEntry, ViolationType

pytestmark = pytest.mark.django_db


def test_migration_loaded_the_defaults():
    assert ViolationType.objects.filter(kind="H").count() == 9
    assert ViolationType.objects.filter(kind="P").count() == 9
    assert LenienceEntry.objects.count() == len(DEFAULT_ENTRIES) == 20
    assert set(LenienceCircumstance.objects.values_list("code", flat=True)) == {"art6", "art7", "art8"}
    assert ensure_defaults() == {"violation_types": 0, "lenience_entries": 0, "circumstances": 0}


def test_catalogue_mapping():
    by_name = {v.name: v for v in ViolationType.objects.all()}
    charge = next(v for n, v in by_name.items() if n.startswith("分解收费"))
    assert (charge.act_code, charge.article, charge.kind) == ("38-duplicate-charge", 38, "H")
    assert ViolationType.objects.get(kind="H", seq=6).act_code == "38-substitution"
    assert ViolationType.objects.get(kind="P", seq=2).act_code == "38-substitution"
    assert ViolationType.objects.get(kind="H", seq=3).act_code.startswith("40-")
    assert ViolationType.objects.get(kind="P", seq=1).act_code.startswith("40-")
    assert ViolationType.objects.get(kind="P", seq=7).act_code.startswith("39-")
    assert ViolationType.objects.get(kind="H", seq=9).act_code == "38-other-loss"
    for v in ViolationType.objects.all():
        assert act_article(v.act_code) == v.article
        assert v.article in DEFAULT_STATUTES


def test_every_catalogue_code_except_other_acts_has_a_lenience_entry():
    listed = {e.act_code for e in DEFAULT_ENTRIES}
    for _, _, code in HOSPITAL_VIOLATIONS + PHARMACY_VIOLATIONS:
        assert code in listed, code


def test_entries_store_conditions_as_json():
    row = LenienceEntry.objects.get(kind="不予处罚", act_code="38-duplicate-charge")
    assert row.conditions == [
        {"kind": "amount_below_threshold", "article": ""},
        {"kind": "circumstance", "article": "第六条"},
    ]
    assert [Condition(c["kind"], c["article"]) for c in row.conditions]  # round-trips into core
    assert LenienceEntry.objects.get(kind="首违不罚", number=1).conditions[0]["kind"] == "first_time"


def test_ensure_defaults_never_overwrites_edits_and_fills_gaps():
    ViolationType.objects.filter(kind="H", seq=7).update(name="改过的名称", act_code="38-other-loss")
    LenienceEntry.objects.filter(kind="不予处罚", number=2).update(basis="管理员改过的依据")
    LenienceCircumstance.objects.filter(code="art6").update(text="第六条的真实条文")
    ViolationType.objects.filter(kind="P", seq=9).delete()
    LenienceCircumstance.objects.filter(code="art8").delete()
    # an admin renumbered an entry: the default is not added a second time
    LenienceEntry.objects.filter(kind="首违不罚", number=6).update(number=16)

    created = ensure_defaults()

    assert created == {"violation_types": 1, "lenience_entries": 0, "circumstances": 1}
    edited = ViolationType.objects.get(kind="H", seq=7)
    assert (edited.name, edited.act_code) == ("改过的名称", "38-other-loss")
    assert LenienceEntry.objects.get(kind="不予处罚", number=2).basis == "管理员改过的依据"
    assert LenienceCircumstance.objects.get(code="art6").text == "第六条的真实条文"
    assert ViolationType.objects.filter(kind="P", seq=9).exists()
    assert LenienceEntry.objects.filter(kind="首违不罚").count() == 6
