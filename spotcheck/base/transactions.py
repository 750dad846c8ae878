"""One durable transaction per action, and files that follow it.

``@action`` wraps a public write function (an "action"). The outermost action opens
``transaction.atomic(durable=True)``: when it returns, everything it did is committed; an action
called from inside another action runs in a savepoint of the outer one, so a refusal deep inside
rolls back the whole action. Calling an action inside a bare ``transaction.atomic()`` fails
(durable), which keeps callers from committing half of an action.

Files written through :class:`spotcheck.base.storage.TransactionalStorage` while an action runs are
recorded in its :class:`FileLedger`. If the action's transaction rolls back (an exception, or a
savepoint that rolled back while the action went on) the files it wrote are removed, so no file
stays on disk without its row.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from django.db import connection, transaction

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_local = threading.local()
_shared_connection_lock = threading.RLock()


class FileLedger:
    """Files written during one action: kept when their transaction commits, removed otherwise."""

    def __init__(self) -> None:
        self.written: list[tuple[Any, str]] = []
        self.confirmed: set[str] = set()
        self.committed = False
        self.context: dict[str, Any] = {}

    def register(self, storage: Any, name: str) -> None:
        self.written.append((storage, name))
        # Django drops this callback when the savepoint around the write rolls back.
        transaction.on_commit(lambda: self.confirmed.add(name))

    def _remove(self, storage: Any, name: str) -> None:
        try:
            storage.delete(name)
        except OSError:  # pragma: no cover - logged, nothing else to do
            log.exception("could not remove the file %s of a rolled-back transaction", name)

    def discard_all(self) -> None:
        for storage, name in self.written:
            self._remove(storage, name)

    def settle(self) -> None:
        """After the commit: remove the files whose savepoint rolled back."""
        for storage, name in self.written:
            if name not in self.confirmed:
                self._remove(storage, name)


def current_ledger() -> FileLedger | None:
    return getattr(_local, "ledger", None)


def action_context() -> dict[str, Any] | None:
    """A dict that lives as long as the running (outermost) action, for bookkeeping; None outside."""
    ledger = current_ledger()
    return None if ledger is None else ledger.context


def in_action() -> bool:
    return bool(getattr(_local, "depth", 0))


def require_action(what: str) -> None:
    """For a write helper that is part of an action but not one itself: refuse to run outside one."""
    if not in_action():
        raise RuntimeError(f"{what} writes and must be called inside an action (@action / atomic_action)")


@contextlib.contextmanager
def atomic_action() -> Iterator[None]:
    """The transaction of an action, for code that is not a single function (a command, an import).

    Outermost: ``transaction.atomic(durable=True)`` with a file ledger; nested: a savepoint.
    """
    depth = getattr(_local, "depth", 0)
    if depth:
        _local.depth = depth + 1
        try:
            with transaction.atomic():
                yield
        finally:
            _local.depth = depth
        return
    # A connection shared between threads (only Django's test live server on in-memory SQLite does this)
    # must not run two actions at once: the second would find itself inside the first one's transaction.
    shared = connection.allow_thread_sharing
    if shared:
        _shared_connection_lock.acquire()
    ledger = FileLedger()
    _local.depth, _local.ledger = 1, ledger
    try:
        with transaction.atomic(durable=True):
            # first of the on-commit hooks: a later hook that raises must not remove committed files
            transaction.on_commit(lambda: setattr(ledger, "committed", True))
            yield
    except BaseException:
        if not ledger.committed:
            ledger.discard_all()
        raise
    finally:
        _local.depth, _local.ledger = 0, None
        if shared:
            _shared_connection_lock.release()
    if not connection.in_atomic_block:
        # really committed (a test's enclosing transaction defers on_commit; nothing to settle then)
        ledger.settle()


def action(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` as an action: its outermost call in one durable transaction with its files."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with atomic_action():
            return func(*args, **kwargs)

    wrapper.is_action = True  # type: ignore[attr-defined]
    return wrapper
