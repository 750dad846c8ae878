"""Signed-in sessions end after the idle time and after the longest lifetime (issue 13 §3)."""

from __future__ import annotations

import time

from spotcheck.accounts.middleware import SEEN, SIGNED_IN


def _age(client, **seconds_ago):
    session = client.session
    for key, ago in seconds_ago.items():
        session[{"seen": SEEN, "signed_in": SIGNED_IN}[key]] = time.time() - ago
    session.save()


def test_an_idle_session_ends(client, county_user, settings):
    settings.SPOTCHECK_SESSION_IDLE_MINUTES = 30
    client.force_login(county_user)
    assert client.get("/").status_code == 200
    _age(client, seen=29 * 60)
    assert client.get("/").status_code == 200  # still inside the idle time (and this request renews it)
    _age(client, seen=31 * 60)
    response = client.get("/", follow=True)
    assert response.redirect_chain and "/accounts/login/" in response.redirect_chain[-1][0]
    assert "长时间未操作，已自动退出" in response.content.decode()


def test_a_session_ends_at_its_longest_lifetime_even_when_busy(client, county_user, settings):
    settings.SPOTCHECK_SESSION_MAX_HOURS = 12
    client.force_login(county_user)
    client.get("/")
    _age(client, seen=10, signed_in=12 * 3600 + 1)
    response = client.get("/", follow=True)
    assert "登录时间已超过上限" in response.content.decode()
    assert client.get("/").status_code == 302
