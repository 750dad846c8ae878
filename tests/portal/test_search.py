"""The public result search (``portal.public.filter_versions`` / ``count_publications`` / the id-first pages)
against a plain Python reference over every publication, and its helpers (name index, ``InIdList``)."""

from __future__ import annotations

import itertools

import pytest
from django.db.models import F
from django.http import QueryDict
from django.urls import reverse

from spotcheck.directory.models import Institution
from spotcheck.portal import public
from spotcheck.portal.lookups import InIdList, InLongIdList
from spotcheck.portal.models import Publication
from spotcheck.portal.paging import IdFirstPaginator
from tests import factories as f
from tests.portal.test_stats import dataset  # noqa: F401 — the fixture: 2 areas, 2 years, a correction

PARAMS = {
    "q": ["", "阳城", "不存在的机构名"],
    "area": ["", f.YANGCHENG, f.YANGCHENG[:4] + "00", f.HUAIREN, "bad"],
    "year": ["", "2026", "2025"],
    "result": ["", "no_problem", "corrected"],
    "all": ["", "1"],
}


def reference(params: dict[str, str]) -> list[int]:
    """Ids the search should give, newest first, computed row by row in Python."""
    superseded = set(Publication.objects.exclude(supersedes=None).values_list("supersedes_id", flat=True))
    out = []
    for p in Publication.objects.select_related("institution").order_by("-published_at", "-id"):
        inst = p.institution
        q = params.get("q", "")
        if q and q.casefold() not in inst.name.casefold() and q.upper() != inst.fixmedins_code:
            continue
        area = params.get("area", "")
        prefix = area[:4] if area.endswith("00") else area  # a city code covers its counties
        if area and (area == "bad" or not p.institution_region_id.startswith(prefix)):
            continue
        if params.get("year") and str(p.year) != params["year"]:
            continue
        if params.get("result") and p.result_type != params["result"]:
            continue
        if params.get("all") != "1" and p.pk in superseded:
            continue
        out.append(p.pk)
    return out


@pytest.mark.django_db
def test_search_matches_the_reference_for_every_filter_combination(dataset):  # noqa: F811
    fragment = Institution.objects.values_list("name", flat=True).first()[-3:]  # a fragment of a real name
    grid = {**PARAMS, "q": [*PARAMS["q"], fragment]}
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        query = QueryDict(mutable=True)
        query.update({k: v for k, v in params.items() if v})
        expected = reference(params)
        versions = public.filter_versions(Publication.objects.all(), query)
        listed = public.filter_publications(Publication.objects.all(), query).order_by("-published_at", "-id")
        assert public.count_publications(versions, query) == len(expected), params
        assert list(listed.values_list("pk", flat=True)) == expected, params


@pytest.mark.django_db
def test_result_pages_are_loaded_by_id_in_order(dataset):  # noqa: F811
    qs = Publication.objects.order_by("-published_at", "-id")
    every = list(qs.values_list("pk", flat=True))
    loaded: list[list[int]] = []

    def load(ids: list[int]):
        loaded.append(list(ids))
        return public.publications().filter(pk__in=ids)

    paginator = IdFirstPaginator(qs, 3, load=load, count_rows=lambda: len(every))
    pages = [[p.pk for p in paginator.page(n)] for n in paginator.page_range]
    assert sum(pages, []) == every and loaded == pages
    assert paginator.count == len(every) and paginator.num_pages == -(-len(every) // 3)
    # the corrected version is marked without joining its correction
    listed = [p for n in paginator.page_range for p in paginator.page(n).object_list]
    corrected = [p for p in listed if p.is_corrected]
    assert len(corrected) == 1
    assert corrected[0].corrected_by_pk == Publication.objects.get(supersedes=corrected[0]).pk


@pytest.mark.django_db
def test_result_page_counts_every_page_of_a_search_once(client, dataset, settings, monkeypatch):  # noqa: F811
    settings.SPOTCHECK_PORTAL_CACHE_SECONDS = 60
    calls = []
    original = public.count_publications

    def counting(versions, params):
        calls.append(params.get("page"))
        return original(versions, params)

    monkeypatch.setattr(public, "count_publications", counting)
    first = client.get(reverse("portal:results") + "?year=2026").content.decode()
    second = client.get(reverse("portal:results") + "?year=2026&page=1").content.decode()
    other = client.get(reverse("portal:results") + "?year=2025").content.decode()
    n2026 = len(reference({"year": "2026"}))
    assert f"共 {n2026} 条" in first and f"共 {n2026} 条" in second
    assert f"共 {len(reference({'year': '2025'}))} 条" in other
    assert len(calls) == 2  # 2026 once for both pages, 2025 once


@pytest.mark.django_db
def test_name_index_finds_substrings_codes_and_new_names(settings):
    settings.SPOTCHECK_PORTAL_CACHE_SECONDS = 0  # reload on every call
    a = f.institution(f.YANGCHENG, "H", name="阳城县ABC人民医院")
    b = f.institution(f.YANGCHENG, "P", name="阳城县人民大药房")
    assert set(public.matching_institutions("人民")) == {a.pk, b.pk}
    assert public.matching_institutions("abc") == [a.pk]  # ignoring case
    assert public.matching_institutions(b.fixmedins_code.lower()) == [b.pk]
    assert public.matching_institutions("人民医院\n阳城") == []
    c = f.institution(f.YANGCHENG, "H", name="新设人民医院")
    assert c.pk in public.matching_institutions("人民医院")
    settings.SPOTCHECK_PORTAL_CACHE_SECONDS = 60  # now kept for a minute: one load for many searches
    public.matching_institutions("人民")
    f.institution(f.YANGCHENG, "H", name="稍后设立的人民医院")
    assert len(public.matching_institutions("人民医院")) == 2


@pytest.mark.django_db
def test_in_id_list_lookup(dataset):  # noqa: F811
    ids = list(Publication.objects.values_list("pk", flat=True))
    assert set(Publication.objects.filter(InIdList(F("pk"), ids[:2])).values_list("pk", flat=True)) == set(ids[:2])
    assert not Publication.objects.filter(InIdList(F("pk"), [])).exists()
    ordered = Publication.objects.order_by("-published_at", "-id")
    institutions = list(Institution.objects.values_list("pk", flat=True))
    for n in range(len(institutions) + 1):  # the scanning variant (a hint to SQLite's planner) gives the same rows
        by_scan = ordered.filter(InLongIdList(F("institution"), institutions[:n])).values_list("pk", flat=True)
        assert list(by_scan) == list(ordered.filter(institution__in=institutions[:n]).values_list("pk", flat=True))
    with pytest.raises(TypeError):
        Publication.objects.filter(InIdList(F("pk"), ["1"])).exists()


@pytest.mark.django_db
def test_publication_keeps_the_institution_area(dataset):  # noqa: F811
    for pub in Publication.objects.select_related("institution"):
        assert pub.institution_region_id == pub.institution.region_id
