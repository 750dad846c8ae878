"""Default data of the editable catalogues: violation types (阳城 方案) and the 包容审慎清单 (附件5).

``ensure_defaults()`` is idempotent: it creates missing rows and never overwrites an admin's edits.
Called by the data migration and by ``demo-data``.
"""

from __future__ import annotations


def ensure_defaults(apps=None) -> None:  # type: ignore[no-untyped-def]
    """``apps``: a migration's historical app registry (default: the live models). Create the default violation catalogue, lenience entries and circumstances when missing."""
