"""The default file storage: a ``FileSystemStorage`` whose writes follow the running action.

A file saved while an action runs is removed again if the action's transaction rolls back
(see :mod:`spotcheck.base.transactions`). Outside an action it behaves as ``FileSystemStorage``.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import FileSystemStorage

from .transactions import current_ledger


class TransactionalStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        saved = super()._save(name, content)
        ledger = current_ledger()
        if ledger is not None:
            ledger.register(self, saved)
        return saved
