"""Signal receivers: credit records created from reviewed inspections.

``inspection_reviewed`` turns every finding of the reviewed record into 不良信息;
``finding_decided`` brings one finding's records up to date (only once its inspection is reviewed).
Both are idempotent (``actions.sync_finding``) and run inside the sender's transaction.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from spotcheck.inspections.signals import finding_decided, inspection_reviewed


@receiver(inspection_reviewed, dispatch_uid="credit.inspection_reviewed")
def on_inspection_reviewed(sender: Any, inspection: Any, user: Any = None, **kwargs: Any) -> None:
    from . import actions

    actions.sync_inspection(user or "system", inspection)


@receiver(finding_decided, dispatch_uid="credit.finding_decided")
def on_finding_decided(sender: Any, finding: Any, user: Any = None, **kwargs: Any) -> None:
    from . import actions

    actions.sync_finding(user or "system", finding)
