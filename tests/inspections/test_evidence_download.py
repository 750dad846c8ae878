"""Stored evidence is served with the type checked at upload, never the client's name as the type or the path:
PDF as an attachment named with the real extension, photos inline; always X-Content-Type-Options: nosniff."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from spotcheck.inspections import actions
from tests.factories import JPEG, PDF


def test_a_pdf_named_html_downloads_as_a_pdf_attachment(client_for, team_user, hospital_inspection):
    ev = actions.add_evidence(team_user, hospital_inspection, SimpleUploadedFile("../../报告.html", PDF, "text/html"),
                              "document")
    assert ev.content_type == "application/pdf" and ".." not in ev.file.name and ev.file.name.endswith(".pdf")
    r = client_for(team_user).get(reverse("inspections:evidence-file", args=[ev.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("attachment;") and "%E6%8A%A5%E5%91%8A.pdf" in r["Content-Disposition"]
    assert ".html" not in r["Content-Disposition"] and r["X-Content-Type-Options"] == "nosniff"


def test_a_photo_opens_inline_with_its_checked_type(client_for, team_user, hospital_inspection):
    ev = actions.add_evidence(team_user, hospital_inspection, SimpleUploadedFile("现场.svg", JPEG, "image/svg+xml"),
                              "photo")
    r = client_for(team_user).get(reverse("inspections:evidence-file", args=[ev.pk]))
    assert r["Content-Type"] == "image/jpeg" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Disposition"].startswith("inline;") and "jpg" in r["Content-Disposition"]
