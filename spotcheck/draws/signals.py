"""Signals other apps listen to, so draws never imports them.

- ``assignments_changed(sender=Draw, draw, actor)``: sent inside the action's transaction when a
  draw's assignments are set or changed (reveal approved, event approved). Inspections creates the
  missing inspection records; a receiver's exception rolls the whole step back.
"""

from django.dispatch import Signal

assignments_changed = Signal()
