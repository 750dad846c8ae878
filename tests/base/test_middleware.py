"""Requests with a NUL character in a query parameter are refused with 400, on every route."""

from __future__ import annotations


def test_a_nul_character_in_a_query_is_a_400(client, county_user):
    client.force_login(county_user)
    response = client.get("/audit/", {"object_type": "x\x00y"})
    assert response.status_code == 400 and "NUL" in response.content.decode()
    assert client.get("/portal/", {"q": "\x00"}).status_code == 400
    assert client.get("/directory/institutions/", {"q": "阳城"}).status_code == 200
