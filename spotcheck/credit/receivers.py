"""Signal receivers: credit records created from reviewed inspections.

``inspection_reviewed`` turns every finding of the reviewed record into 不良信息;
``finding_decided`` brings one finding's records up to date (only once its inspection is reviewed);
``finding_corrected`` (a finding voided, or changed by a published correction) closes or supersedes
its records from their start, so credit follows the corrected version.
All are idempotent (``actions.sync_finding``) and run inside the sender's transaction.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from spotcheck.inspections.signals import finding_corrected, finding_decided, inspection_reviewed


@receiver(inspection_reviewed, dispatch_uid="credit.inspection_reviewed")
def on_inspection_reviewed(sender: Any, inspection: Any, user: Any = None, **kwargs: Any) -> None:
    from . import actions

    actions.sync_inspection(user or "system", inspection)


@receiver(finding_decided, dispatch_uid="credit.finding_decided")
def on_finding_decided(sender: Any, finding: Any, user: Any = None, **kwargs: Any) -> None:
    from . import actions

    actions.sync_finding(user or "system", finding)


@receiver(finding_corrected, dispatch_uid="credit.finding_corrected")
def on_finding_corrected(sender: Any, finding: Any, user: Any = None, reason: str = "",
                         **kwargs: Any) -> None:
    from . import actions

    actions.sync_finding(user or "system", finding, correction=reason or "检查问题已更正")
