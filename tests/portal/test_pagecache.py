"""The public page cache (``portal.pagecache``): a rendered page is served again from the cache — data changed
behind its back do not show — until the generation moves on, and every publication moves it on (after its
commit).

The test settings switch the page cache off (``SPOTCHECK_PORTAL_CACHE_SECONDS = 0``); ``page_cache`` switches
it on with a local-memory cache of its own, so these tests fail whenever pages are rendered afresh on every
request (cache off, a dummy cache backend, or a view no longer wrapped by ``pagecache.cached``).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from spotcheck.directory.models import Institution
from spotcheck.portal import actions, pagecache
from spotcheck.portal.models import Publication

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # on_commit hooks must run


@pytest.fixture
def page_cache(settings):
    """The page cache on (60 s) in a local-memory cache of its own, empty at start and at the end."""
    settings.SPOTCHECK_PORTAL_CACHE_SECONDS = 60
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "spotcheck-pagecache-tests"}}
    cache.clear()
    yield cache
    cache.clear()


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_cached_page_is_served_until_it_is_invalidated(client, page_cache, monkeypatch, inspections, county_user):
    first, second = inspections[0], inspections[1]
    code1, code2 = first.institution.fixmedins_code, second.institution.fixmedins_code
    actions.publish(county_user, first)
    url = reverse("portal:results")
    page = _get(client, url)
    assert code1 in page and code2 not in page

    # A second publication with the invalidation switched off: the data change, the cached page does not.
    monkeypatch.setattr(pagecache, "bump", lambda: None)
    actions.publish(county_user, second)
    assert Publication.objects.filter(inspection=second).exists()
    stale = _get(client, url)
    assert code2 not in stale, "the results page was rendered afresh: it is not served from the page cache"
    assert stale == page

    # The project's invalidation (what every publication runs after its commit): the new result shows.
    monkeypatch.undo()
    pagecache.bump()
    fresh = _get(client, url)
    assert code1 in fresh and code2 in fresh


def test_a_publication_invalidates_the_cached_pages(client, page_cache, inspections, county_user):
    first, second = inspections[0], inspections[1]
    code2 = second.institution.fixmedins_code
    actions.publish(county_user, first)
    results = reverse("portal:results")
    institution = reverse("portal:institution", args=[first.institution.fixmedins_code])
    assert code2 not in _get(client, results)
    assert first.institution.name in _get(client, institution)

    # The institution renamed directly in the database (no publication, no invalidation): still the old page.
    Institution.objects.filter(pk=first.institution_id).update(name="更名后的测试医院")
    assert "更名后的测试医院" not in _get(client, institution), "the institution page is not served from the cache"
    assert code2 not in _get(client, results)

    actions.publish(county_user, second)  # bumps the generation after the commit: every page is rendered anew
    assert "更名后的测试医院" in _get(client, institution)
    assert code2 in _get(client, results)


def test_cache_off_serves_fresh_pages(client, settings, inspections, county_user):
    settings.SPOTCHECK_PORTAL_CACHE_SECONDS = 0
    url = reverse("portal:results")
    assert inspections[0].institution.fixmedins_code not in client.get(url).content.decode()
    actions.publish(county_user, inspections[0])
    assert inspections[0].institution.fixmedins_code in client.get(url).content.decode()


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
