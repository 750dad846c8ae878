"""Actions run in one durable transaction, and files follow it (issue 11 § 5)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from spotcheck.base.transactions import action, atomic_action


class Refused(Exception):
    pass


@action
def _write_then_fail(name: str) -> str:
    saved = default_storage.save(name, ContentFile(b"evidence"))
    raise Refused(saved)


@action
def _write_in_rolled_back_savepoint(keep: str, lose: str) -> tuple[str, str]:
    kept = default_storage.save(keep, ContentFile(b"kept"))
    lost = ""
    try:
        with transaction.atomic():
            lost = default_storage.save(lose, ContentFile(b"lost"))
            raise Refused(lost)
    except Refused:
        pass
    return kept, lost


@action
def _outer(name: str) -> str:
    return _inner(name)


@action
def _inner(name: str) -> str:
    return default_storage.save(name, ContentFile(b"inner"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rolled_back_action_leaves_no_file():
    with pytest.raises(Refused) as exc:
        _write_then_fail("tx/rollback.bin")
    assert not default_storage.exists(exc.value.args[0])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rolled_back_savepoint_loses_only_its_own_file():
    kept, lost = _write_in_rolled_back_savepoint("tx/keep.bin", "tx/lose.bin")
    assert default_storage.exists(kept)
    assert not default_storage.exists(lost)
    default_storage.delete(kept)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_nested_actions_share_the_outer_transaction():
    name = _outer("tx/nested.bin")
    assert default_storage.exists(name)
    default_storage.delete(name)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_action_inside_a_bare_transaction_is_refused():
    """Durable: a caller cannot wrap an action in its own transaction and commit half of it."""
    with pytest.raises(RuntimeError), transaction.atomic():
        _inner("tx/never.bin")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_atomic_action_is_the_same_transaction():
    with pytest.raises(Refused), atomic_action():
        name = default_storage.save("tx/block.bin", ContentFile(b"x"))
        raise Refused(name)
    assert not default_storage.exists("tx/block.bin")
