"""Signals other apps listen to, so inspections never imports them.

- ``inspection_reviewed(sender=Inspection, inspection, user)``: sent inside the review transaction
  once a record is approved (status ``reviewed``); credit turns its findings and penalties into 不良信息.
- ``finding_decided(sender=Finding, finding, user)``: sent when a person decides a finding's treatment
  or records a penalty and whether it was executed.
- ``inspection_published(sender=Inspection, inspection, publication, user)``: sent by the portal when
  a result is published (or a correction supersedes it).
- ``finding_corrected(sender=Finding, finding, user, reason)``: sent when a finding is voided (作废)
  before review, or voided or changed (amounts, description) by a published correction; credit then
  withdraws or supersedes the records made from it.
"""

from django.dispatch import Signal

inspection_reviewed = Signal()
finding_decided = Signal()
inspection_published = Signal()
finding_corrected = Signal()
