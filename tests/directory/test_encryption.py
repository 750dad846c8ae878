"""Personal data of the directories at rest: imports accept plaintext and encrypt, exports mask or decrypt,
a changed phone through the import moves its digest too (spotcheck/base/fields.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from spotcheck.audit.verify import verify_all
from spotcheck.core.codes import make_id_number
from spotcheck.directory import io
from spotcheck.directory.models import Inspector
from tests import factories as f

ID = make_id_number(f.YANGCHENG, dt.date(1979, 3, 4), 21, False)


def _raw(pk: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM directory_inspector WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_import_encrypts_and_export_masks_unless_allowed(county_user, auditor_user):
    insp = f.inspector(id_number=ID, phone="13912345678")
    f.audit_baseline()
    full = io.export_for(county_user, "inspectors", {}, "csv").decode("utf-8")
    assert ID in full and "13912345678" in full
    masked = io.export_for(auditor_user, "inspectors", {}, "csv").decode("utf-8")
    assert ID not in masked and "13912345678" not in masked and "139****5678" in masked

    # a masked file re-imports without change; a new phone in plaintext is encrypted, its digest follows
    result = io.import_file("inspectors", masked.encode("utf-8"), "x.csv", actor=county_user)
    assert result.ok and Inspector.objects.get(pk=insp.pk).phone == "13912345678"
    changed = full.replace("13912345678", "13700001111").encode("utf-8")
    result = io.import_file("inspectors", changed, "x.csv", actor=county_user)
    assert result.ok, result.errors
    assert "13700001111" not in _raw(insp.pk, "phone") and _raw(insp.pk, "phone").startswith("sm4gcm:")
    assert Inspector.objects.get(phone__matches="137 0000 1111") == insp
    assert not Inspector.objects.filter(phone__matches="13912345678").exists()
    assert Inspector.objects.get(id_number__matches=ID) == insp
    assert verify_all().ok
