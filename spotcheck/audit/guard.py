"""Refuse to write over a row that was changed behind the application.

``record`` copies a row's whole state into the chain. Without this guard, a later legitimate write
(editing 备注) or event (a download) would copy a field someone had changed directly in the database
into the chain and so make the change look legitimate. Therefore, before a tracked row is written
(``pre_save``; explicitly with :func:`check_rows` before bulk writes) and before an event records the
state of a row that the action did not write, the row in the database must still equal the state of
its newest event. If not, :class:`TamperedRow` refuses the step with a Chinese message; an
administrator examines the row (``spotcheck audit verify``) and either restores the recorded values
or accepts the found ones with a reason (``spotcheck audit accept``), which the chain then shows.

Rows without any state event (written before the chain recorded states, or by test builders) are
not checked: there is nothing to compare with. ``SPOTCHECK_AUDIT_GUARD`` (default on) switches the
guard; the test settings turn it off because test set-ups write rows directly, and the tests of the
guard and of whole workflows turn it back on.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from spotcheck.base.transactions import action_context

from .state import capture_values, spec_for, state_fields, state_select


class TamperedRow(Exception):
    """A row differs from its last recorded state; ``message`` is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _key(model: type[models.Model], pk: Any) -> tuple[str, str]:
    return model._meta.label_lower, str(pk)


def mark_written(model: type[models.Model], pk: Any) -> None:
    ctx = action_context()
    if ctx is not None:
        ctx.setdefault("written", set()).add(_key(model, pk))


def written_in_this_action(model: type[models.Model], pk: Any) -> bool:
    ctx = action_context()
    return ctx is not None and _key(model, pk) in ctx.get("written", ())


def check_rows(model: type[models.Model], pks: list[Any]) -> None:
    """Raise :class:`TamperedRow` if a row among ``pks`` differs from the state of its newest event."""
    spec = spec_for(model)
    if spec is None or not pks or not getattr(settings, "SPOTCHECK_AUDIT_GUARD", True):
        return
    from .verify import _latest_states  # one grouped query on the (object_type, object_id, seq) index

    fields = state_fields(model, spec)
    pk_name = model._meta.pk.attname
    for i in range(0, len(pks), 1000):
        chunk = pks[i:i + 1000]
        rows = model._base_manager.filter(pk__in=chunk).values_list(pk_name, *state_select(fields))
        latest = _latest_states(spec.label, [str(pk) for pk in chunk])
        labels = {f.attname: str(f.verbose_name) for f in fields}
        for row in rows:
            got = latest.get(str(row[0]))
            if got is None or got[2] or not isinstance(got[1], dict):
                continue
            seq, state, _ = got
            now = capture_values(fields, row[1:], spec)
            changed = [labels[n] for n, v in now.items() if n in state and state[n] != v]
            if changed:
                obj = model._base_manager.filter(pk=row[0]).first()
                raise TamperedRow(
                    f"{model._meta.verbose_name}“{obj}”的“{'、'.join(changed[:3])}”与审计记录不一致"
                    f"（最后一次合法变更为第 {seq} 号审计事件），可能有人绕过系统直接改动了数据库。"
                    "为免把这一改动当作合法记录，此行在核查之前不能修改。请联系系统管理员或审计/纪检人员"
                    "在“审计日志 → 审计校验”中核查处理。"
                )


def before_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    check_rows(sender, [instance.pk])
    mark_written(sender, instance.pk)


def connect() -> None:
    from django.apps import apps
    from django.db.models.signals import pre_save

    from .state import TRACKED

    for label in TRACKED:
        try:
            model = apps.get_model(label)
        except LookupError:  # pragma: no cover - an app left out of INSTALLED_APPS
            continue
        pre_save.connect(before_save, sender=model, dispatch_uid=f"audit.guard.{label}")
