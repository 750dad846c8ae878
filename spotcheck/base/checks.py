"""System checks of the shared base: the personal-data encryption keys (spotcheck/base/crypto.py).

``spotcheck.E001``: no usable key (missing file and no ``SPOTCHECK_FIELD_KEYS``, or a file that cannot be read).
Every management command that runs the checks (``migrate``, ``runserver``, ``worker``, ``check --deploy``)
stops on it; ``spotcheck keys`` skips the checks so it can create the key. The WSGI entry point calls
:func:`require_field_keys` (gunicorn runs no checks).
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def field_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.conf import settings

    from . import crypto

    if getattr(settings, "SPOTCHECK_FIELD_KEYS_AUTOCREATE", False) and not crypto.env_keys_set() \
            and not crypto.key_file().exists():
        return []  # dev: created on first use
    problem = crypto.key_problem()
    if not problem:
        try:
            crypto.cipher_prefix()
        except crypto.FieldCryptoError as exc:
            problem = exc.message
    if problem:
        return [checks.Error(problem, hint="spotcheck keys generate；见 docs/deploy.md“个人信息加密存储 (SM4)”",
                             id="spotcheck.E001")]
    return []


def require_field_keys() -> None:
    """Refuse to start (``ImproperlyConfigured``) without a usable key."""
    errors = field_keys()
    if errors:
        raise ImproperlyConfigured(errors[0].msg)
