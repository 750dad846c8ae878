"""Test settings: fast hashing, in-memory-ish media, DATABASE_URL still honoured (CI runs PostgreSQL)."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "test-only-key-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="spotcheck-media-"))
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="spotcheck-static-"))
AXES_ENABLED = True
STORAGES = {
    "default": {"BACKEND": "spotcheck.base.storage.TransactionalStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Run background jobs inline when queued: the test database is invisible to a worker process.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
SPOTCHECK_PORTAL_CACHE_SECONDS = 0  # tests publish and read back at once; pagecache has its own test
# Audit checkpoints: a fresh Ed25519 key in a temp dir, so tests can sign (the key is never in the database).
SPOTCHECK_AUDIT_SIGNING_KEY_FILE = Path(tempfile.mkdtemp(prefix="spotcheck-audit-key-")) / "audit-signing-key.pem"
SPOTCHECK_AUDIT_SIGNING_KEY = ""


def _write_test_signing_key(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)
    path.chmod(0o600)


_write_test_signing_key(SPOTCHECK_AUDIT_SIGNING_KEY_FILE)
SPOTCHECK_AUDIT_GUARD = False  # test set-ups write rows directly; the guard's own tests switch it on

# Tests sign in with a password alone; the tests of two-factor sign-in and expiry switch them on.
SPOTCHECK_TWO_FACTOR_ROLES = frozenset()
SPOTCHECK_PASSWORD_MAX_AGE_DAYS = 0
# Personal-data encryption (spotcheck/base/crypto.py): a fixed test key in a temp file, the same in every process
# (subprocesses started by tests read what the test database holds). Tests of rotation use their own files.
SPOTCHECK_FIELD_KEYS = ""
SPOTCHECK_FIELD_KEYS_FILE = Path(tempfile.mkdtemp(prefix="spotcheck-field-keys-")) / "field-keys.json"
SPOTCHECK_FIELD_KEYS_FILE.write_text(
    '{"version": 1, "current": "test0001", "keys": [{"id": "test0001", '
    '"key": "dGVzdC1vbmx5LWZpZWxkLWtleS1ub3Qtc2VjcmV0ISE=", "created": "2026-01-01T00:00:00+00:00"}]}\n',
    encoding="utf-8",
)
SPOTCHECK_FIELD_KEYS_FILE.chmod(0o600)
SPOTCHECK_FIELD_KEYS_AUTOCREATE = False
