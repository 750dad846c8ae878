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
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SPOTCHECK_JOBS_SYNC = True  # run background jobs inline: the test database is invisible to other threads
SPOTCHECK_PORTAL_CACHE_SECONDS = 0  # tests publish and read back at once; pagecache has its own test
