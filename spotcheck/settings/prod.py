"""Production settings: passes ``manage.py check --deploy``. Requires ``SPOTCHECK_SECRET_KEY``.

Serve behind HTTPS (nginx or the intranet gateway) with gunicorn, see docs/deploy.md.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import SECRET_KEY, VAR_DIR

if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("生产环境必须设置 SPOTCHECK_SECRET_KEY（至少 50 个随机字符）")

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = os.environ.get("SPOTCHECK_SSL_REDIRECT", "1") == "1"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SPOTCHECK_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_AGE = 8 * 3600

# One cache shared by all gunicorn workers of the machine (portal page cache and rate limit) with
# nothing extra to install: diskcache keeps it in sharded SQLite files; point SPOTCHECK_CACHE_DIR at a
# local disk. (Django's FileBasedCache lists its whole directory on every write, which at portal load
# costs more than rendering the page.)
CACHES = {
    "default": {
        "BACKEND": "spotcheck.portal.cachebackend.SharedDiskCache",
        "LOCATION": os.environ.get("SPOTCHECK_CACHE_DIR", str(VAR_DIR / "cache")),
        "TIMEOUT": 300,
        "SHARDS": 8,
        "DATABASE_TIMEOUT": 0.25,  # seconds a worker waits for a shard's write lock before retrying
        "OPTIONS": {"size_limit": 512 * 1024**2},
    }
}
