"""The public page cache: pages are served from the cache, and a publication invalidates them at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from spotcheck.portal import actions

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # on_commit hooks must run


def test_cached_results_page_is_invalidated_by_a_publication(client, settings, inspections, county_user):
    settings.SPOTCHECK_PORTAL_CACHE_SECONDS = 60
    first, second = inspections[0], inspections[1]
    actions.publish(county_user, first)
    url = reverse("portal:results")
    page = client.get(url).content.decode()
    assert first.institution.name in page and second.institution.name not in page

    # A second request is served from the cache: a change that does not bump the generation is not seen.
    from spotcheck.portal.models import Publication

    assert client.get(url).content.decode() == page
    assert Publication.objects.count() == 1

    actions.publish(county_user, second)  # bumps the generation after the commit
    page = client.get(url).content.decode()
    assert first.institution.name in page and second.institution.name in page


def test_cache_off_serves_fresh_pages(client, settings, inspections, county_user):
    settings.SPOTCHECK_PORTAL_CACHE_SECONDS = 0
    url = reverse("portal:results")
    assert inspections[0].institution.name not in client.get(url).content.decode()
    actions.publish(county_user, inspections[0])
    assert inspections[0].institution.name in client.get(url).content.decode()


def test_production_cache_is_shared_and_survives_close(tmp_path):
    """The production backend (diskcache in SQLite files): what one process writes another reads; Django's
    per-request ``close()`` keeps it usable; ``incr`` and ``add`` behave as the rate limit needs."""
    from spotcheck.portal.cachebackend import SharedDiskCache

    params = {"TIMEOUT": 60, "SHARDS": 2, "DATABASE_TIMEOUT": 0.25}
    one, two = SharedDiskCache(str(tmp_path), params), SharedDiskCache(str(tmp_path), params)
    one.set("page", {"html": "<p>公示</p>"}, 30)
    one.close()
    assert two.get("page") == {"html": "<p>公示</p>"} and one.get("page") == {"html": "<p>公示</p>"}
    assert one.add("rl", 1, 30) and not two.add("rl", 1, 30)
    assert two.incr("rl") == 2 and one.get("rl") == 2
